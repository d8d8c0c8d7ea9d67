"""A buyer in a real browser at phone width, against the real platform: home, search with
facets, sort and pages, the product page with its price and the WhatsApp contact, the
language switch; stored HTML shown as text; keyboard access, labels and alt text; and
screenshots of the main pages."""
import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from phone_layout import PHONE_390, PhoneFlow, layout_problems

from browser_helpers import add_photo, new_account, new_merchant, new_product, searchable, unique_word

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

XSS_PRODUCT = "<script>alert(1)</script>"
XSS_MERCHANT = '<b>Toko</b> "Aman" & <img src=x onerror=alert(3)>'


@pytest.fixture(scope="module")
def shop(running_platform):
    """25 products sharing one word: 22 from a koperasi in Muna (kopi-teh and madu), 3 from an
    UMKM in Kota Kendari, one of them "<word> Istimewa" at Rp 15.000 with a photo; and two
    products and a merchant whose names are HTML."""
    p = running_platform
    _, owner = new_account(p)
    muna = new_merchant(p, owner, name="Koperasi Kopi Muna", kind="koperasi", region="7402")
    kendari = new_merchant(p, owner, name="UMKM Kendari Jaya", kind="umkm", region="7471")
    word = unique_word("kopi")
    ids = []
    for n in range(22):
        category = "madu" if n % 7 == 0 else "kopi-teh"
        ids.append(new_product(p, owner, muna, f"Kopi {word} racikan {n}", price=20000 + 1000 * n,
                               category=category)["id"])
    for n, price in enumerate((32000, 48000)):
        ids.append(new_product(p, owner, kendari, f"Kopi {word} Kendari {n}", price=price)["id"])
    special = new_product(p, owner, kendari, f"Kopi {word} Istimewa", price=15000,
                          description="Kopi robusta pilihan dari Kendari, 250 gram.")
    add_photo(p, owner, special["id"], alt="Bungkus kopi Istimewa 250 gram")
    ids.append(special["id"])

    evil_merchant = new_merchant(p, owner, name=XSS_MERCHANT, kind="umkm", region="7401")
    evil = new_product(p, owner, evil_merchant, XSS_PRODUCT, price=10000, category="camilan")
    evil_img = new_product(p, owner, evil_merchant, "<img src=x onerror=alert(2)> alert", price=12000,
                           category="camilan")
    assert p.wait_until(lambda: searchable(p, ids, q=word) and searchable(p, [evil["id"], evil_img["id"]], q="alert"),
                        timeout=30), "the seeded products never reached search"
    return {"word": word, "special": special, "muna": muna, "kendari": kendari, "evil": evil,
            "evil_merchant": evil_merchant}


def card_prices(page) -> list[int]:
    texts = page.locator(".cards .card .price").all_inner_texts()
    return [int(re.sub(r"\D", "", text.split()[1] if text.startswith("Rp") else text)) for text in texts]


