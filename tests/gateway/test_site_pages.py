"""The buyers' HTML pages over HTTP: the real gateway container on a real RabbitMQ (fresh
vhost) and database; catalog, search and promotion are the fakes of gateway_fakes.py,
answering in the shapes of their contracts (shared/contracts.py,
services/search/engine.result_item, docs/contracts/promotion-rpc.md)."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from gateway_fakes import BrokenPromotion, FakeCatalog, FakePromotion, FakeSearch
from gateway_helpers import SCRIPT, assert_html_page, wait_for

MERCHANT = {
    "id": "m1", "owner_id": "a1", "name": "Koperasi Tenun <b>Masalili</b>", "kind": "koperasi", "region": "7402",
    "region_name": "Muna", "whatsapp": "+62 812-3456-7890", "description": "Tenun ikat dari Masalili.",
    "verified": True, "version": 3, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    "address": "Jl. Poros Raha", "status": "verified", "status_reason": None, "logo": None,
    "credentials": {"nib": "1234567890123", "pirt_number": None, "halal_number": "ID7411000123",
                    "halal_expires_on": "2028-05-01", "halal_valid": True, "legal_number": "AHU-0001.AH.01",
                    "member_count": 40, "last_rat_year": 2025},
}


def product(product_id, name, price=150000, status="published"):
    return {
        "id": product_id, "merchant_id": "m1", "name": name, "slug": "p", "description": "Kain tenun\nwarna alam.",
        "price": price, "stock": 5, "unit": "lembar", "category": "tenun", "category_name": "Kain Tenun",
        "category_parent": "kerajinan", "category_parent_name": "Kerajinan Tangan", "halal": False,
        "status": status, "region": "7402", "region_name": "Muna",
        "merchant": {"id": "m1", "name": MERCHANT["name"], "kind": "koperasi", "region": "7402", "verified": True,
                     "status": "verified"},
        "version": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "photos": [{"id": "ph1", "urls": {"thumb": "/media/products/p1-160.webp", "medium": "/media/products/p1-640.webp",
                                          "large": "/media/products/p1-1280.webp"}, "width": 640, "height": 480,
                    "alt": ""}],
        "sku": None, "compare_at_price": None, "tags": [], "member_business": None, "halal_claimed": False,
    }


PRODUCTS = {"p1": product("p1", SCRIPT, 15000), "p2": product("p2", "Kain Tenun Masalili"),
            "draft": product("draft", "Belum terbit", status="draft")}


def hit(number: int) -> dict:
    return {"id": f"p{number}", "name": f"Kain Tenun Ikat Masalili Motif Bunga Nomor {number}", "price": 450000,
            "effective_price": 405000 if number % 2 else 450000, "discount_percent": 10 if number % 2 else 0,
            "promoted": bool(number % 2), "badge": "Diskon 10%" if number % 2 else None, "unit": "lembar",
            "region": "7402", "region_name": "Muna", "category": "tenun", "category_name": "Kain Tenun",
            "halal": False, "merchant": {"id": "m1", "name": "Koperasi Tenun Masalili", "kind": "koperasi",
                                         "verified": True},
            "highlight": f"Kain <mark>Tenun</mark> Ikat Masalili Motif Bunga Nomor {number} — kain "
                         "<mark>tenun</mark> warna alam dari Masalili …"}


FACETS = {
    "region": [{"value": "7402", "label": "Muna", "count": 40}, {"value": "7401", "label": "Buton", "count": 5}],
    "category": [{"value": "tenun", "label": "Kain Tenun", "count": 45}],
    "price": [{"min": 0, "max": 25000, "label": "< Rp 25.000", "count": 1},
              {"min": 250000, "max": 500000, "label": "Rp 250.000 – Rp 500.000", "count": 44},
              {"min": 500000, "max": None, "label": "≥ Rp 500.000", "count": 0}],
    "halal": [{"value": True, "label": "Halal", "count": 3}, {"value": False, "label": "Tidak halal", "count": 42}],
    "kind": [{"value": "koperasi", "label": "Koperasi", "count": 45}],
}


@pytest.fixture(autouse=True)
def shop(fakes):
    """The business m1 with its products, a search that finds 45, featured products and a campaign."""
    catalog = fakes.catalog
    catalog.add_merchants(MERCHANT)
    catalog.add_products(*PRODUCTS.values())
    listing = catalog.list_merchant_products
    # 45 products on paper, the same three on every page: paging without 45 fakes.
    catalog.list_merchant_products = lambda merchant_id, page, per_page: {**listing(merchant_id, page, per_page),
                                                                         "total": 45}

    search = fakes.search
    search.hits = [{**hit(1), "id": "p1", "name": SCRIPT, "highlight": "&lt;script&gt;alert(1)&lt;/script&gt;",
                    "photo": {"url": "/media/products/p1-160.webp", "alt": SCRIPT}}]
    search.hits += [hit(n) for n in range(2, 21)]
    search.total = 45
    search.facets = FACETS
    search.did_you_mean = {"tenan": "tenun"}
    search.suggestions = ["tenun ikat"]

    promotion = fakes.promotion
    promotion.rotation_seconds = 600
    promotion.featured = [
        {"id": "p1", "name": SCRIPT, "slug": "x", "price": 15000, "effective_price": 12000,
         "discount_percent": 20, "badge": "Diskon 20%", "region": "7402", "category": "tenun",
         "merchant_id": "m1", "merchant_name": "Koperasi <i>Muna</i>", "photo_url": "/media/products/p1-160.webp"},
        {"id": "p2", "name": "Kain Tenun Masalili", "slug": "y", "price": 150000, "effective_price": 150000,
         "discount_percent": 0, "badge": None, "region": "7402", "category": "tenun", "merchant_id": "m1",
         "merchant_name": "Koperasi Muna", "photo_url": None}]
    promotion.active = [{"id": "c1", "name": "Festival Tenun <Muna>", "description": "Diskon tenun sepekan.",
                         "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-08T00:00:00Z",
                         "starts_at_wita": "1 Des 2026 08.00 WITA", "ends_at_wita": "8 Des 2026 08.00 WITA",
                         "discount": {"type": "percent", "value": 20}, "featured": True, "product_count": 12}]
    promotion.pricing = {"p1": {"effective_price": 12000, "normal_price": 15000, "discount_percent": 20,
                                "promoted": True, "badge": "Diskon 20%", "campaign_id": "c1",
                                "campaign_name": "Festival", "valid_until": "2026-12-08T00:00:00Z"}}


PAGES = ["/", "/?q=tenun", "/produk/p1", "/usaha/m1", "/wilayah/7402", "/masuk", "/daftar"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_in_indonesian_and_then_in_english(gateway, web_session, path):
    html = assert_html_page(web_session.get(path))
    assert "Masuk" in html and "Langsung ke isi" in html
    response = web_session.get("/bahasa", params={"l": "en", "next": path}, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == path
    assert "lang=en" in response.headers["Set-Cookie"]
    html = assert_html_page(web_session.get(path), lang="en")
    assert "Sign in" in html and "Skip to content" in html
    web_session.get("/bahasa", params={"l": "id", "next": path})
    assert_html_page(web_session.get(path))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_language_switch_only_goes_back_to_local_paths(gateway, web_session, target):
    response = web_session.get("/bahasa", params={"l": "en", "next": target}, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_home_shows_featured_campaigns_categories_and_regions(gateway, web_session, fakes):
    html = assert_html_page(web_session.get("/"))
    assert "Produk Unggulan" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and SCRIPT not in html
    assert "Koperasi &lt;i&gt;Muna&lt;/i&gt;" in html
    assert "Rp 12.000" in html and '<s class="normal">Rp 15.000</s>' in html and "Diskon 20%" in html
    assert 'href="/produk/p1"' in html
    # a featured product without a photo gets its category's illustration
    assert re.search(r'src="/static/img/kategori/kerajinan.svg\?v=\w+" alt="Ilustrasi kategori', html)
    assert 'loading="lazy"' in html and 'alt="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "Festival Tenun &lt;Muna&gt;" in html and "8 Des 2026 08.00 WITA" in html
    assert 'href="/?category=tenun"' in html and "Kopi &amp; Teh" in html
    for code in ("7401", "7402", "7415", "7471", "7472"):
        assert f'href="/wilayah/{code}"' in html
    assert html.count('href="/wilayah/') == 17
    assert wait_for(lambda: {(i["product_id"], i["kind"]) for i in fakes.interactions()} >= {("p1", "impression")})


def test_home_always_has_the_newest_and_the_most_wanted_products(gateway, web_session, fakes):
    fakes.promotion.popular = [{"id": "p9", "name": "Tenun Paling Dicari", "price": 300000, "effective_price": 300000,
                                "region": "7402", "category": "tenun", "merchant_id": "m1",
                                "merchant_name": "Koperasi Muna", "photo_url": None, "views": 40, "contacts": 7}]
    html = assert_html_page(web_session.get("/"))
    assert ("search", "", None, 1, 8, {"sort": "newest"}) in fakes.calls
    assert ("popular_products", 8, 30) in fakes.calls
    newest = html[html.index('id="h-newest"'):]
    assert "Produk terbaru" in html and 'href="/produk/p20"' in newest and 'href="/?sort=newest"' in newest
    popular = html[html.index('id="h-popular"'):]
    assert "Paling dicari" in html and 'href="/produk/p9"' in popular and "Tenun Paling Dicari" in popular
    assert wait_for(lambda: {("p9", "impression"), ("p20", "impression")}
                    <= {(i["product_id"], i["kind"]) for i in fakes.interactions()})


def test_home_hides_the_most_wanted_section_without_statistics(gateway, web_session):
    html = assert_html_page(web_session.get("/"))  # nobody has looked at anything yet
    assert "Paling dicari" not in html and "Produk terbaru" in html


@pytest.mark.parametrize("promotion", [None, BrokenPromotion])
def test_home_without_promotion_still_answers_without_those_sections(start_gateway, web_session, promotion):
    start_gateway(FakeCatalog, FakeSearch, *([promotion] if promotion else []))
    html = assert_html_page(web_session.get("/"))
    assert "Produk Unggulan" not in html and "Promo yang sedang berlangsung" not in html
    assert "Paling dicari" not in html and "Produk terbaru" in html  # products all the same
    assert "Kain Tenun" in html and 'href="/wilayah/7402"' in html  # categories and regions still there


def test_home_without_catalog_still_lists_the_regions(start_gateway, web_session):
    start_gateway(FakeSearch, FakePromotion)
    html = assert_html_page(web_session.get("/"))
    assert "Produk Unggulan" in html and html.count('href="/wilayah/') == 17


def test_search_results_with_facets_filters_sort_and_pages(gateway, web_session, fakes):
    response = web_session.get("/", params={"q": "tenun", "region": "7402", "halal": "ya", "sort": "price_asc",
                                            "min_price": "1000", "page": "2"})
    html = assert_html_page(response)
    search = [call for call in fakes.calls if call[0] == "search"][-1]
    assert search[1:5] == ("tenun", "7402", 2, 20)
    assert search[5] == {"halal": "ya", "sort": "price_asc", "min_price": "1000"}
    assert "Ditemukan 45 produk." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and SCRIPT not in html
    assert "Kain <mark>Tenun</mark>" in html
    # the hit's thumbnail, lazy, with its alt text escaped
    assert ('<img src="/media/products/p1-160.webp" alt="&lt;script&gt;alert(1)&lt;/script&gt;" loading="lazy"'
            in html)
    assert "Rp 405.000" in html and '<s class="normal">Rp 450.000</s>' in html and "Diskon 10%" in html
    assert 'href="/produk/p1"' in html and 'href="/produk/p20"' in html
    # facets keep the other filters and go back to page 1
    assert ('href="/?q=tenun&amp;region=7401&amp;min_price=1000&amp;halal=ya&amp;sort=price_asc&amp;page=1"'
            in html)
    assert "min_price=250000&amp;max_price=499999" in html
    assert "≥ Rp 500.000" not in html  # empty bucket
    # filters keep their values
    assert '<option value="7402" selected>Muna</option>' in html
    assert '<option value="price_asc" selected>' in html
    assert 'name="halal" value="ya" checked' in html
    assert 'id="min_price" name="min_price" value="1000"' in html
    for name in ("category", "max_price", "kind", "verified", "on_promo", "in_stock"):
        assert f'name="{name}"' in html
    # pagination: 45 results, 20 a page
    assert 'rel="prev"' in html and 'rel="next"' in html and "page=3" in html and "Halaman 2 dari 3" in html



def test_result_cards_and_pages_follow_the_chosen_language(gateway, web_session):
    # The cards, the pager and the merchant card are macros: they must see the page's language.
    web_session.get("/bahasa", params={"l": "en", "next": "/"})
    html = assert_html_page(web_session.get("/", params={"q": "tenun", "page": "2"}), lang="en")
    assert "Page 2 of 3" in html and "Halaman 2 dari 3" not in html
    assert "Previous" in html and "Sebelumnya" not in html
    html = assert_html_page(web_session.get("/produk/p1"), lang="en")
    assert "Verified" in html and "Terverifikasi" not in html

def test_search_did_you_mean(gateway, web_session):
    html = assert_html_page(web_session.get("/", params={"q": "tenan"}))
    assert "Mungkin maksud Anda:" in html and 'href="/?q=tenun&amp;page=1">tenun</a>' in html


def test_search_bad_parameter_is_a_friendly_page(gateway, web_session, fakes):
    response = web_session.get("/", params={"q": "kopi", "sort": "termahal"})
    html = assert_html_page(response, status=422)
    assert "Traceback" not in html and 'role="alert"' in html


@pytest.mark.parametrize("typed, sent", [("100000", "100000"), ("100.000", "100000"), ("Rp 100.000", "100000"),
                                         ("Rp100.000,-", "100000")])
def test_price_filters_take_what_indonesians_type(gateway, web_session, fakes, typed, sent):
    html = assert_html_page(web_session.get("/", params={"q": "tenun", "min_price": typed, "max_price": "Rp 250.000"}))
    search = fakes.calls_to("search")[-1]
    assert search[5] == {"min_price": sent, "max_price": "250000"}
    assert 'id="min_price" name="min_price" value="100000"' in html  # shown back as plain digits
    assert "Mulai Rp 100.000" in html and "Sampai Rp 250.000" in html  # the active filters, removable
    assert 'href="/?q=tenun&amp;max_price=250000"' in html


@pytest.mark.parametrize("typed", ["murah", "-5", "100,5"])
def test_an_unreadable_price_says_how_to_write_it(gateway, web_session, fakes, typed):
    html = assert_html_page(web_session.get("/", params={"q": "tenun", "max_price": typed}), status=422)
    assert html.count("Tulis harga dalam rupiah, mis. 100000, 100.000 atau Rp 100.000.") == 2  # top and field
    assert '<details class="filters" open>' in html and 'aria-invalid="true"' in html
    assert f'value="{typed}"' in html  # kept, to correct it
    assert fakes.calls_to("search") == [] and "Traceback" not in html


def test_on_a_phone_results_come_first_with_filters_behind_a_button(gateway, web_session):
    html = assert_html_page(web_session.get("/", params={"q": "tenun"}))
    assert '<details class="filters">' in html  # closed: no filter chosen
    assert '<span class="count">' not in html
    # a facet applied: the panel stays closed, its button counts the active filters
    html = assert_html_page(web_session.get("/", params={"q": "tenun", "region": "7402", "halal": "ya",
                                                        "sort": "price_asc"}))
    assert '<details class="filters">' in html
    assert '<summary>Filter <span class="count">2 aktif</span></summary>' in html
    # the sort control sits outside the panel, above the results, and keeps the filters
    panel_end, sort_bar, cards = html.index("</details>"), html.index('class="sortbar"'), html.index('class="cards"')
    assert panel_end < sort_bar < cards
    sort_form = html[sort_bar:html.index("</form>", sort_bar)]
    for field in ('name="q" value="tenun"', 'name="region" value="7402"', 'name="halal" value="ya"'):
        assert field in sort_form
    assert '<option value="price_asc" selected>' in sort_form and 'data-autosubmit' in sort_form
    # the chosen filters are listed above the results, each with the link that removes it
    assert 'aria-label="Hapus filter Muna"' in html and 'href="/?q=tenun&amp;halal=ya&amp;sort=price_asc"' in html
    assert 'aria-label="Hapus filter Halal"' in html


def test_cards_show_the_unit_sold_out_and_a_category_illustration_without_photo(gateway, web_session, fakes):
    fakes.search.hits = [{**hit(2), "stock": 0}, {**hit(3), "category": "kopi-teh", "in_stock": True}]
    html = assert_html_page(web_session.get("/", params={"q": "tenun"}))
    assert html.count('<span class="unit">/ lembar</span>') == 2
    assert html.count("Stok habis") == 1
    assert re.search(r'<img src="/static/img/kategori/kerajinan.svg\?v=\w+" alt="Ilustrasi kategori Kerajinan '
                     r'Tangan \(belum ada foto produk\)" loading="lazy" width="96" height="96" class="placeholder">',
                     html)
    assert re.search(r'src="/static/img/kategori/makanan-minuman.svg\?v=\w+"', html)


def test_category_illustrations_are_served_as_cached_svg(gateway, web_session):
    html = web_session.get("/", params={"q": "tenun"}).text
    url = re.search(r'src="(/static/img/kategori/kerajinan.svg\?v=\w+)"', html).group(1)
    response = web_session.get(url)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert 'role="img"' in response.text and "<title" in response.text and len(response.content) < 2000


def test_a_results_page_weighs_less_than_150_kb(gateway, web_session):
    response = web_session.get("/", params={"q": "tenun"})
    html = assert_html_page(response)
    assert html.count('class="card"') == 20
    size = len(response.content)
    assert size < 150_000, size
    css = web_session.get(re.search(r'href="(/static/css/site.css\?v=\w+)"', html).group(1))
    js = web_session.get(re.search(r'src="(/static/js/site.js\?v=\w+)"', html).group(1))
    assert size + len(css.content) + len(js.content) < 150_000


def test_region_page(gateway, web_session, fakes):
    html = assert_html_page(web_session.get("/wilayah/7402", params={"q": "tenun", "page": "2"}))
    assert "Produk dari Muna" in html
    search = [call for call in fakes.calls if call[0] == "search"][-1]
    assert search[1:4] == ("tenun", "7402", 2)
    assert 'href="/wilayah/7402?q=tenun&amp;region=7402&amp;page=3"' in html


def test_product_page(gateway, web_session, fakes):
    html = assert_html_page(web_session.get("/produk/p1"))
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html and SCRIPT not in html
    assert "Rp 12.000" in html and "Rp 15.000</s>" in html and "Diskon 20%" in html
    assert "8 Des 2026 08.00 WITA" in html
    assert 'src="/media/products/p1-640.webp"' in html and 'loading="lazy"' in html
    assert 'alt="Foto &lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "Koperasi Tenun &lt;b&gt;Masalili&lt;/b&gt;" in html and 'href="/usaha/m1"' in html
    assert "Terverifikasi" in html and "Sertifikat halal ID7411000123" in html and "40 anggota" in html
    assert "RAT terakhir 2025" in html
    assert 'href="/produk/p1/hubungi"' in html and "Hubungi via WhatsApp" in html
    assert "https://wa.me/?text=" in html and "Bagikan" in html
    assert wait_for(lambda: {"product_id": "p1", "kind": "view"} in fakes.interactions())
    # "Lainnya dari penjual ini": the seller's other published products
    more = html[html.index('id="h-more"'):]
    assert "Lainnya dari penjual ini" in html and 'href="/produk/p2"' in more
    assert 'href="/produk/p1"' not in more and "Belum terbit" not in more and 'href="/usaha/m1"' in more


def test_product_without_photo_shows_its_category_illustration(gateway, web_session, fakes):
    fakes.catalog.add_products({**PRODUCTS["p2"], "id": "p3", "photos": [], "stock": 0})
    html = assert_html_page(web_session.get("/produk/p3"))
    assert re.search(r'<img class="placeholder" src="/static/img/kategori/kerajinan.svg\?v=\w+" '
                     r'alt="Ilustrasi kategori Kain Tenun \(belum ada foto produk\)"', html)
    assert '<p class="soldout">Stok habis</p>' in html


def test_product_page_without_promotion_shows_the_normal_price(start_gateway, web_session):
    start_gateway(FakeCatalog, FakeSearch)
    html = assert_html_page(web_session.get("/produk/p2"))
    assert "Rp 150.000" in html and "<s " not in html and 'class="badge"' not in html


@pytest.mark.parametrize("path", ["/produk/tidak-ada", "/produk/draft", "/usaha/tidak-ada", "/wilayah/9999",
                                  "/produk/tidak-ada/hubungi", "/produk/" + "x" * 80])
def test_unknown_ids_are_404_pages_in_indonesian(gateway, web_session, path):
    html = assert_html_page(web_session.get(path, allow_redirects=False), status=404)
    assert "Halaman tidak ditemukan" in html


def test_contact_counts_and_redirects_to_whatsapp_naming_the_product(gateway, web_session, fakes):
    response = web_session.get("/produk/p2/hubungi", allow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "wa.me", "/6281234567890")
    text = parse_qs(location.query)["text"][0]
    assert "Kain Tenun Masalili" in text and "/produk/p2" in text
    assert wait_for(lambda: {"product_id": "p2", "kind": "contact"} in fakes.interactions())


def test_merchant_page(gateway, web_session, fakes):
    html = assert_html_page(web_session.get("/usaha/m1", params={"page": "2"}))
    assert "Koperasi Tenun &lt;b&gt;Masalili&lt;/b&gt;" in html
    assert "Terverifikasi" in html and "Badan hukum AHU-0001.AH.01" in html and "NIB 1234567890123" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and SCRIPT not in html
    assert "Belum terbit" not in html  # drafts are not public
    assert '<h2 id="produk">Produk</h2>' in html  # the admin queue links to /usaha/<id>#produk
    assert ("list_merchant_products", "m1", 2, 20) in fakes.calls
    button = re.search(r'<a class="button whatsapp" href="([^"]+)"', html).group(1)
    location = urlsplit(button.replace("&amp;", "&"))
    assert (location.netloc, location.path) == ("wa.me", "/6281234567890")
    assert "Etalase Sultra" in parse_qs(location.query)["text"][0] and "/usaha/m1" in parse_qs(location.query)["text"][0]
    assert 'href="/usaha/m1?page=1"' in html and 'href="/usaha/m1?page=3"' in html


def test_static_files_are_cached_and_confined(gateway, web_session):
    html = web_session.get("/masuk").text
    url = re.search(r'href="(/static/css/site.css\?v=\w+)"', html).group(1)
    response = web_session.get(url)
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in response.headers["Cache-Control"]
    again = web_session.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert web_session.get("/static/css/site.css").headers["Cache-Control"] == "public, max-age=3600"
    assert web_session.get("/static/js/site.js").headers["Content-Type"].startswith("text/javascript")
    for path in ("/static/../service.py", "/static/%2e%2e/service.py", "/static/nope.css"):
        assert web_session.get(path).status_code == 404


def test_search_box_has_autocomplete_markup(gateway, web_session):
    html = web_session.get("/").text
    assert 'list="q-suggestions"' in html and '<datalist id="q-suggestions">' in html
    assert 'for="q"' in html
    assert web_session.get("/api/v1/suggest", params={"q": "ten"}).json() == {"suggestions": ["tenun ikat"]}



def test_category_names_follow_the_chosen_language(gateway, web_session):
    web_session.get("/bahasa", params={"l": "en", "next": "/"})
    html = assert_html_page(web_session.get("/", params={"q": "tenun"}), lang="en")
    assert "Woven Cloth (45)" in html and "Kain Tenun (45)" not in html  # the category facet
    product = assert_html_page(web_session.get("/produk/p1"), lang="en")
    assert 'href="/?category=tenun">Woven Cloth</a>' in product
    web_session.get("/bahasa", params={"l": "id", "next": "/"})
    assert "Kain Tenun (45)" in assert_html_page(web_session.get("/", params={"q": "tenun"}))
