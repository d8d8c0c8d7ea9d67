"""English mode over HTTP for what the services say: a refused product form, a refused
campaign form, an import's row errors and warnings, the merchant page's badges and credential
lines (its dates and counts in the page's language), a refused sign-in or registration (the
gateway's own accounts) and a search the search service refused. The real gateway container on a real RabbitMQ and database; catalog,
search and promotion are the fakes of gateway_fakes.py, raising the errors the real
services' own code makes (so the Indonesian texts are the services' real ones)."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from services.catalog import fetch, schemas
from services.catalog.imports import rows
from services.catalog.imports.parsing import SheetRow
from services.catalog.models import Merchant
from services.gateway.models import Account
from services.gateway.site import i18n
from services.promotion.campaigns import validation
from services.search import params
from services.search.engine import SORTS
from shared.errors import ValidationFailed
from shared.messages import t

from gateway_fakes import FakeCatalog, FakePromotion, FakeSearch
from gateway_helpers import (
    ADMIN_EMAIL,
    SCRIPT,
    approve_promoter,
    assert_html_page,
    create_admin_account,
    form_token,
    register_on_site,
    sign_in_on_site,
)

MERCHANT = {
    "id": "m1", "owner_id": None, "name": "Koperasi Tenun Masalili", "kind": "koperasi", "region": "7402",
    "region_name": "Muna", "whatsapp": "+62 812-3456-7890", "description": "Tenun ikat.", "verified": True,
    "version": 3, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    "address": "Jl. Poros Raha", "status": "verified", "status_reason": None, "logo": None,
    "credentials": {"nib": "1234567890123", "pirt_number": "P-IRT 2157401010123-27", "halal_number": "ID7411000123",
                    "halal_expires_on": "2028-05-01", "halal_valid": True, "legal_number": "AHU-0001.AH.01",
                    "member_count": 40, "last_rat_year": 2025},
}


def product(product_id, name):
    return {
        "id": product_id, "merchant_id": "m1", "name": name, "slug": "p", "description": "", "price": 150000,
        "stock": 5, "unit": "lembar", "category": "tenun", "category_name": "Kain Tenun", "category_parent": "kerajinan",
        "category_parent_name": "Kerajinan Tangan", "halal": True, "status": "published", "region": "7402",
        "region_name": "Muna", "merchant": {"id": "m1", "name": MERCHANT["name"], "kind": "koperasi", "region": "7402",
                                            "verified": True, "status": "verified"},
        "version": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "photos": [],
        "sku": None, "compare_at_price": None, "tags": [], "member_business": None, "halal_claimed": True,
    }


def refusal(call) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        call()
    return refused.value


@pytest.fixture
def gateway(start_gateway):
    return start_gateway(FakeCatalog, FakePromotion, FakeSearch)


@pytest.fixture
def english(web_session):
    web_session.cookies.set(i18n.COOKIE, "en")
    return web_session


@pytest.fixture
def owner(gateway, english, fakes):
    """A signed-in owner of m1, browsing in English."""
    assert register_on_site(english, "owner@example.com").status_code == 303
    with gateway() as session:
        owner_id = session.scalars(select(Account.id).where(Account.email == "owner@example.com")).one()
    fakes.catalog.add_merchants({**MERCHANT, "owner_id": owner_id})
    fakes.catalog.owner_id = owner_id
    return english


def test_a_product_refused_by_the_catalog_shows_its_english_sentence_with_the_number(owner, fakes):
    refused = refusal(lambda: schemas.validate_product_create({
        "merchant_id": "m1", "name": "Kain " * 30, "price": 15000, "stock": 3, "category": "tenun", "tags": ["x" * 31]}))
    fakes.catalog.raises["create_product"] = refused
    token = form_token(owner.get("/pemilik/produk/baru").text)
    response = owner.post("/pemilik/produk/baru", data={
        "csrf_token": token, "merchant_id": "m1", "name": "Kain tenun", "price": "15000", "stock": "3",
        "category": "tenun", "status": "published"}, allow_redirects=False)
    html = assert_html_page(response, status=422, lang="en")
    assert '<p class="field-error" id="name-error">must be 3–120 characters</p>' in html
    assert "harus 3–120 karakter" not in html and "karakter" not in html


def test_a_campaign_refused_by_promotion_shows_english_messages(gateway, english, fakes):
    assert register_on_site(english, "promoter@example.com", "promoter").status_code == 303
    approve_promoter(gateway, "promoter@example.com")
    refused = refusal(lambda: validation.validate_campaign(
        {"name": "Festival Kopi", "starts_at": "2026-12-10T08:00:00+08:00", "ends_at": "2026-12-17T08:00:00+08:00",
         "discount": {"type": "percent", "value": 95}, "target": {"regions": ["9999"]}},
        now=datetime(2026, 12, 1, tzinfo=timezone.utc)))
    fakes.promotion.raises["create_campaign"] = refused
    token = form_token(english.get("/promotor/kampanye/baru").text)
    response = english.post("/promotor/kampanye/baru", data={
        "csrf_token": token, "name": "Festival Kopi", "description": "", "starts_at": "2026-12-10T08:00",
        "ends_at": "2026-12-17T08:00", "discount_type": "percent", "discount_value": "15", "regions": ["7402"]},
        allow_redirects=False)
    html = assert_html_page(response, status=422, lang="en")
    assert 'id="discount_value-error">A percentage discount must be from 1 to 90.' in html
    assert 'id="regions-error">Unknown regency/city: 9999 (use the BPS code, e.g. 7402).' in html
    assert "Diskon persen" not in html and "tidak dikenal" not in html


def test_an_import_shows_its_row_errors_and_warnings_in_english(owner, fakes):
    plan = rows.plan_row(SheetRow(3, {"sku": "A-1", "nama": "Kain", "harga": "lima ribu", "stok": "2",
                                      "kategori": "kopi tubruk"}), Merchant(id="m1", kind="umkm"), None)
    with pytest.raises(fetch.FetchError) as refused:
        fetch.fetch_photo("ftp://foto.example/<a>.jpg")
    warning = t("foto ke-%(n)s (%(url)s): %(problem)s", n=1, url="ftp://foto.example/<a>.jpg",
                problem=str(refused.value))
    fakes.catalog.add_imports({
        "id": "imp1", "owner_id": fakes.catalog.owner_id, "merchant_id": "m1", "filename": "produk.csv",
        "format": "csv", "status": "failed", "total_rows": 3, "processed_rows": 3,
        "error": t("Terjadi kesalahan saat memproses baris %(first)s–%(last)s. Baris sebelumnya sudah tersimpan.",
                   first=2, last=3),
        "counts": {"total": 3, "created": 1, "updated": 0, "unchanged": 0, "failed": 1, "warnings": 1},
        "errors": [{"row": 3, "column": column, "message": message} for column, message in plan.errors],
        "errors_truncated": False, "warnings": [{"row": 2, "column": "foto", "message": warning}],
        "warnings_truncated": False, "created_at": "2026-12-01T00:00:00Z", "started_at": "2026-12-01T00:00:01Z",
        "finished_at": "2026-12-01T00:00:02Z"})
    html = assert_html_page(owner.get("/pemilik/impor/imp1"), lang="en")
    assert "An error occurred while processing rows 2–3. The rows before them were saved." in html
    assert "must be a whole number, e.g. 15000" in html
    assert "unknown category &#39;kopi tubruk&#39;; did you mean &#39;kopi-teh&#39; (Coffee &amp; Tea)?" in html
    assert "photo 1 (ftp://foto.example/&lt;a&gt;.jpg): the photo address must start with http:// or https://" in html
    assert "harus" not in html and "tidak dikenal" not in html and "foto ke-" not in html


def test_the_merchant_page_shows_badges_and_credentials_in_english(gateway, english, fakes):
    fakes.catalog.add_merchants(MERCHANT)
    fakes.catalog.add_products(product("p1", "Kain Tenun Masalili"), product("p2", SCRIPT))
    html = assert_html_page(english.get("/usaha/m1"), lang="en")
    credentials = html[html.index('<ul class="credentials">'):html.index("</ul>", html.index('<ul class="credentials">'))]
    assert '<li class="ok">Verified</li>' in credentials
    assert '<li class="ok">Halal certificate ID7411000123 (valid until 1 May 2028)</li>' in credentials
    assert ("<li>Cooperative · Legal entity AHU-0001.AH.01 · 40 members · Last annual meeting 2025</li>"
            in credentials)
    assert "<li>NIB 1234567890123</li>" in credentials and "<li>PIRT P-IRT 2157401010123-27</li>" in credentials
    assert '<p class="meta">Cooperative · <a href="/wilayah/7402">Muna</a></p>' in html
    cards = html[html.index('<ul class="cards">'):]
    assert cards.count('<span class="tag">Halal</span>') == 2
    assert 'alt="Illustration of the category Woven Cloth (no product photo yet)"' in cards
    for indonesian in ("Terverifikasi", "Sertifikat halal", "berlaku sampai", "Badan hukum", "anggota",
                       "RAT terakhir", "Hubungi via WhatsApp"):
        assert indonesian not in html


def test_a_promoted_product_shows_its_campaign_badge_in_english(gateway, english, fakes):
    fakes.catalog.add_merchants(MERCHANT)
    fakes.catalog.add_products(product("p1", "Kain Tenun Masalili"))
    fakes.promotion.pricing = {"p1": {"effective_price": 120000, "normal_price": 150000, "discount_percent": 20,
                                      "promoted": True, "badge": "Produk Unggulan · Diskon 20%", "campaign_id": "c1",
                                      "campaign_name": "Festival", "valid_until": "2026-12-08T00:00:00Z"}}
    html = assert_html_page(english.get("/produk/p1"), lang="en")
    assert '<span class="badge">Featured · 20% off</span>' in html
    fakes.search.hits = [{"id": "p1", "name": "Kain Tenun Masalili", "price": 150000, "effective_price": 135000,
                          "discount_percent": 10, "promoted": True, "badge": "Hemat Rp 15.000", "unit": "lembar",
                          "region": "7402", "category": "tenun", "halal": False,
                          "merchant": {"id": "m1", "name": MERCHANT["name"], "kind": "koperasi", "verified": True}}]
    fakes.search.total = 1
    html = assert_html_page(english.get("/", params={"q": "tenun"}), lang="en")
    assert '<span class="badge">Save Rp 15.000</span>' in html
    indonesian = assert_html_page(english.get("/produk/p1", cookies={i18n.COOKIE: "id"}))
    assert '<span class="badge">Produk Unggulan · Diskon 20%</span>' in indonesian


def test_the_merchant_page_writes_the_halal_date_and_one_member_in_each_language(gateway, english, fakes):
    credentials = {**MERCHANT["credentials"], "halal_expires_on": "2028-12-01", "member_count": 1}
    fakes.catalog.add_merchants({**MERCHANT, "credentials": credentials})
    html = assert_html_page(english.get("/usaha/m1"), lang="en")
    assert "Halal certificate ID7411000123 (valid until 1 Dec 2028)" in html
    assert "Legal entity AHU-0001.AH.01 · 1 member · Last annual meeting 2025" in html
    assert "2028-12-01" not in html and "1 members" not in html
    indonesian = assert_html_page(english.get("/usaha/m1", cookies={i18n.COOKIE: "id"}))
    assert "Sertifikat halal ID7411000123 (berlaku sampai 1 Des 2028)" in indonesian
    assert "Badan hukum AHU-0001.AH.01 · 1 anggota · RAT terakhir 2025" in indonesian


def test_a_wrong_password_and_too_many_of_them_are_refused_in_english(gateway, english):
    create_admin_account(gateway)
    html = assert_html_page(sign_in_on_site(english, ADMIN_EMAIL, "salah-sekali"), status=401, lang="en")
    assert '<p class="notice" role="alert">Wrong email or password.</p>' in html
    assert "kata sandi salah" not in html
    for _ in range(4):
        assert sign_in_on_site(english, ADMIN_EMAIL, "salah-sekali").status_code == 401
    html = assert_html_page(sign_in_on_site(english, ADMIN_EMAIL, "salah-sekali"), status=429, lang="en")
    assert '<p class="notice" role="alert">Too many failed sign-in attempts. Please try again in 15 min.</p>' in html
    assert "Terlalu banyak" not in html and "menit" not in html


def test_a_registration_refused_for_its_fields_shows_english_field_messages(gateway, english):
    token = form_token(english.get("/daftar").text)
    response = english.post("/daftar", data={"csrf_token": token, "name": "A", "email": "bukan-email",
                                             "password": "pendek", "role": "owner"}, allow_redirects=False)
    html = assert_html_page(response, status=422, lang="en")
    assert '<p class="field-error" id="name-error">The name must be 2 to 100 characters.</p>' in html
    assert '<p class="field-error" id="email-error">This is not a valid email address.</p>' in html
    assert '<p class="field-error" id="password-error">The password must be at least 8 characters.</p>' in html
    assert "karakter" not in html and "tidak valid" not in html

    assert register_on_site(english, "wa.ode@example.com").status_code == 303
    english.cookies.clear()
    english.cookies.set(i18n.COOKIE, "en")
    html = assert_html_page(register_on_site(english, "wa.ode@example.com"), status=409, lang="en")
    assert '<p class="field-error" id="email-error">This email is already registered.</p>' in html


def test_a_search_the_search_service_refused_shows_its_english_message(gateway, english, fakes):
    fakes.search.raises["search"] = refusal(lambda: params.parse_search_query(q="kopi", sort="acak"))
    html = assert_html_page(english.get("/", params={"q": "kopi", "sort": "acak"}), status=422, lang="en")
    assert f'<p class="notice" role="alert">The sort order must be one of: {", ".join(SORTS)}.</p>' in html
    assert "Urutan harus" not in html
    fakes.search.raises["search"] = refusal(lambda: params.parse_search_query(q="kopi", min_price="9000",
                                                                              max_price="5000"))
    html = assert_html_page(english.get("/", params={"q": "kopi", "min_price": "9000", "max_price": "5000"}),
                            status=422, lang="en")
    assert "The minimum price cannot be higher than the maximum price." in html
    indonesian = assert_html_page(english.get("/", params={"q": "kopi", "min_price": "9000", "max_price": "5000"},
                                              cookies={i18n.COOKIE: "id"}), status=422)
    assert "Harga minimum tidak boleh lebih besar dari harga maksimum." in indonesian