def test_buyer_searches_filters_sorts_pages_and_contacts_the_seller(page, shop, outside, screenshot):
    """The buyer's main flow at 390 px: each page it lands on fits the phone (phone_layout.py)."""
    word, special = shop["word"], shop["special"]
    flow = PhoneFlow(page, "buyer")

    page.goto("/")
    flow.check("home")
    assert page.get_by_role("heading", name="Produk terbaru").is_visible()
    assert page.locator("section.newest .card img").count() >= 1  # every card has a picture
    assert page.get_by_role("heading", name="Kategori").is_visible()
    assert page.locator('a[href^="/?category="]').count() > 0
    regions = page.locator("section[aria-labelledby=h-regions] a[href^='/wilayah/']")
    assert regions.count() == 17
    assert "Kota Kendari" in regions.all_inner_texts()

    # type the query and press Enter
    box = page.get_by_role("search").get_by_label("Kata kunci")
    box.fill(word)
    with page.expect_navigation():
        box.press("Enter")
    assert parse_qs(urlparse(page.url).query)["q"] == [word]
    assert page.get_by_text("Ditemukan 25 produk.").is_visible()
    assert page.locator(".cards .card").count() == 20
    flow.check("search")

    pager = page.get_by_role("navigation", name="Halaman")
    with page.expect_navigation():
        pager.get_by_role("link", name="Berikutnya →").click()
    assert "page=2" in page.url
    assert page.locator(".cards .card").count() == 5
    assert pager.locator("[aria-current=page]").inner_text() == "2"
    flow.check("search-page-2")

    # the facets wait behind "Filter"; applying one leaves the panel closed and counts it
    panel = page.locator("details.filters")
    assert panel.get_attribute("open") is None and not page.get_by_label("Harga minimum (Rp)").is_visible()
    assert page.locator(".cards .card").first.bounding_box()["y"] < 740  # results on the first screen
    panel.locator("summary").click()
    flow.check("search-filter-panel")
    facet = page.get_by_role("navigation", name="Kabupaten/kota")
    with page.expect_navigation():
        facet.get_by_role("link", name=re.compile(r"^Kota Kendari \(3\)")).click()
    query = parse_qs(urlparse(page.url).query)
    assert query["region"] == ["7471"] and "page" not in query or query.get("page") == ["1"]
    assert page.get_by_text("Ditemukan 3 produk.").is_visible()
    assert panel.get_attribute("open") is None
    assert " ".join(panel.locator("summary").inner_text().split()) == "Filter 1 aktif"
    assert page.get_by_role("link", name="Hapus filter Kota Kendari").is_visible()
    flow.check("search-region-filter")

    # the sort control is above the results; choosing sends it (site.js), keeping the filters
    assert not page.get_by_role("button", name="Ubah urutan").is_visible()
    with page.expect_navigation():
        page.get_by_label("Urutkan").select_option("price_desc")
    query = parse_qs(urlparse(page.url).query)
    assert query["sort"] == ["price_desc"] and query["region"] == ["7471"]
    assert card_prices(page) == [48000, 32000, 15000]
    assert "Rp 15.000" in page.locator(".cards").inner_text()
    flow.check("search-sorted")

    # a price typed the Indonesian way
    panel.locator("summary").click()
    page.get_by_label("Harga minimum (Rp)").fill("Rp 20.000")
    with page.expect_navigation():
        page.get_by_role("button", name="Terapkan").click()
    assert parse_qs(urlparse(page.url).query)["min_price"] == ["Rp 20.000"]
    assert card_prices(page) == [48000, 32000]
    assert page.get_by_role("link", name="Hapus filter Mulai Rp 20.000").is_visible()
    assert panel.get_attribute("open") is None
    flow.check("search-price-filter")
    with page.expect_navigation():
        page.get_by_role("link", name="Hapus filter Mulai Rp 20.000").click()
    flow.check("search-filter-removed")

    with page.expect_navigation():
        page.get_by_role("link", name=f"Kopi {word} Istimewa").click()
    assert urlparse(page.url).path == f"/produk/{special['id']}"
    assert page.get_by_role("heading", level=1).inner_text() == f"Kopi {word} Istimewa"
    assert page.locator(".price.big").inner_text().strip() == "Rp 15.000"
    photo = page.locator(".photos img").first
    assert photo.get_attribute("alt") == "Bungkus kopi Istimewa 250 gram"
    assert page.get_by_role("heading", name="UMKM Kendari Jaya").is_visible()
    flow.check("product")

    # the seller's page, from the product's, with its own WhatsApp button
    with page.expect_navigation():
        page.locator("#merchant-name").get_by_role("link", name="UMKM Kendari Jaya").click()
    assert urlparse(page.url).path == f"/usaha/{shop['kendari']}"
    assert page.locator("#merchant-name").inner_text() == "UMKM Kendari Jaya"
    assert page.get_by_role("link", name="Hubungi via WhatsApp").get_attribute("href").startswith("https://wa.me/")
    flow.check("merchant")
    page.go_back()

    contact = page.get_by_role("link", name="Hubungi via WhatsApp")
    assert contact.get_attribute("href") == f"/produk/{special['id']}/hubungi"
    with page.expect_navigation():
        contact.click()
    assert len(outside.whatsapp) == 1
    whatsapp = urlparse(outside.whatsapp[0])
    assert whatsapp.path == "/6281234567890"
    text = parse_qs(whatsapp.query)["text"][0]
    assert f"Kopi {word} Istimewa" in unquote(text)
    assert f"/produk/{special['id']}" in text

    page.goto(f"/produk/{special['id']}")
    with page.expect_navigation():
        page.get_by_role("link", name="Ganti bahasa ke English").click()
    assert urlparse(page.url).path == f"/produk/{special['id']}"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Contact via WhatsApp").is_visible()
    flow.check("product-english")
    with page.expect_navigation():
        page.get_by_role("link", name="Switch language to Bahasa Indonesia").click()
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.get_by_role("link", name="Hubungi via WhatsApp").is_visible()
    assert outside.blocked == []
    flow.done()


