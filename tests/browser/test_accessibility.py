"""Accessibility of every role's main pages at phone width (390 px), in a real browser:

- axe-core (from the npm registry, `make browser` installs it into node_modules/) finds no
  serious or critical violation;
- nothing scrolls sideways, and every tap target is at least 24x24 CSS px or spaced or
  inline as WCAG 2.2, 2.5.8 allows (phone_layout.py, the same check as the role flows').

The counts per page are printed (`pytest -s`); screenshots go to tests/browser/screenshots/.
"""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from phone_layout import PHONE_390, layout_problems

from browser_helpers import PASSWORD, add_photo, new_account, new_admin, new_merchant, new_product, sign_in, unique_word

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make browser` (it installs axe-core with npm)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def checked_page(browser, running_platform, dialogs):
    # axe is injected as a script: this context alone lets it past the pages' strict CSP.
    context = browser.new_context(viewport=PHONE_390, locale="id-ID", base_url=running_platform.base_url,
                                  timezone_id="Asia/Makassar", bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def check(page, path, axe_source, screenshot, name) -> dict:
    page.goto(path)
    page.wait_for_load_state()
    screenshot(page, f"a11y-{name}")
    page.add_script_tag(content=axe_source)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [f"{v['id']} ({v['impact']}): {len(v['nodes'])} node(s)" for v in result["violations"]
               if v["impact"] in SERIOUS]
    layout = layout_problems(page)
    report = {"path": path, "violations": len(result["violations"]), "serious": serious, "layout": layout}
    named = ", ".join(f"{v['id']} ({v['impact']})" for v in result["violations"])
    print(f"a11y {name}: {report['violations']} violation(s){f' [{named}]' if named else ''}, "
          f"serious/critical {len(serious)}, layout problems {len(layout)}")
    return report


def assert_accessible(report):
    assert report["serious"] == [], f"{report['path']}: {report['serious']}"
    assert report["layout"] == [], f"{report['path']} at 390 px:\n  " + "\n  ".join(report["layout"])


@pytest.fixture(scope="module")
def seller(running_platform):
    """An owner with a business and two products (one with a photo), searchable."""
    email, headers = new_account(running_platform)
    merchant_id = new_merchant(running_platform, headers, name="Koperasi Aksesibel")
    word = unique_word("aks")
    first = new_product(running_platform, headers, merchant_id, f"Kopi {word}")
    new_product(running_platform, headers, merchant_id, f"Madu {word}", category="madu")
    add_photo(running_platform, headers, first["id"], alt=f"Kopi {word}")
    assert running_platform.wait_until(lambda: running_platform.search(q=word)["total"] == 2, timeout=20)
    return {"email": email, "merchant_id": merchant_id, "product_id": first["id"], "word": word}


BUYER_PAGES = {"home": "/", "search": "/?q={word}", "product": "/produk/{product_id}",
               "merchant": "/usaha/{merchant_id}", "region": "/wilayah/7402", "signin": "/masuk",
               "register": "/daftar"}


@pytest.mark.parametrize("name", list(BUYER_PAGES))
def test_buyer_pages(checked_page, seller, axe_source, screenshot, name):
    assert_accessible(check(checked_page, BUYER_PAGES[name].format(**seller), axe_source, screenshot, name))


@pytest.fixture(scope="module")
def importer(running_platform):
    """Another owner (its products stay out of the seller's search) with a finished
    spreadsheet import that has failed rows (the import page shows its table of rows), and
    its imported product invited to an active campaign (the dashboard lists the invitation)."""
    email, headers = new_account(running_platform)
    merchant_id = new_merchant(running_platform, headers, name="Koperasi Impor Aksesibel", region="7406")
    word = unique_word("imp")
    body = (f"sku,nama,deskripsi,harga,stok,kategori\nIM-1,Kopi {word},Kopi Muna,20000,5,kopi-teh\n"
            f"IM-2,Kopi {word} rusak,,-5,5,kopi-teh\nIM-3,Madu {word},,lima ribu,5,madu\n").encode()
    started = running_platform.http.post("/api/v1/imports", headers=headers, data={"merchant_id": merchant_id},
                                         files={"file": ("produk.csv", body, "text/csv")})
    assert started.status_code == 202, started.text
    import_id = started.json()["id"]

    def finished():
        job = running_platform.http.get(f"/api/v1/imports/{import_id}", headers=headers).json()
        return job["status"] in ("done", "failed") and job

    assert running_platform.wait_until(finished, timeout=60)
    _, promoter = new_account(running_platform, role="promoter")
    starts_at = datetime.now(timezone.utc) + timedelta(seconds=2)
    campaign = running_platform.http.post("/api/v1/campaigns", headers=promoter, json={
        "name": "Festival Kopi Bombana dengan nama yang cukup panjang", "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(), "discount": {"type": "percent", "value": 10},
        "target": {"categories": ["kopi-teh"], "regions": ["7406"]}})
    assert campaign.status_code == 201, campaign.text

    def invited():
        items = running_platform.http.get("/api/v1/me/campaigns", headers=headers).json()["items"]
        return any(item["id"] == campaign.json()["id"] and item["my_products"] for item in items)

    assert running_platform.wait_until(invited, timeout=30)
    return {"email": email, "import_id": import_id}


@pytest.mark.parametrize("name, path", [("owner-home", "/pemilik"), ("owner-product", "/pemilik/produk/baru"),
                                        ("owner-product-edit", "/pemilik/produk/{product_id}"),
                                        ("owner-import", "/pemilik/impor")])
def test_owner_pages(checked_page, seller, axe_source, screenshot, name, path):
    """The dashboard's products table (stacked cards below 600 px) and the product forms."""
    sign_in(checked_page, seller["email"], PASSWORD)
    assert_accessible(check(checked_page, path.format(**seller), axe_source, screenshot, name))


def test_owner_import_with_rows(checked_page, importer, axe_source, screenshot):
    sign_in(checked_page, importer["email"], PASSWORD)
    report = check(checked_page, f"/pemilik/impor/{importer['import_id']}", axe_source, screenshot,
                   "owner-import-rows")
    assert checked_page.locator(".owner-table tbody tr").count() == 2
    assert_accessible(report)


def test_owner_home_with_a_campaign_invitation(checked_page, importer, axe_source, screenshot):
    sign_in(checked_page, importer["email"], PASSWORD)
    report = check(checked_page, "/pemilik", axe_source, screenshot, "owner-home-campaign")
    assert checked_page.locator(".owner-membership button").count() >= 1
    assert_accessible(report)


@pytest.mark.parametrize("name, path", [("promoter-home", "/promotor"), ("promoter-new", "/promotor/kampanye/baru")])
def test_promoter_pages(checked_page, running_platform, axe_source, screenshot, name, path):
    email, _ = new_account(running_platform, role="promoter")
    sign_in(checked_page, email, PASSWORD)
    assert_accessible(check(checked_page, path, axe_source, screenshot, name))


@pytest.mark.parametrize("name, path", [("admin-queue", "/admin"), ("admin-dashboard", "/admin/dasbor")])
def test_admin_pages(checked_page, running_platform, seller, axe_source, screenshot, name, path):
    email, password, _ = new_admin(running_platform)
    sign_in(checked_page, email, password)
    assert_accessible(check(checked_page, path, axe_source, screenshot, name))
