"""The owners' HTML pages over HTTP: the real gateway container on a real RabbitMQ (fresh
vhost) and database, an owner registered through /daftar; catalog and promotion are fakes
answering in the shapes of their contracts (services/catalog/domain.py, imports.job_to_dict,
/work/notes/promotion_rpc.md, promotion.product_statistics)."""
import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from nameko.rpc import rpc
from sqlalchemy import create_engine, text

from services.gateway.service import GatewayService
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.migrations import upgrade
from tests.gateway.test_site_pages import assert_html_page

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CALLS: list[tuple] = []
STATE: dict = {}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def merchant(merchant_id="m1", owner_id=None, **overrides):
    data = {
        "id": merchant_id, "owner_id": owner_id or STATE.get("owner"), "name": "Koperasi Tenun <b>Masalili</b>",
        "kind": "koperasi", "region": "7402", "region_name": "Muna", "whatsapp": "+6281234567890",
        "description": "Tenun ikat.", "verified": False, "version": 3, "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z", "address": "Jl. Poros Raha", "status": "rejected",
        "status_reason": "Foto KTP pengurus <i>buram</i>", "logo": None,
        "credentials": {"nib": "1234567890123", "pirt_number": None, "halal_number": "ID7411000123",
                        "halal_expires_on": "2028-05-01", "halal_valid": True, "legal_number": "AHU-0001.AH.01",
                        "member_count": 40, "last_rat_year": 2025},
    }
    return {**data, **overrides}


def product(product_id, name, price=150000, status="published", merchant_id="m1"):
    return {
        "id": product_id, "merchant_id": merchant_id, "name": name, "slug": "p", "description": "Kain tenun.",
        "price": price, "stock": 5, "unit": "lembar", "category": "tenun", "category_name": "Kain Tenun",
        "category_parent": "kerajinan", "category_parent_name": "Kerajinan Tangan", "halal": False,
        "halal_claimed": True, "status": status, "region": "7402", "region_name": "Muna",
        "merchant": {"id": merchant_id, "name": "Koperasi", "kind": "koperasi", "region": "7402", "verified": False,
                     "status": "rejected"},
        "version": 4, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "photos": [{"id": "ph1", "urls": {"thumb": "/media/products/p1-160.webp",
                                          "medium": "/media/products/p1-640.webp"}, "width": 640, "height": 480,
                    "alt": ""}],
        "sku": None, "compare_at_price": None, "tags": ["tenun", "oleh-oleh"], "member_business": None,
    }


PRODUCTS = {"p1": product("p1", SCRIPT, 15000), "p2": product("p2", "Kain Tenun Masalili", 250000),
            "draft": product("draft", "Belum terbit", status="draft"),
            "other": product("other", "Milik orang lain", merchant_id="m9")}

IMPORT_JOB = {
    "id": "imp1", "merchant_id": "m1", "filename": "produk <1>.csv", "format": "csv", "status": "done", "error": None,
    "total_rows": 3, "processed_rows": 3,
    "counts": {"total": 3, "created": 1, "updated": 0, "unchanged": 0, "failed": 2},
    "errors": [{"row": 3, "column": "harga", "message": "harus berupa angka bulat (rupiah)"},
               {"row": 4, "column": "kategori", "message": "kategori <tidak> dikenal"}],
    "errors_truncated": False, "created_at": "2026-12-01T00:00:00Z", "started_at": "2026-12-01T00:00:01Z",
    "finished_at": "2026-12-01T00:00:02Z",
}


def _owned(actor, merchant_id):
    if actor.get("role") != "owner":
        raise Forbidden("Hanya pemilik usaha.")
    if merchant_id != "m1" or actor.get("id") != STATE.get("owner"):
        raise Forbidden("Bukan usaha Anda.")