def test_stored_html_is_shown_as_text_everywhere(page, shop, dialogs):
    evil, merchant_id = shop["evil"], shop["evil_merchant"]
    product_link = f'a[href="/produk/{evil["id"]}"]'

    page.goto("/?q=alert")
    assert page.locator(product_link).inner_text() == XSS_PRODUCT
    assert page.get_by_text(XSS_MERCHANT, exact=False).first.is_visible()
    assert page.locator(".cards script, .cards img[src=x]").count() == 0

    page.goto(f"/produk/{evil['id']}")
    assert page.get_by_role("heading", level=1).inner_text() == XSS_PRODUCT
    assert page.title().startswith(XSS_PRODUCT)
    assert page.locator("#merchant-name").inner_text() == XSS_MERCHANT
    assert page.locator("main script, main img[src=x]").count() == 0

    page.goto(f"/usaha/{merchant_id}")
    assert page.locator("#merchant-name").inner_text() == XSS_MERCHANT
    assert page.locator(product_link).inner_text() == XSS_PRODUCT
    assert page.locator("main script, main img[src=x], main b").count() == 0

    page.goto("/wilayah/7401?q=alert")
    assert page.locator(product_link).inner_text() == XSS_PRODUCT

    # the home page shows it among the featured products when there are any; it never runs it
    page.goto("/")
    page.wait_for_load_state("load")
    assert dialogs == []


