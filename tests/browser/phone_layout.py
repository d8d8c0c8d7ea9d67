"""Layout at phone width, checked in the browser on the page it shows now:

- nothing scrolls sideways (documentElement.scrollWidth <= its clientWidth, which is the
  viewport's width when scrollbars overlay as on a phone; a wide table scrolling inside its
  own box is fine);
- every visible tap target is at least 24x24 CSS px, or meets one of WCAG 2.2 2.5.8's
  exceptions that a page can show: spacing (a 24 px circle centred on it touches no other
  target nor another small target's circle) or inline (a link or button displayed inline in
  a sentence: its parent has words of its own, not only separators such as "·").

Targets: a[href], button, input (not hidden), select, textarea, summary, [role=button], and
a label wrapping a checkbox or radio (the label is what a finger taps, so it is measured
instead of the box). Not rendered (in a closed <details>, display:none, visibility:hidden) or
placed off-screen (the skip link until focused): skipped.

``PhoneFlow`` walks a role's flow: ``flow.check("search")`` screenshots the page
(tests/browser/screenshots/<role>-<nn>-<step>.png, an ignored folder) and fails naming each
problem; ``flow.done()`` fails if the flow landed on a page it never checked.
"""
import re
from pathlib import Path
from urllib.parse import urldefrag

PHONE_390 = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# The product's WhatsApp contact: a redirect to wa.me, answered in the tests by a stand-in
# page (conftest.py), not a page of the site.
CONTACT_REDIRECT = re.compile(r"/produk/[^/?#]+/hubungi$")

LAYOUT_PROBLEMS = """() => {
  const describe = (e) => {
    let text = (e.textContent || e.value || e.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
    let name = e.tagName.toLowerCase();
    if (e.id) name += '#' + e.id;
    for (const c of e.classList) name += '.' + c;
    for (const attribute of ['type', 'name', 'href']) {
      if (e.getAttribute(attribute)) name += `[${attribute}="${e.getAttribute(attribute).slice(0, 50)}"]`;
    }
    return `${name} "${text.slice(0, 40)}"`;
  };
  const size = (box) => `${Math.round(box.width * 10) / 10}x${Math.round(box.height * 10) / 10}`;
  const problems = [], exempt = [];

  // sideways scrolling, with the innermost elements sticking out past the right edge
  const root = document.documentElement, width = root.clientWidth;
  if (root.scrollWidth > width) {
    const scrolls = (e) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX);
    const out = Array.from(document.body.querySelectorAll('*')).filter(e => e.getBoundingClientRect().right > width + 0.5);
    const culprits = out.filter(e => !out.some(o => o !== e && e.contains(o)))
      .filter(e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) return false; return true; });
    problems.push(`scrolls sideways: scrollWidth ${root.scrollWidth} > ${width}; sticking out: `
      + culprits.slice(0, 5).map(e => `${describe(e)} right=${Math.round(e.getBoundingClientRect().right)}`).join(', '));
  }

  // the targets, each measured once (a checkbox or radio by the label around it)
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], label';
  const targets = [];
  for (const found of document.querySelectorAll(selector)) {
    let e = found;
    if (e.matches('input[type=checkbox], input[type=radio]') && e.closest('label')) e = e.closest('label');
    if (e.tagName === 'LABEL' && !e.querySelector('input[type=checkbox], input[type=radio]')) continue;
    if (targets.some(t => t.element === e)) continue;
    const box = e.getBoundingClientRect(), style = getComputedStyle(e);
    if (!e.checkVisibility({visibilityProperty: true}) || box.width === 0 || box.height === 0
        || box.right <= 0 || box.bottom <= 0) continue;
    const words = e.parentElement ? Array.from(e.parentElement.childNodes)
      .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join(' ') : '';
    const inline = style.display === 'inline' && /\\p{L}{2,}/u.test(words);
    const small = box.width < 24 || box.height < 24;
    targets.push({element: e, box, inline, small,
                  x: box.left + box.width / 2, y: box.top + box.height / 2});
  }

  // a small target passes when its 24 px circle stays clear of other targets and their circles
  const gap = (t, box) => Math.hypot(Math.max(box.left - t.x, 0, t.x - box.right),
                                     Math.max(box.top - t.y, 0, t.y - box.bottom));
  for (const t of targets) {
    if (!t.small) continue;
    if (t.inline) { exempt.push(`inline ${describe(t.element)} ${size(t.box)}`); continue; }
    const near = targets.find(o => o !== t && !o.element.contains(t.element) && !t.element.contains(o.element)
      && (gap(t, o.box) < 12 || (o.small && !o.inline && Math.hypot(o.x - t.x, o.y - t.y) < 24)));
    if (near) problems.push(`target ${describe(t.element)} is ${size(t.box)} (under 24x24) `
                            + `and too close to ${describe(near.element)}`);
    else exempt.push(`spaced ${describe(t.element)} ${size(t.box)}`);
  }
  return {problems, exempt};
}"""


def layout_report(page) -> dict:
    """``problems``: what breaks the page on a phone, as readable lines; ``exempt``: the targets
    under 24x24 px that pass by WCAG's spacing or inline exception."""
    return page.evaluate(LAYOUT_PROBLEMS)


def layout_problems(page) -> list[str]:
    """What breaks the page on a phone, as readable lines: [] when all is well."""
    return layout_report(page)["problems"]


def _without_fragment(url: str) -> str:
    return urldefrag(url).url


class PhoneFlow:
    """One role's flow in a page at phone width: every page it lands on is checked and kept as
    a screenshot."""

    def __init__(self, page, role: str):
        self.page, self.role = page, role
        self.steps: list[str] = []
        self.checked_urls: set[str] = set()
        self.exempt: dict[str, list[str]] = {}
        self.landed: list[str] = []
        page.on("framenavigated", lambda frame: frame == page.main_frame and self.landed.append(frame.url))

    def check(self, step: str) -> Path:
        """Screenshot the page, then fail if it scrolls sideways or has a too-small target."""
        self.page.wait_for_load_state()
        self.steps.append(step)
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{self.role}-{len(self.steps):02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.checked_urls.add(_without_fragment(self.page.url))
        report = layout_report(self.page)
        problems = report["problems"]
        if report["exempt"]:
            self.exempt[step] = report["exempt"]
        viewport = self.page.viewport_size
        assert problems == [], (f"{self.role}, step {step} ({self.page.url}) at {viewport['width']} px, "
                                f"screenshot {path}:\n  " + "\n  ".join(problems))
        return path

    def done(self) -> None:
        """Fail if the flow landed on a page without checking it; print what was checked."""
        unchecked = [url for url in dict.fromkeys(self.landed) if _without_fragment(url) not in self.checked_urls
                     and url.startswith("http://") and not CONTACT_REDIRECT.search(url)]
        print(f"\nphone layout, {self.role}: {len(self.steps)} pages checked ({', '.join(self.steps)})")
        for step, targets in self.exempt.items():
            print(f"  {step}: under 24x24 but exempt: {'; '.join(targets)}")
        assert unchecked == [], f"{self.role}: pages the flow landed on but never checked: {unchecked}"