class FakeCatalog:
    name = "catalog"

    @rpc
    def list_categories(self):
        return [{"slug": "tenun", "name": "Kain Tenun", "parent": {"slug": "kerajinan", "name": "Kerajinan Tangan"}},
                {"slug": "anyaman", "name": "Anyaman", "parent": {"slug": "kerajinan", "name": "Kerajinan Tangan"}},
                {"slug": "kopi", "name": "Kopi & Teh", "parent": {"slug": "minuman", "name": "Minuman"}}]

    @rpc
    def list_owner_merchants(self, owner_id):
        CALLS.append(("list_owner_merchants", owner_id))
        return [] if STATE.get("no_business") or owner_id != STATE.get("owner") else [merchant()]

    @rpc(expected_exceptions=NotFound)
    def get_merchant(self, merchant_id):
        if merchant_id == "m1":
            return merchant()
        if merchant_id == "m9":
            return merchant("m9", owner_id="someone-else")
        raise NotFound("Usaha tidak ditemukan.")

    @rpc(expected_exceptions=(ValidationFailed, Forbidden))
    def register_merchant(self, actor, data):
        CALLS.append(("register_merchant", actor, data))
        if len(data.get("name") or "") < 3:
            raise ValidationFailed("Data tidak valid: periksa kolom yang ditandai.", {"name": "harus 3–120 karakter"})
        return merchant("m1", status="pending")

    @rpc(expected_exceptions=(ValidationFailed, Conflict, Forbidden))
    def update_merchant(self, actor, merchant_id, data, expected_version=None):
        CALLS.append(("update_merchant", actor, merchant_id, data, expected_version))
        _owned(actor, merchant_id)
        if expected_version != 3:
            raise Conflict("Data usaha sudah diubah orang lain.", {"version": "3"})
        if data.get("nib") == "123":
            raise ValidationFailed("Data tidak valid: periksa kolom yang ditandai.",
                                   {"nib": "NIB harus tepat 13 angka"})
        return merchant(version=4)

    @rpc(expected_exceptions=(ValidationFailed, Forbidden))
    def set_merchant_logo(self, actor, merchant_id, upload):
        CALLS.append(("set_merchant_logo", actor, merchant_id, upload))
        _owned(actor, merchant_id)
        return merchant()

    @rpc(expected_exceptions=NotFound)
    def list_merchant_products(self, merchant_id, page=1, per_page=50):
        CALLS.append(("list_merchant_products", merchant_id, page, per_page))
        return {"items": [PRODUCTS["p1"], PRODUCTS["p2"], PRODUCTS["draft"]], "total": 3, "page": page,
                "per_page": per_page}

    @rpc(expected_exceptions=NotFound)
    def get_product(self, product_id):
        if product_id not in PRODUCTS:
            raise NotFound("Produk tidak ditemukan.")
        return PRODUCTS[product_id]

    @rpc(expected_exceptions=(ValidationFailed, Forbidden))
    def create_product(self, actor, data):
        CALLS.append(("create_product", actor, data))
        _owned(actor, data.get("merchant_id"))
        if not isinstance(data.get("price"), int):
            raise ValidationFailed("Data tidak valid: periksa kolom yang ditandai.",
                                   {"price": "harus berupa angka bulat (rupiah)", "category": "kategori tidak dikenal"})
        return {**product("p-new", data["name"]), "version": 1}

    @rpc(expected_exceptions=(ValidationFailed, Conflict, Forbidden, NotFound))
    def update_product(self, actor, product_id, data, expected_version=None):
        CALLS.append(("update_product", actor, product_id, data, expected_version))
        if expected_version != 4:
            raise Conflict("Produk sudah diubah orang lain; versi saat ini adalah 5.", {"version": "5"})
        return {**PRODUCTS[product_id], **data, "version": 5}

    @rpc(expected_exceptions=(Conflict, Forbidden, NotFound))
    def delete_product(self, actor, product_id, expected_version=None):
        CALLS.append(("delete_product", actor, product_id, expected_version))
        return {"id": product_id, "merchant_id": "m1", "version": 5}

    @rpc(expected_exceptions=(ValidationFailed, Forbidden, NotFound))
    def add_product_photo(self, actor, product_id, upload, expected_version=None):
        CALLS.append(("add_product_photo", actor, product_id, upload, expected_version))
        if not base64.b64decode(upload["data_b64"]).startswith(b"\x89PNG"):
            raise ValidationFailed("Foto tidak dapat dibaca.", {"photo": "berkas bukan gambar JPEG, PNG atau WebP"})
        return PRODUCTS[product_id]

    @rpc(expected_exceptions=(Forbidden, NotFound))
    def delete_product_photo(self, actor, product_id, photo_id, expected_version=None):
        CALLS.append(("delete_product_photo", actor, product_id, photo_id))
        return PRODUCTS[product_id]

    @rpc(expected_exceptions=(ValidationFailed, Forbidden))
    def start_import(self, actor, merchant_id, filename, data_b64):
        CALLS.append(("start_import", actor, merchant_id, filename, base64.b64decode(data_b64)))
        _owned(actor, merchant_id)
        return {"id": "imp1", "status": "pending"}

    @rpc(expected_exceptions=NotFound)
    def get_import(self, actor, import_id):
        if import_id == "imp1" and actor.get("id") == STATE.get("owner"):
            return IMPORT_JOB
        if import_id == "running":
            return {**IMPORT_JOB, "status": "running", "processed_rows": 1, "errors": [], "finished_at": None,
                    "counts": {**IMPORT_JOB["counts"], "failed": 0}}
        raise NotFound("Impor tidak ditemukan.")