def test_keyboard_reaches_the_search_box_and_the_main_links(page, shop):
    page.goto("/")
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("""() => { const e = document.activeElement;
            return e.id || e.getAttribute('href') || e.textContent.trim(); }"""))
        if seen[-1] == "q":
            break
    assert seen[0] == "#isi", seen  # the skip link comes first
    assert {"/", "/masuk", "/daftar"} <= set(seen), seen
    assert seen[-1] == "q", seen
    page.keyboard.type(shop["word"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Ditemukan 25 produk.").is_visible()

    # Tab on to the first product link, open it with Enter
    for _ in range(60):
        page.keyboard.press("Tab")
        href = page.evaluate("() => document.activeElement.getAttribute('href') || ''")
        if href.startswith("/produk/"):
            break
    else:
        pytest.fail("no product link reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlparse(page.url).path == href


UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
    .filter(e => e.type !== 'hidden')
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map(e => e.outerHTML)"""
MISSING_ALT = """() => Array.from(document.images).filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.outerHTML)"""


def test_every_input_has_a_label_and_every_photo_alt_text(page, shop):
    page.goto("/masuk")
    assert page.get_by_label("Email").get_attribute("type") == "email"
    assert page.get_by_label("Kata sandi").get_attribute("type") == "password"
    assert page.get_by_label("Kata kunci").get_attribute("id") == "q"
    assert page.evaluate(UNLABELLED) == []

    page.goto("/daftar")
    assert page.get_by_label("Nama").get_attribute("name") == "name"
    assert page.get_by_label("Email").get_attribute("name") == "email"
    assert page.get_by_label("Kata sandi").get_attribute("name") == "password"
    assert page.get_by_label("Pemilik UMKM / pengurus koperasi").get_attribute("value") == "owner"
    assert page.get_by_label("Promotor (Dinas, asosiasi, komunitas)").get_attribute("value") == "promoter"
    assert page.evaluate(UNLABELLED) == []

    for path in (f"/?q={shop['word']}", f"/produk/{shop['special']['id']}", f"/usaha/{shop['kendari']}", "/"):
        page.goto(path)
        assert page.evaluate(UNLABELLED) == [], path
        assert page.evaluate(MISSING_ALT) == [], path
    page.goto(f"/produk/{shop['special']['id']}")
    assert page.locator(".photos img").count() == 1  # the photo is there, with its alt text, lazy
    assert page.locator(".photos img").first.get_attribute("loading") == "lazy"


def test_screenshots_of_the_main_pages_at_375_px(page, shop, screenshot):
    """A narrower phone than the flows' 390 px: the main pages still fit and keep their targets."""
    page.set_viewport_size({"width": 375, "height": 740})
    shots = {
        "home": "/",
        "search": f"/?q={shop['word']}",
        "product": f"/produk/{shop['special']['id']}",
        "merchant": f"/usaha/{shop['kendari']}",
        "signin": "/masuk",
        "register": "/daftar",
        "region": "/wilayah/7471",
    }
    for name, path in shots.items():
        response = page.goto(path)
        assert response.status == 200, path
        assert layout_problems(page) == [], path
        assert screenshot(page, name).stat().st_size > 1000


def test_buyer_pages_at_390_px_have_no_sideways_scrolling_and_big_enough_targets(page, shop, screenshot):
    pages = {
        "home": "/",
        "search": f"/?q={shop['word']}&region=7402&sort=price_asc",
        "product": f"/produk/{shop['special']['id']}",
        "product-no-photo": f"/produk/{shop['evil']['id']}",
        "merchant": f"/usaha/{shop['kendari']}",
        "region": "/wilayah/7402",
    }
    for name, path in pages.items():
        assert page.goto(path).status == 200, path
        assert layout_problems(page) == [], path
        screenshot(page, f"buyer-390-{name}")
    page.goto(f"/?q={shop['word']}")
    page.locator("details.filters summary").click()  # the open filter panel too
    assert layout_problems(page) == []
    screenshot(page, "buyer-390-search-filters")


def test_cards_and_pages_show_a_picture_the_unit_and_the_sellers_other_products(page, shop):
    page.goto(f"/?q={shop['word']}")
    cards = page.locator(".cards .card")
    assert cards.count() == 20 and page.locator(".cards .card img").count() == 20
    illustration = page.locator(".cards img.placeholder").first
    assert illustration.get_attribute("alt").startswith("Ilustrasi kategori")
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", illustration.element_handle())
    assert "/ " in cards.first.locator(".price").inner_text()  # the unit

    page.goto(f"/produk/{shop['special']['id']}")
    more = page.locator("section.more-from-seller")
    assert more.get_by_role("heading", name="Lainnya dari penjual ini").is_visible()
    assert more.locator(".card").count() == 2  # the two other products of UMKM Kendari Jaya

    page.goto(f"/usaha/{shop['kendari']}")
    whatsapp = page.get_by_role("link", name="Hubungi via WhatsApp")
    assert whatsapp.get_attribute("href").startswith("https://wa.me/6281234567890?text=")


def test_search_filters_and_sort_work_without_javascript(browser, running_platform, shop):
    context = browser.new_context(viewport=PHONE_390, locale="id-ID", base_url=running_platform.base_url,
                                  java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/?q={shop['word']}")
        panel = page.locator("details.filters")
        panel.locator("summary").click()
        assert page.get_by_label("Harga maksimum (Rp)").is_visible()
        page.get_by_label("Harga maksimum (Rp)").fill("30.000")
        with page.expect_navigation():
            page.get_by_role("button", name="Terapkan").click()
        assert parse_qs(urlparse(page.url).query)["max_price"] == ["30.000"]
        assert panel.get_attribute("open") is None
        page.get_by_label("Urutkan").select_option("price_asc")
        with page.expect_navigation():
            page.get_by_role("button", name="Ubah urutan").click()
        query = parse_qs(urlparse(page.url).query)
        assert query["sort"] == ["price_asc"] and query["max_price"] == ["30000"]
        assert card_prices(page)[:2] == [15000, 20000] and max(card_prices(page)) <= 30000
    finally:
        context.close()
