"""The owners' HTML pages over HTTP: the real gateway container on a real RabbitMQ (fresh
vhost) and database, an owner registered through /daftar; catalog and promotion are the
fakes of gateway_fakes.py, answering in the shapes of their contracts
(services/catalog/domain.py, imports.job_to_dict, docs/contracts/promotion-rpc.md,
promotion.product_statistics)."""
import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from services.gateway.models import Account
from shared.errors import Conflict, IdempotencyKeyReused, ServiceUnavailable

from gateway_fakes import FakeCatalog, FakePromotion
from gateway_helpers import ESCAPED_SCRIPT, SCRIPT, assert_html_page, csrf_token, register_on_site

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def merchant(merchant_id="m1", owner_id=None, **overrides):
    data = {
        "id": merchant_id, "owner_id": owner_id, "name": "Koperasi Tenun <b>Masalili</b>",
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

RUNNING_JOB = {**IMPORT_JOB, "id": "running", "status": "running", "processed_rows": 1, "errors": [],
               "finished_at": None, "counts": {**IMPORT_JOB["counts"], "failed": 0}}


@pytest.fixture(autouse=True)
def promotion(fakes):
    """Statistics of the owner's products and the campaigns they are in or invited to."""
    fakes.promotion.statistics = {"since": "2026-11-03", "items": {
        "p1": {"impressions": 900, "views": 123, "contacts": 47},
        "p2": {"impressions": 0, "views": 0, "contacts": 0}}}
    fakes.promotion.owner_campaigns = [
        {"id": "c1", "name": "Festival Tenun <Muna>", "description": "Diskon tenun sepekan.", "status": "active",
         "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-08T00:00:00Z",
         "starts_at_wita": "1 Des 2026 08.00 WITA", "ends_at_wita": "8 Des 2026 08.00 WITA",
         "discount": {"type": "percent", "value": 20}, "featured": True, "product_count": 12,
         "open_for_signup": False, "funded_by": "pemda", "requires_join": True,
         "my_products": [{"product_id": "p1", "merchant_id": "m1", "state": "joined", "member": True,
                          "opted_out": False, "price": 100000, "effective_price": 80000},
                         {"product_id": "p2", "merchant_id": "m1", "state": "out", "member": False,
                          "opted_out": True, "price": 250000, "effective_price": 200000}]},
        {"id": "c2", "name": "Bazar Akhir Tahun", "description": "", "status": "scheduled",
         "starts_at": "2026-12-20T00:00:00Z", "ends_at": "2026-12-31T00:00:00Z",
         "discount": {"type": "fixed", "value": 5000}, "featured": False, "product_count": 0,
         "open_for_signup": True, "my_products": [{"product_id": "p2", "member": False, "opted_out": False}]},
    ]


def open_shop(fakes, owner_id) -> None:
    """The owner's business m1 with its products and imports, and someone else's m9."""
    fakes.catalog.add_merchants(merchant(owner_id=owner_id), merchant("m9", owner_id="someone-else"))
    fakes.catalog.add_products(*PRODUCTS.values())
    fakes.catalog.add_imports({**IMPORT_JOB, "owner_id": owner_id}, {**RUNNING_JOB, "owner_id": owner_id})


@pytest.fixture
def gateway(start_gateway):
    return start_gateway(FakeCatalog, FakePromotion)


def register(web_session, session_factory, email="wa.ode@example.com", role="owner") -> str:
    """Registers through /daftar (signed in afterwards); returns the new account's id."""
    response = register_on_site(web_session, email, role)
    assert response.status_code == 303, response.text[:500]
    with session_factory() as session:
        return session.scalars(select(Account.id).where(Account.email == email)).one()


@pytest.fixture
def owner_id(gateway, web_session, fakes) -> str:
    """The account id of the owner signed in on ``web_session``, who has opened the shop."""
    account_id = register(web_session, gateway)
    open_shop(fakes, account_id)
    return account_id


@pytest.fixture
def owner(owner_id, web_session):
    """The signed-in owner's browser."""
    return web_session


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


def test_a_promoter_is_refused(gateway, web_session, fakes):
    register(web_session, gateway, "promotor@example.com", role="promoter")
    for path in OWNER_PAGES:
        assert_html_page(web_session.get(path), status=403)
    token = csrf_token(web_session, "/")
    response = web_session.post("/pemilik/produk/baru", data={"csrf_token": token, "merchant_id": "m1", "name": "X"})
    assert response.status_code == 403
    assert not fakes.calls_to("create_product") and not fakes.calls_to("list_owner_merchants")


@pytest.mark.parametrize("path", ["/pemilik/usaha/baru", "/pemilik/usaha/m1", "/pemilik/usaha/m1/logo",
                                  "/pemilik/produk/baru", "/pemilik/produk/p1", "/pemilik/produk/p1/hapus",
                                  "/pemilik/produk/p1/foto", "/pemilik/produk/p1/foto/ph1/hapus", "/pemilik/impor",
                                  "/pemilik/kampanye/c1/keluar", "/pemilik/kampanye/c1/ikut"])
def test_forms_posted_without_their_csrf_token_are_refused(owner, path, fakes):
    response = owner.post(path, data={"merchant_id": "m1", "name": "Kain", "product_id": "p1", "version": "4"},
                          allow_redirects=False)
    html = assert_html_page(response, status=403)
    assert "Formulir sudah kedaluwarsa" in html
    writes = ("create_product", "update_product", "delete_product", "add_product_photo", "delete_product_photo",
              "register_merchant", "update_merchant", "set_merchant_logo", "start_import", "opt_in", "opt_out")
    assert not [call for call in fakes.calls if call[0] in writes]


def test_dashboard_lists_products_with_statistics_and_campaigns(owner, fakes, owner_id):
    html = assert_html_page(owner.get("/pemilik"))
    assert "Koperasi Tenun &lt;b&gt;Masalili&lt;/b&gt;" in html
    assert "Ditolak" in html and "Foto KTP pengurus &lt;i&gt;buram&lt;/i&gt;" in html  # status and reason
    assert ESCAPED_SCRIPT in html and "Rp 15.000" in html and "Rp 250.000" in html and "5 lembar" in html
    assert "Tayang" in html and "Draf" in html
    assert 'href="/pemilik/produk/p1"' in html and 'href="/pemilik/produk/draft"' in html
    assert 'href="/pemilik/produk/p1/hapus"' in html
    # statistics of the last 30 days, per product
    assert fakes.calls_to("product_statistics")[0][1:] == ({"id": owner_id, "role": "owner"}, ["p1", "p2", "draft"], 30)
    row = re.search(r"<tr>\s*<th scope=\"row\">" + re.escape(ESCAPED_SCRIPT) + r"</th>(.*?)</tr>", html, re.S).group(1)
    # each cell names its column (data-label): below 600 px the rows are stacked cards
    assert '<td class="num" data-stat="views" data-label="Dilihat">123</td>' in row
    assert '<td class="num" data-stat="contacts" data-label="Klik WhatsApp">47</td>' in row
    assert "30 hari terakhir" in html and "Klik WhatsApp" in html
    # invitations: p1 joined c1 (take it out), p2 left c1 (join again, or "Ikut semua" for m1);
    # c2 (an older answer without states) invites p2 (join)
    assert "Festival Tenun &lt;Muna&gt;" in html and "Diskon 20%" in html and "Potongan Rp 5.000" in html
    assert "8 Des 2026 08.00 WITA" in html and "Didanai oleh Pemerintah daerah" in html
    assert "Harga produk Anda hanya berubah jika Anda ikut." in html
    assert "<s>Rp 100.000</s> Rp 80.000" in html and "Diundang" in html and "Tidak ikut" in html
    assert html.count('action="/pemilik/kampanye/c1/keluar"') == 1
    assert html.count('action="/pemilik/kampanye/c1/ikut"') == 2 and html.count('action="/pemilik/kampanye/c2/ikut"') == 1
    assert html.count(">Ikut semua</button>") == 1 and 'name="merchant_id" value="m1"' in html
    assert 'aria-label="Ikut semua: ikutkan semua produk yang diundang dalam Festival Tenun &lt;Muna&gt;"' in html
    assert 'name="product_id" value="p1"' in html


def test_dashboard_without_promotion_still_answers(start_gateway, web_session, fakes):
    open_shop(fakes, register(web_session, start_gateway(FakeCatalog)))
    html = assert_html_page(web_session.get("/pemilik"))
    assert ESCAPED_SCRIPT in html and "Rp 15.000" in html
    assert "Statistik sedang tidak tersedia." in html and "Daftar kampanye sedang tidak tersedia." in html
    assert 'data-stat="views" data-label="Dilihat">–</td>' in html


def test_without_a_business_the_owner_registers_one(owner, fakes):
    del fakes.catalog.merchants["m1"]
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
    data = fakes.calls_to("register_merchant")[-1][2]
    assert data == {"name": "Mete Bu Wa Ode", "kind": "umkm", "region": "7471", "whatsapp": "0812 3456 7890",
                    "nib": "1234567890123"}


def test_business_profile_and_credentials(owner, fakes, owner_id):
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
    _, actor, merchant_id, data, version = fakes.calls_to("update_merchant")[-1]
    assert actor == {"id": owner_id, "role": "owner"} and merchant_id == "m1" and version == 3
    assert data["member_count"] == 41 and data["last_rat_year"] == 2025 and data["pirt_number"] is None
    assert data["halal_expires_on"] == "2028-05-01" and "kind" not in data
    assert "Perubahan disimpan." in owner.get("/pemilik/usaha/m1?ok=saved").text
    html = assert_html_page(post_form(owner, "/pemilik/usaha/m1", {**form, "nib": "123"}), status=422)
    assert "NIB harus tepat 13 angka" in html and 'aria-describedby="nib-error"' in html and 'value="123"' in html
    html = assert_html_page(post_form(owner, "/pemilik/usaha/m1", {**form, "version": "2"}), status=409)
    assert "sudah diubah di tempat lain" in html
    assert_html_page(owner.get("/pemilik/usaha/m9"), status=404)  # another owner's business


REVERIFY_HINT = "Usaha sudah terverifikasi: mengubah isian ini mengirimnya kembali ke verifikasi Dinas."


def test_a_verified_business_is_warned_and_told_when_it_goes_back_to_verification(owner, fakes, monkeypatch):
    catalog = fakes.catalog
    catalog.merchants["m1"].update(status="verified", status_reason=None)
    html = assert_html_page(owner.get("/pemilik/usaha/m1"))
    for field in ("name", "nib", "pirt_number", "halal_number", "legal_number"):
        assert f'<p class="meta" id="{field}-hint">{REVERIFY_HINT}</p>' in html, field
        assert f'id="{field}" name="{field}"' in html and f'aria-describedby="{field}-hint"' in html
    assert html.count(REVERIFY_HINT) == 5  # not beside the address, WhatsApp or member count
    plain_update = catalog.update_merchant

    def update_merchant(actor, merchant_id, data, expected_version=None):  # the catalog's answer to a new NIB
        merchant = plain_update(actor, merchant_id, data, expected_version)
        merchant["status"] = "pending"
        return merchant

    monkeypatch.setattr(catalog, "update_merchant", update_merchant)
    form = {**merchant_values_form(), "nib": "9999999999999"}
    response = post_form(owner, "/pemilik/usaha/m1", form)
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/usaha/m1?ok=reverify"
    html = assert_html_page(owner.get(response.headers["Location"]))
    assert "Usaha menunggu verifikasi ulang Dinas." in html and REVERIFY_HINT not in html
    # a save the catalog leaves verified is just saved
    catalog.merchants["m1"]["status"] = "verified"
    monkeypatch.setattr(catalog, "update_merchant", plain_update)
    form = {**form, "version": str(catalog.merchants["m1"]["version"]), "address": "Raha"}
    assert post_form(owner, "/pemilik/usaha/m1", form).headers["Location"] == "/pemilik/usaha/m1?ok=saved"


def test_an_unverified_business_gets_no_reverification_warning(owner):
    assert REVERIFY_HINT not in assert_html_page(owner.get("/pemilik/usaha/m1"))  # rejected


def merchant_values_form():
    return {"version": "3", "name": "Koperasi Tenun Masalili", "region": "7402", "whatsapp": "0812-3456-7890",
            "description": "Tenun", "address": "Raha", "nib": "1234567890123", "pirt_number": "",
            "halal_number": "ID7411000123", "halal_expires_on": "2028-05-01", "legal_number": "AHU-1",
            "member_count": "41", "last_rat_year": "2025"}


def test_logo_upload(owner, fakes):
    response = post_form(owner, "/pemilik/usaha/m1/logo", {}, files={"photo": ("logo.png", PNG, "image/png")},
                         token_from="/pemilik/usaha/m1")
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/usaha/m1?ok=logo"
    upload = fakes.calls_to("set_merchant_logo")[-1][3]
    assert base64.b64decode(upload["data_b64"]) == PNG and upload["filename"] == "logo.png"


def test_a_valid_product_form_creates_the_product(owner, fakes, owner_id):
    html = assert_html_page(owner.get("/pemilik/produk/baru"))
    assert '<optgroup label="Kerajinan Tangan">' in html and '<option value="anyaman">Anyaman</option>' in html
    assert 'name="merchant_id" value="m1"' in html
    response = post_form(owner, "/pemilik/produk/baru", {
        "merchant_id": "m1", "name": "Kain Tenun Masalili", "description": "Warna alam", "price": "Rp 250.000",
        "stock": "12", "unit": "lembar", "category": "tenun", "halal": "1", "status": "draft",
        "tags": "tenun, oleh-oleh , "})
    # the fake catalog numbers a new product after p1 and p2
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/produk/p3?ok=created"
    _, actor, data = fakes.calls_to("create_product")[-1]
    assert actor == {"id": owner_id, "role": "owner"}
    assert data == {"merchant_id": "m1", "name": "Kain Tenun Masalili", "description": "Warna alam", "price": 250000,
                    "stock": 12, "unit": "lembar", "category": "tenun", "halal": True, "status": "draft",
                    "tags": ["tenun", "oleh-oleh"]}


def form_key(html: str) -> str:
    return re.search(r'name="form_key" value="([0-9a-f]{32})"', html).group(1)


def test_the_new_product_form_carries_its_own_key_to_the_catalog(owner, fakes):
    """A double tap or a form sent again after a lost answer is the same create: the catalog
    gets one key per shown form, with the same fingerprint for the same entries."""
    key = form_key(owner.get("/pemilik/produk/baru").text)
    assert form_key(owner.get("/pemilik/produk/baru").text) != key  # each shown form its own
    form = {"form_key": key, "merchant_id": "m1", "name": "Kain Tenun Masalili", "price": "250000", "stock": "2",
            "unit": "lembar", "category": "tenun", "status": "draft"}
    for _ in range(2):
        assert post_form(owner, "/pemilik/produk/baru", form).status_code == 303
    first, second = fakes.keys[-2:]
    assert first == second and first["key"] == f"form:{key}" and len(first["fingerprint"]) == 64
    assert post_form(owner, "/pemilik/produk/baru", {**form, "name": "Kain Tenun Lain"}).status_code == 303
    assert fakes.keys[-1]["key"] == first["key"] and fakes.keys[-1]["fingerprint"] != first["fingerprint"]
    del form["form_key"]  # a page shown before forms had keys: created as before, unkeyed
    assert post_form(owner, "/pemilik/produk/baru", form).status_code == 303 and fakes.keys[-1] is None


def test_a_form_key_that_made_something_else_is_said_plainly_and_the_form_gets_a_new_one(owner, fakes):
    key = form_key(owner.get("/pemilik/produk/baru").text)
    fakes.catalog.raises["create_product"] = IdempotencyKeyReused()
    response = post_form(owner, "/pemilik/produk/baru", {
        "form_key": key, "merchant_id": "m1", "name": "Kain Tenun Masalili", "price": "250000", "stock": "2",
        "unit": "lembar", "category": "tenun", "status": "draft"})
    assert response.status_code == 422
    assert "Formulir ini sudah pernah dikirim dengan isian lain" in response.text
    assert form_key(response.text) != key and 'value="Kain Tenun Masalili"' in response.text  # entries kept


def test_a_refused_product_form_shows_the_messages_next_to_the_fields(owner, fakes):
    response = post_form(owner, "/pemilik/produk/baru", {
        "merchant_id": "m1", "name": "Kain <b>Tenun</b>", "price": "15000", "stock": "3", "category": "",
        "status": "published"})
    html = assert_html_page(response, status=422)
    assert "Periksa kembali isian yang ditandai." in html
    assert '<p class="field-error" id="category-error">kategori tidak dikenal</p>' in html
    assert 'value="15000"' in html and 'value="Kain &lt;b&gt;Tenun&lt;/b&gt;"' in html


@pytest.mark.parametrize("field", ["price", "compare_at_price"])
def test_an_unreadable_price_is_refused_beside_its_field_and_nothing_is_written(owner, fakes, field):
    form = {"merchant_id": "m1", "name": "Kain", "price": "15000", "stock": "3", "category": "tenun",
            "status": "published", field: "lima ribu"}
    html = assert_html_page(post_form(owner, "/pemilik/produk/baru", form), status=422)
    hint = "Tulis harga dalam rupiah, mis. 100000, 100.000 atau Rp 100.000."
    assert f'<p class="field-error" id="{field}-error">{hint}</p>' in html
    assert (f'<input id="{field}" name="{field}" type="text" value="lima ribu"' in html
            and f'aria-describedby="{field}-hint {field}-error" aria-invalid="true">' in html)
    edit = {**form, "version": "4"}
    assert_html_page(post_form(owner, "/pemilik/produk/p1", edit), status=422)
    assert fakes.calls_to("create_product") == [] and fakes.calls_to("update_product") == []


def test_sku_compare_at_price_and_member_business_reach_the_catalog(owner, fakes):
    html = assert_html_page(owner.get("/pemilik/produk/baru"))
    assert 'id="sku"' in html and 'id="compare_at_price"' in html and 'id="member_business"' in html
    assert 'enctype="multipart/form-data"' in html and '<input id="photo" name="photo" type="file"' in html
    form = {"merchant_id": "m1", "name": "Kain", "price": "Rp 100.000", "compare_at_price": "Rp125.000,-",
            "sku": "TNN-01", "member_business": "Tenun Ibu Wa Ode", "stock": "3", "unit": "lembar",
            "category": "tenun", "status": "published"}
    assert post_form(owner, "/pemilik/produk/baru", form).status_code == 303
    data = fakes.calls_to("create_product")[-1][2]
    assert data["price"] == 100000 and data["compare_at_price"] == 125000 and data["sku"] == "TNN-01"
    assert data["member_business"] == "Tenun Ibu Wa Ode" and data["unit"] == "lembar"
    # on the edit page a blank field clears it
    edit = {**form, "version": "4", "sku": "", "compare_at_price": "", "member_business": ""}
    assert post_form(owner, "/pemilik/produk/p1", edit).status_code == 303
    data = fakes.calls_to("update_product")[-1][3]
    assert data["sku"] is None and data["compare_at_price"] is None and data["member_business"] is None
    html = assert_html_page(owner.get("/pemilik/produk/p1"))
    assert 'id="member_business"' in html and 'type="file"' in html  # the photo form below, not in the first step


def test_the_compare_at_price_must_be_above_the_price(owner, fakes):
    form = {"version": "4", "name": "Kain", "price": "100.000", "compare_at_price": "100000", "stock": "3",
            "category": "tenun", "status": "published"}
    html = assert_html_page(post_form(owner, "/pemilik/produk/p1", form), status=422)
    assert '<p class="field-error" id="compare_at_price-error">Harga coret harus lebih besar dari harga.</p>' in html
    assert fakes.calls_to("update_product") == []


def test_member_business_is_only_for_a_koperasi(owner, fakes):
    fakes.catalog.merchants["m1"]["kind"] = "umkm"
    assert 'id="member_business"' not in assert_html_page(owner.get("/pemilik/produk/baru"))
    assert 'id="member_business"' not in assert_html_page(owner.get("/pemilik/produk/p1"))
    form = {"merchant_id": "m1", "name": "Kain", "price": "100000", "member_business": "Tenun Ibu", "stock": "3",
            "category": "tenun", "status": "published"}
    assert post_form(owner, "/pemilik/produk/baru", form).status_code == 303
    assert "member_business" not in fakes.calls_to("create_product")[-1][2]


def test_a_product_with_its_photo_in_one_submit(owner, fakes):
    form = {"merchant_id": "m1", "name": "Kain", "price": "100000", "stock": "3", "category": "tenun",
            "status": "published", "alt": "Kain merah"}
    response = post_form(owner, "/pemilik/produk/baru", form, files={"photo": ("kain.png", PNG, "image/png")})
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/produk/p3?ok=created_with_photo"
    _, _, product_id, upload = fakes.calls_to("add_product_photo")[-1][:4]
    assert product_id == "p3" and base64.b64decode(upload["data_b64"]) == PNG and upload["alt"] == "Kain merah"
    assert len(fakes.catalog.products["p3"]["photos"]) == 1
    assert "Produk dan fotonya ditambahkan." in owner.get(response.headers["Location"]).text


def test_a_refused_photo_keeps_the_new_product_and_the_edit_page_says_why(owner, fakes):
    form = {"merchant_id": "m1", "name": "Kain", "price": "100000", "stock": "3", "category": "tenun",
            "status": "published"}
    response = post_form(owner, "/pemilik/produk/baru", form, files={"photo": ("kain.png", b"not a photo", "image/png")})
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/produk/p3?ok=photo_refused"
    assert "p3" in fakes.catalog.products and fakes.catalog.products["p3"]["photos"] == []
    html = assert_html_page(owner.get(response.headers["Location"]))
    assert ('<p class="notice" role="status">Produk ditambahkan, tetapi fotonya tidak tersimpan: berkas bukan foto '
            'JPEG, PNG atau WebP yang dapat dibaca. Unggah foto lain di bawah.</p>') in html


def test_a_catalog_failure_on_the_photo_keeps_the_new_product(owner, fakes):
    fakes.catalog.raises["add_product_photo"] = ServiceUnavailable()
    form = {"merchant_id": "m1", "name": "Kain", "price": "100000", "stock": "3", "category": "tenun",
            "status": "published"}
    response = post_form(owner, "/pemilik/produk/baru", form, files={"photo": ("kain.png", PNG, "image/png")})
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/produk/p3?ok=photo_failed"
    assert "p3" in fakes.catalog.products and len(fakes.calls_to("create_product")) == 1
    html = assert_html_page(owner.get(response.headers["Location"]))
    assert "Produk ditambahkan, tetapi fotonya gagal diunggah." in html


def test_a_product_without_a_photo_does_not_call_the_photo_upload(owner, fakes):
    form = {"merchant_id": "m1", "name": "Kain", "price": "100000", "stock": "3", "category": "tenun",
            "status": "published"}
    response = post_form(owner, "/pemilik/produk/baru", form, files={"photo": ("", b"", "application/octet-stream")})
    assert response.headers["Location"] == "/pemilik/produk/p3?ok=created"
    assert fakes.calls_to("add_product_photo") == []


def test_edit_carries_the_version_and_a_conflict_is_explained(owner, fakes):
    html = assert_html_page(owner.get("/pemilik/produk/p1"))
    assert 'name="version" value="4"' in html and 'value="15000"' in html and 'value="tenun, oleh-oleh"' in html
    assert 'name="halal" value="1" checked' in html  # what the owner claimed, not the effective mark
    assert 'src="/media/products/p1-160.webp"' in html and 'action="/pemilik/produk/p1/foto/ph1/hapus"' in html
    form = {"version": "4", "name": "Kain", "price": "16.000", "stock": "4", "category": "tenun",
            "status": "published", "unit": "lembar", "tags": ""}
    response = post_form(owner, "/pemilik/produk/p1", form)
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/produk/p1?ok=saved"
    _, _, product_id, data, version = fakes.calls_to("update_product")[-1]
    assert product_id == "p1" and version == 4 and data["price"] == 16000 and data["tags"] == []
    html = assert_html_page(post_form(owner, "/pemilik/produk/p1", {**form, "version": "3"}), status=409)
    assert "sudah diubah di tempat lain" in html and 'value="16.000"' in html
    assert_html_page(owner.get("/pemilik/produk/other"), status=404)  # another owner's product
    assert_html_page(owner.get("/pemilik/produk/nope"), status=404)


def test_photo_upload_passes_the_file_and_delete(owner, fakes):
    response = post_form(owner, "/pemilik/produk/p1/foto", {"alt": "Kain merah"},
                         files={"photo": ("kain.png", PNG, "image/png")}, token_from="/pemilik/produk/p1")
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/produk/p1?ok=photo_added#foto"
    _, _, product_id, upload, _ = fakes.calls_to("add_product_photo")[-1]
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
    assert len(fakes.calls_to("add_product_photo")) == 2
    response = post_form(owner, "/pemilik/produk/p1/foto/ph1/hapus", {}, token_from="/pemilik/produk/p1")
    assert response.headers["Location"] == "/pemilik/produk/p1?ok=photo_deleted#foto"
    assert fakes.calls_to("delete_product_photo")[-1][2:4] == ("p1", "ph1")


def test_delete_asks_then_deletes_with_the_version(owner, fakes):
    html = assert_html_page(owner.get("/pemilik/produk/p1/hapus"))
    assert ESCAPED_SCRIPT in html and 'name="version" value="4"' in html
    response = post_form(owner, "/pemilik/produk/p1/hapus", {"version": "4"})
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik?ok=deleted"
    assert fakes.calls_to("delete_product")[-1][2:] == ("p1", 4)
    assert "Produk dihapus." in owner.get("/pemilik?ok=deleted").text


def test_import_upload_then_status_with_row_errors(owner, fakes):
    html = assert_html_page(owner.get("/pemilik/impor"))
    assert 'href="/api/v1/imports/template.xlsx"' in html and 'enctype="multipart/form-data"' in html
    csv = "nama,harga\nKain,15000\n".encode()
    response = post_form(owner, "/pemilik/impor", {"merchant_id": "m1"}, files={"file": ("produk.csv", csv, "text/csv")})
    # the fake catalog numbers a new import after imp1
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik/impor/imp2"
    assert fakes.calls_to("start_import")[-1][2:] == ("m1", "produk.csv", csv)
    html = assert_html_page(owner.get("/pemilik/impor/imp1"))
    assert "Selesai" in html and "produk &lt;1&gt;.csv" in html
    assert ('<td class="num" data-label="Baris">3</td><td data-label="Kolom">harga</td>'
            '<td data-label="Masalah">harus berupa angka bulat (rupiah)</td>') in html
    assert "kategori &lt;tidak&gt; dikenal" in html and "Muat ulang" not in html
    assert "1 Des 2026 08.00 WITA" in html
    html = assert_html_page(owner.get("/pemilik/impor/running"))
    assert "Sedang diproses" in html and 'href="/pemilik/impor/running"' in html and "Muat ulang" in html
    assert "1 dari 3 baris diproses." in html
    assert_html_page(owner.get("/pemilik/impor/nope"), status=404)
    response = post_form(owner, "/pemilik/impor", {"merchant_id": "m1"})
    html = assert_html_page(response, status=422)
    assert 'id="file-error"' in html


def test_opt_out_and_opt_in(owner, fakes, owner_id):
    response = post_form(owner, "/pemilik/kampanye/c1/keluar", {"product_id": "p1"}, token_from="/pemilik")
    assert response.status_code == 303 and response.headers["Location"] == "/pemilik?ok=opted_out#kampanye"
    assert fakes.calls_to("opt_out")[-1][1:] == ({"id": owner_id, "role": "owner"}, "c1", {"product_ids": ["p1"]})
    assert "Produk dikeluarkan dari kampanye." in owner.get("/pemilik?ok=opted_out").text
    response = post_form(owner, "/pemilik/kampanye/c1/ikut", {"product_id": "p2"}, token_from="/pemilik")
    assert response.headers["Location"] == "/pemilik?ok=opted_in#kampanye"
    # "Ikut semua": every invited product of the business in one call
    response = post_form(owner, "/pemilik/kampanye/c1/ikut", {"merchant_id": "m1", "all": "1"}, token_from="/pemilik")
    assert response.headers["Location"] == "/pemilik?ok=opted_in_all#kampanye"
    assert fakes.calls_to("opt_in")[-1][1:] == ({"id": owner_id, "role": "owner"}, "c1",
                                                {"merchant_id": "m1", "all": True})
    assert "Semua produk yang diundang diikutkan dalam kampanye." in owner.get("/pemilik?ok=opted_in_all").text
    calls = len(fakes.calls_to("opt_in"))
    assert_html_page(post_form(owner, "/pemilik/kampanye/c1/ikut", {"merchant_id": "m1"}, token_from="/pemilik"),
                     status=404)  # neither a product nor "all"
    assert len(fakes.calls_to("opt_in")) == calls
    fakes.promotion.raises["opt_in"] = Conflict("Kuota produk kampanye sudah penuh.", {"max_products": 10})
    html = assert_html_page(post_form(owner, "/pemilik/kampanye/c2/ikut", {"product_id": "p2"},
                                      token_from="/pemilik"), status=409)
    assert "Kuota produk kampanye sudah penuh." in html
    assert owner.get("/pemilik?ok=<script>").text.count("notice ok") == 0