class FakePromotion:
    name = "promotion"

    @rpc
    def product_statistics(self, actor, product_ids, days=30):
        CALLS.append(("product_statistics", actor, product_ids, days))
        return {"days": days, "since": "2026-11-03", "items": {
            "p1": {"impressions": 900, "views": 123, "contacts": 47},
            "p2": {"impressions": 0, "views": 0, "contacts": 0}}}

    @rpc
    def campaigns_for_owner(self, actor):
        CALLS.append(("campaigns_for_owner", actor))
        return {"items": [
            {"id": "c1", "name": "Festival Tenun <Muna>", "description": "Diskon tenun sepekan.", "status": "active",
             "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-08T00:00:00Z",
             "starts_at_wita": "1 Des 2026 08.00 WITA", "ends_at_wita": "8 Des 2026 08.00 WITA",
             "discount": {"type": "percent", "value": 20}, "featured": True, "product_count": 12,
             "open_for_signup": False,
             "my_products": [{"product_id": "p1", "member": True, "opted_out": False},
                             {"product_id": "p2", "member": False, "opted_out": True}]},
            {"id": "c2", "name": "Bazar Akhir Tahun", "description": "", "status": "scheduled",
             "starts_at": "2026-12-20T00:00:00Z", "ends_at": "2026-12-31T00:00:00Z",
             "discount": {"type": "fixed", "value": 5000}, "featured": False, "product_count": 0,
             "open_for_signup": True, "my_products": [{"product_id": "p2", "member": False, "opted_out": False}]},
        ]}

    @rpc(expected_exceptions=(NotFound, Forbidden, Conflict))
    def opt_out(self, actor, campaign_id, product_id):
        CALLS.append(("opt_out", actor, campaign_id, product_id))
        return {"campaign_id": campaign_id, "product_id": product_id, "member": False}

    @rpc(expected_exceptions=(NotFound, Forbidden, Conflict, ValidationFailed))
    def opt_in(self, actor, campaign_id, product_id):
        CALLS.append(("opt_in", actor, campaign_id, product_id))
        if campaign_id == "c2":
            raise Conflict("Kuota produk kampanye sudah penuh.", {"max_products": 10})
        return {"campaign_id": campaign_id, "product_id": product_id, "member": True}


@pytest.fixture(autouse=True)
def clean():
    CALLS.clear()
    STATE.clear()


@pytest.fixture
def start_gateway(rabbit_config, web_config, runner_factory, sqlite_url):
    def start(*fakes):
        upgrade("gateway", sqlite_url)
        config = {"GATEWAY": {"DATABASE_URL": sqlite_url, "RPC_TIMEOUT": 2, "HEALTH_TIMEOUT": 1}}
        runner_factory(config, GatewayService, *fakes).start()
        return sqlite_url

    return start


@pytest.fixture
def gateway(start_gateway):
    return start_gateway(FakeCatalog, FakePromotion)


def csrf_token(web_session, path):
    html = web_session.get(path).text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def register(web_session, database_url, email="wa.ode@example.com", role="owner") -> str:
    token = csrf_token(web_session, "/daftar")
    response = web_session.post("/daftar", data={"csrf_token": token, "name": "Wa Ode", "email": email,
                                                 "password": "rahasia-123", "role": role}, allow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    engine = create_engine(database_url)
    with engine.connect() as connection:
        account_id = connection.execute(text("SELECT id FROM accounts WHERE email = :e"), {"e": email}).scalar_one()
    engine.dispose()
    return account_id


@pytest.fixture
def owner(gateway, web_session):
    STATE["owner"] = register(web_session, gateway)
    return web_session


def calls(name):
    return [call for call in CALLS if call[0] == name]


def post_form(web_session, path, data, files=None, token_from=None):
    token = csrf_token(web_session, token_from or path)
    return web_session.post(path, data={"csrf_token": token, **data}, files=files, allow_redirects=False)


OWNER_PAGES = ["/pemilik", "/pemilik/usaha/baru", "/pemilik/usaha/m1", "/pemilik/produk/baru", "/pemilik/produk/p1",
               "/pemilik/produk/p1/hapus", "/pemilik/impor", "/pemilik/impor/imp1"]


def test_every_owner_page_renders_escaped_in_both_languages(owner):
    for path in OWNER_PAGES:
        html = assert_html_page(owner.get(path))
        assert SCRIPT not in html and "<b>Masalili</b>" not in html, path
        assert "&#34;" not in html, path  # no attribute escaped twice
        assert "Usaha Saya" in html or "Kembali ke Usaha Saya" in html, path
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for input_id in re.findall(r'<(?:input|select|textarea) id="([^"]+)"', html):
            assert input_id in labelled or input_id == "q", (path, input_id)  # a label on every input
    owner.get("/bahasa", params={"l": "en", "next": "/"})
    for path in OWNER_PAGES:
        html = assert_html_page(owner.get(path), lang="en")
        assert "My business" in html, path


@pytest.mark.parametrize("path", OWNER_PAGES)
def test_signed_out_visitors_go_to_sign_in(gateway, web_session, path):
    response = web_session.get(path, allow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/masuk" and parse_qs(location.query)["next"] == [path]


def test_a_promoter_is_refused(gateway, web_session):
    register(web_session, gateway, "promotor@example.com", role="promoter")
    for path in OWNER_PAGES:
        assert_html_page(web_session.get(path), status=403)
    token = csrf_token(web_session, "/")
    response = web_session.post("/pemilik/produk/baru", data={"csrf_token": token, "merchant_id": "m1", "name": "X"})
    assert response.status_code == 403
    assert not calls("create_product") and not calls("list_owner_merchants")


@pytest.mark.parametrize("path", ["/pemilik/usaha/baru", "/pemilik/usaha/m1", "/pemilik/usaha/m1/logo",
                                  "/pemilik/produk/baru", "/pemilik/produk/p1", "/pemilik/produk/p1/hapus",
                                  "/pemilik/produk/p1/foto", "/pemilik/produk/p1/foto/ph1/hapus", "/pemilik/impor",
                                  "/pemilik/kampanye/c1/keluar", "/pemilik/kampanye/c1/ikut"])
def test_forms_posted_without_their_csrf_token_are_refused(owner, path):
    response = owner.post(path, data={"merchant_id": "m1", "name": "Kain", "product_id": "p1", "version": "4"},
                          allow_redirects=False)
    html = assert_html_page(response, status=403)
    assert "Formulir sudah kedaluwarsa" in html
    writes = ("create_product", "update_product", "delete_product", "add_product_photo", "delete_product_photo",
              "register_merchant", "update_merchant", "set_merchant_logo", "start_import", "opt_in", "opt_out")
    assert not [call for call in CALLS if call[0] in writes]


def test_dashboard_lists_products_with_statistics_and_campaigns(owner):
    html = assert_html_page(owner.get("/pemilik"))
    assert "Koperasi Tenun &lt;b&gt;Masalili&lt;/b&gt;" in html
    assert "Ditolak" in html and "Foto KTP pengurus &lt;i&gt;buram&lt;/i&gt;" in html  # status and reason
    assert ESCAPED in html and "Rp 15.000" in html and "Rp 250.000" in html and "5 lembar" in html
    assert "Tayang" in html and "Draf" in html
    assert 'href="/pemilik/produk/p1"' in html and 'href="/pemilik/produk/draft"' in html
    assert 'href="/pemilik/produk/p1/hapus"' in html
    # statistics of the last 30 days, per product
    assert calls("product_statistics")[0][1:] == ({"id": STATE["owner"], "role": "owner"}, ["p1", "p2", "draft"], 30)
    row = re.search(r"<tr>\s*<th scope=\"row\">" + re.escape(ESCAPED) + r"</th>(.*?)</tr>", html, re.S).group(1)
    assert '<td class="num" data-stat="views">123</td>' in row and '<td class="num" data-stat="contacts">47</td>' in row
    assert "30 hari terakhir" in html and "Klik WhatsApp" in html
    # campaigns: p1 is in c1 (opt out), p2 opted out of c1 (opt in again), c2 invites p2 (opt in)
    assert "Festival Tenun &lt;Muna&gt;" in html and "Diskon 20%" in html and "Potongan Rp 5.000" in html
    assert "8 Des 2026 08.00 WITA" in html
    assert html.count('action="/pemilik/kampanye/c1/keluar"') == 1
    assert html.count('action="/pemilik/kampanye/c1/ikut"') == 1 and html.count('action="/pemilik/kampanye/c2/ikut"') == 1
    assert 'name="product_id" value="p1"' in html


def test_dashboard_without_promotion_still_answers(start_gateway, web_session):
    STATE["owner"] = register(web_session, start_gateway(FakeCatalog))
    html = assert_html_page(web_session.get("/pemilik"))
    assert ESCAPED in html and "Rp 15.000" in html
    assert "Statistik sedang tidak tersedia." in html and "Daftar kampanye sedang tidak tersedia." in html
    assert 'data-stat="views">–</td>' in html


def test_without_a_business_the_owner_registers_one(owner):
    STATE["no_business"] = True
    html = assert_html_page(owner.get("/pemilik"))
    assert 'href="/pemilik/usaha/baru"' in html and "belum mendaftarkan usaha" in html
    assert owner.get("/pemilik/produk/baru", allow_redirects=False).headers["Location"] == "/pemilik/usaha/baru"
    html = assert_html_page(owner.get("/pemilik/usaha/baru"))
    assert html.count("<option value=\"74") == 17  # the 17 regions
    response = post_form(owner, "/pemilik/usaha/baru", {"name": "Ko", "kind": "umkm", "region": "7471",
                                                        "whatsapp": "0812 3456 7890", "member_count": ""})
    html = assert_html_page(response, status=422)
    assert "harus 3–120 karakter" in html and 'aria-describedby="name-error"' in html
    assert '<option value="7471" selected>' in html and 'value="0812 3456 7890"' in html
    response = post_form(owner, "/pemilik/usaha/baru", {"name": "Mete Bu Wa Ode", "kind": "umkm", "region": "7471",
                                                        "whatsapp": "0812 3456 7890", "nib": "1234567890123"})
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/usaha/m1?ok=registered"
    data = calls("register_merchant")[-1][2]
    assert data == {"name": "Mete Bu Wa Ode", "kind": "umkm", "region": "7471", "whatsapp": "0812 3456 7890",
                    "nib": "1234567890123"}


def test_business_profile_and_credentials(owner):
    html = assert_html_page(owner.get("/pemilik/usaha/m1"))
    assert 'name="version" value="3"' in html and 'value="AHU-0001.AH.01"' in html and 'value="40"' in html
    assert 'value="2028-05-01"' in html and '<option value="7402" selected>' in html
    assert "Ditolak" in html and "Foto KTP pengurus &lt;i&gt;buram&lt;/i&gt;" in html
    form = {"version": "3", "name": "Koperasi Tenun Masalili", "region": "7402", "whatsapp": "0812-3456-7890",
            "description": "Tenun", "address": "Raha", "nib": "1234567890123", "pirt_number": "",
            "halal_number": "ID7411000123", "halal_expires_on": "2028-05-01", "legal_number": "AHU-1",
            "member_count": "41", "last_rat_year": "2025"}
    response = post_form(owner, "/pemilik/usaha/m1", form)
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/usaha/m1?ok=saved"
    _, actor, merchant_id, data, version = calls("update_merchant")[-1]
    assert actor == {"id": STATE["owner"], "role": "owner"} and merchant_id == "m1" and version == 3
    assert data["member_count"] == 41 and data["last_rat_year"] == 2025 and data["pirt_number"] is None
    assert data["halal_expires_on"] == "2028-05-01" and "kind" not in data
    assert "Perubahan disimpan." in owner.get("/pemilik/usaha/m1?ok=saved").text
    html = assert_html_page(post_form(owner, "/pemilik/usaha/m1", {**form, "nib": "123"}), status=422)
    assert "NIB harus tepat 13 angka" in html and 'aria-describedby="nib-error"' in html and 'value="123"' in html
    html = assert_html_page(post_form(owner, "/pemilik/usaha/m1", {**form, "version": "2"}), status=409)
    assert "sudah diubah di tempat lain" in html
    assert_html_page(owner.get("/pemilik/usaha/m9"), status=404)  # another owner's business


def test_logo_upload(owner):
    response = post_form(owner, "/pemilik/usaha/m1/logo", {}, files={"photo": ("logo.png", PNG, "image/png")},
                         token_from="/pemilik/usaha/m1")
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/usaha/m1?ok=logo"
    upload = calls("set_merchant_logo")[-1][3]
    assert base64.b64decode(upload["data_b64"]) == PNG and upload["filename"] == "logo.png"


def test_a_valid_product_form_creates_the_product(owner):
    html = assert_html_page(owner.get("/pemilik/produk/baru"))
    assert '<optgroup label="Kerajinan Tangan">' in html and '<option value="anyaman">Anyaman</option>' in html
    assert 'name="merchant_id" value="m1"' in html
    response = post_form(owner, "/pemilik/produk/baru", {
        "merchant_id": "m1", "name": "Kain Tenun Masalili", "description": "Warna alam", "price": "Rp 250.000",
        "stock": "12", "unit": "lembar", "category": "tenun", "halal": "1", "status": "draft",
        "tags": "tenun, oleh-oleh , "})
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/produk/p-new?ok=created"
    _, actor, data = calls("create_product")[-1]
    assert actor == {"id": STATE["owner"], "role": "owner"}
    assert data == {"merchant_id": "m1", "name": "Kain Tenun Masalili", "description": "Warna alam", "price": 250000,
                    "stock": 12, "unit": "lembar", "category": "tenun", "halal": True, "status": "draft",
                    "tags": ["tenun", "oleh-oleh"]}


def test_a_refused_product_form_shows_the_messages_next_to_the_fields(owner):
    response = post_form(owner, "/pemilik/produk/baru", {
        "merchant_id": "m1", "name": "Kain <b>Tenun</b>", "price": "lima ribu", "stock": "3", "category": "",
        "status": "published"})
    html = assert_html_page(response, status=422)
    assert "Periksa kembali isian yang ditandai." in html
    assert '<p class="field-error" id="price-error">harus berupa angka bulat (rupiah)</p>' in html
    assert ('<input id="price" name="price" type="text" value="lima ribu" required maxlength="20" inputmode="numeric" '
            'aria-describedby="price-hint price-error" aria-invalid="true">') in html
    assert '<p class="field-error" id="category-error">kategori tidak dikenal</p>' in html
    assert 'value="lima ribu"' in html and 'value="Kain &lt;b&gt;Tenun&lt;/b&gt;"' in html
    assert calls("create_product")[-1][2]["price"] == "lima ribu"


def test_edit_carries_the_version_and_a_conflict_is_explained(owner):
    html = assert_html_page(owner.get("/pemilik/produk/p1"))
    assert 'name="version" value="4"' in html and 'value="15000"' in html and 'value="tenun, oleh-oleh"' in html
    assert 'name="halal" value="1" checked' in html  # what the owner claimed, not the effective mark
    assert 'src="/media/products/p1-160.webp"' in html and 'action="/pemilik/produk/p1/foto/ph1/hapus"' in html
    form = {"version": "4", "name": "Kain", "price": "16.000", "stock": "4", "category": "tenun",
            "status": "published", "unit": "lembar", "tags": ""}
    response = post_form(owner, "/pemilik/produk/p1", form)
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/produk/p1?ok=saved"
    _, _, product_id, data, version = calls("update_product")[-1]
    assert product_id == "p1" and version == 4 and data["price"] == 16000 and data["tags"] == []
    html = assert_html_page(post_form(owner, "/pemilik/produk/p1", {**form, "version": "3"}), status=409)
    assert "sudah diubah di tempat lain" in html and 'value="16.000"' in html
    assert_html_page(owner.get("/pemilik/produk/other"), status=404)  # another owner's product
    assert_html_page(owner.get("/pemilik/produk/nope"), status=404)


def test_photo_upload_passes_the_file_and_delete(owner):
    response = post_form(owner, "/pemilik/produk/p1/foto", {"alt": "Kain merah"},
                         files={"photo": ("kain.png", PNG, "image/png")}, token_from="/pemilik/produk/p1")
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/produk/p1?ok=photo_added#foto"
    _, _, product_id, upload, _ = calls("add_product_photo")[-1]
    assert product_id == "p1" and base64.b64decode(upload["data_b64"]) == PNG
    assert upload["filename"] == "kain.png" and upload["content_type"] == "image/png" and upload["alt"] == "Kain merah"
    response = post_form(owner, "/pemilik/produk/p1/foto", {}, files={"photo": ("x.png", b"bukan", "image/png")},
                         token_from="/pemilik/produk/p1")
    html = assert_html_page(response, status=422)
    assert "berkas bukan gambar" in html and 'id="photo-error"' in html
    response = post_form(owner, "/pemilik/produk/p1/foto", {}, token_from="/pemilik/produk/p1")
    assert_html_page(response, status=422)
    big = PNG + b"\x00" * (5 * 1024 * 1024)
    response = post_form(owner, "/pemilik/produk/p1/foto", {}, files={"photo": ("big.png", big, "image/png")},
                         token_from="/pemilik/produk/p1")
    assert_html_page(response, status=413)
    assert len(calls("add_product_photo")) == 2
    response = post_form(owner, "/pemilik/produk/p1/foto/ph1/hapus", {}, token_from="/pemilik/produk/p1")
    assert response.headers["Location"] == "/pemilik/produk/p1?ok=photo_deleted#foto"
    assert calls("delete_product_photo")[-1][2:] == ("p1", "ph1")


def test_delete_asks_then_deletes_with_the_version(owner):
    html = assert_html_page(owner.get("/pemilik/produk/p1/hapus"))
    assert ESCAPED in html and 'name="version" value="4"' in html
    response = post_form(owner, "/pemilik/produk/p1/hapus", {"version": "4"})
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik?ok=deleted"
    assert calls("delete_product")[-1][2:] == ("p1", 4)
    assert "Produk dihapus." in owner.get("/pemilik?ok=deleted").text


def test_import_upload_then_status_with_row_errors(owner):
    html = assert_html_page(owner.get("/pemilik/impor"))
    assert 'href="/api/v1/imports/template.xlsx"' in html and 'enctype="multipart/form-data"' in html
    csv = "nama,harga\nKain,15000\n".encode()
    response = post_form(owner, "/pemilik/impor", {"merchant_id": "m1"}, files={"file": ("produk.csv", csv, "text/csv")})
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/impor/imp1"
    assert calls("start_import")[-1][2:] == ("m1", "produk.csv", csv)
    html = assert_html_page(owner.get("/pemilik/impor/imp1"))
    assert "Selesai" in html and "produk &lt;1&gt;.csv" in html
    assert '<td class="num">3</td><td>harga</td><td>harus berupa angka bulat (rupiah)</td>' in html
    assert "kategori &lt;tidak&gt; dikenal" in html and "Muat ulang" not in html
    assert "1 Des 2026 08.00 WITA" in html
    html = assert_html_page(owner.get("/pemilik/impor/running"))
    assert "Sedang diproses" in html and 'href="/pemilik/impor/running"' in html and "Muat ulang" in html
    assert "1 dari 3 baris diproses." in html
    assert_html_page(owner.get("/pemilik/impor/nope"), status=404)
    response = post_form(owner, "/pemilik/impor", {"merchant_id": "m1"})
    html = assert_html_page(response, status=422)
    assert 'id="file-error"' in html


def test_opt_out_and_opt_in(owner):
    response = post_form(owner, "/pemilik/kampanye/c1/keluar", {"product_id": "p1"}, token_from="/pemilik")
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik?ok=opted_out#kampanye"
    assert calls("opt_out")[-1][1:] == ({"id": STATE["owner"], "role": "owner"}, "c1", "p1")
    assert "Produk dikeluarkan dari kampanye." in owner.get("/pemilik?ok=opted_out").text
    response = post_form(owner, "/pemilik/kampanye/c1/ikut", {"product_id": "p2"}, token_from="/pemilik")
    assert response.headers["Location"] == "/pemilik?ok=opted_in#kampanye"
    html = assert_html_page(post_form(owner, "/pemilik/kampanye/c2/ikut", {"product_id": "p2"},
                                      token_from="/pemilik"), status=409)
    assert "Kuota produk kampanye sudah penuh." in html
    assert owner.get("/pemilik?ok=<script>").text.count("notice ok") == 0
