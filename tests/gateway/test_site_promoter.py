"""The promoters' HTML pages over HTTP: the real gateway container on a real RabbitMQ (fresh
vhost) and database; catalog and promotion are the fakes of gateway_fakes.py, answering in
the shapes of their contracts (docs/contracts/promotion-rpc.md)."""
import re

import pytest

from shared.errors import Conflict, IdempotencyKeyReused, ValidationFailed

from gateway_fakes import FakeCatalog, FakePromotion, FakeSearch
from gateway_helpers import (
    SCRIPT,
    approve_promoter,
    assert_html_page,
    form_token,
    register_on_site,
    sign_in_admin_on_site,
)

CID = "0b6f0c3e-8d2a-4c55-9d7e-1f2a3b4c5d6e"
DRAFT_ID = "1c7e1d4f-9e3b-4d66-8e8f-2a3b4c5d6e7f"


def detail(campaign_id=CID, status="active", **changes):
    campaign = {
        "id": campaign_id, "name": "Festival Tenun " + SCRIPT, "description": "Diskon tenun sepekan.",
        "status": status, "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-08T00:00:00Z",
        "starts_at_wita": "1 Des 2026 08.00 WITA", "ends_at_wita": "8 Des 2026 08.00 WITA",
        "discount": {"type": "percent", "value": 20}, "featured": True,
        "target": {"product_ids": [], "categories": ["tenun"], "regions": ["7402"], "merchant_kind": "koperasi",
                   "verified_only": True},
        "max_products": 50, "open_for_signup": False,
        "budget": {"amount": 5_000_000, "spent": 1_250_000, "remaining": 3_750_000, "funded_by": "pemda",
                   "exhausted": False},
        "product_count": 12, "owner_id": "x", "created_at": "2026-11-20T00:00:00Z",
        "updated_at": "2026-11-20T00:00:00Z", "version": 2,
        "statistics": {"totals": {"impressions": 600, "clicks": 21, "contacts": 5, "discount_given": 1_250_000},
                       "days": [{"day": "2026-12-01", "impressions": 100, "clicks": 4, "contacts": 1},
                                {"day": "2026-12-02", "impressions": 300, "clicks": 10, "contacts": 3},
                                {"day": "2026-12-03", "impressions": 200, "clicks": 7, "contacts": 1}]},
    }
    campaign.update(changes)
    return campaign


@pytest.fixture(autouse=True)
def campaigns(fakes):
    """An active campaign with statistics, and a draft (the one a new campaign becomes)."""
    no_statistics = {"totals": {"impressions": 0, "clicks": 0, "contacts": 0, "discount_given": 0}, "days": []}
    fakes.promotion.add_campaigns(detail(), detail(DRAFT_ID, "draft", name="Draf Kopi", budget=None, product_count=0,
                                                   statistics=no_statistics))
    fakes.promotion.new_campaign = detail(DRAFT_ID, "draft")
    fakes.promotion.preview = {"count": 61, "joined": 7, "products": [
        {"id": "p1", "name": SCRIPT, "price": 150000, "effective_price": 120000, "region": "7402",
         "category": "tenun", "merchant_id": "m1", "joined": True},
        {"id": "p2", "name": "Kain Tenun Masalili", "price": 450000, "effective_price": 360000, "region": "7402",
         "category": "tenun", "merchant_id": "m1", "joined": False}]}


@pytest.fixture
def gateway(start_gateway):
    return start_gateway(FakeCatalog, FakePromotion, FakeSearch)


def register(web_session, role):
    response = register_on_site(web_session, f"{role}@example.com", role, name=f"Wa Ode {role}")
    assert response.status_code == 303, response.text[:500]


@pytest.fixture
def promoter(gateway, web_session):
    register(web_session, "promoter")
    approve_promoter(gateway, "promoter@example.com")  # scheduling needs an approved promoter
    return web_session


def actor_of(call):
    return call[1]


PAGES = ["/promotor", "/promotor/kampanye/baru", f"/promotor/kampanye/{CID}"]


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_goes_to_sign_in(gateway, web_session, path):
    response = web_session.get(path, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"].startswith("/masuk?next=")


@pytest.mark.parametrize("path", PAGES)
def test_an_owner_is_refused(gateway, web_session, path, fakes):
    register(web_session, "owner")
    html = assert_html_page(web_session.get(path), status=403)
    assert "Akses ditolak" in html
    assert not fakes.calls


def test_an_admin_may_open_the_promoter_pages(gateway, web_session, fakes):
    sign_in_admin_on_site(gateway, web_session)
    assert_html_page(web_session.get("/promotor"))
    assert actor_of(fakes.calls[-1])["role"] == "admin"


def test_campaign_list(promoter, fakes):
    html = assert_html_page(promoter.get("/promotor", params={"status": "active", "page": "1"}))
    call = fakes.calls[-1]
    assert call[0] == "list_campaigns" and actor_of(call)["role"] == "promoter" and call[2:] == ("active", 1, 20)
    assert "Festival Tenun &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'href="/promotor/kampanye/{CID}"' in html and f'href="/promotor/kampanye/{DRAFT_ID}"' in html
    assert "Berjalan" in html and "Draf" in html
    assert "1 Des 2026 08.00 WITA – 8 Des 2026 08.00 WITA" in html
    assert "Rp 1.250.000 dari Rp 5.000.000" in html and "Tanpa anggaran" in html
    assert "Anggaran terpakai (perkiraan dari kontak WhatsApp)</th>" in html
    assert '<td class="num" data-label="Produk">12</td>' in html  # a card on phones, named cells
    assert 'href="/promotor/kampanye/baru"' in html
    # an unknown status filter is ignored, not an error
    assert_html_page(promoter.get("/promotor", params={"status": "hmm", "page": "x"}))
    assert fakes.calls[-1][2:] == (None, 1, 20)


def test_the_create_form(promoter):
    html = assert_html_page(promoter.get("/promotor/kampanye/baru"))
    # targeting: checkboxes grouped by parent (no multi-select to Ctrl-click), the 17 regions
    assert "multiple" not in html and "Ctrl" not in html
    assert "<summary>Kerajinan Tangan</summary>" in html and "<summary>Minuman</summary>" in html
    assert 'name="categories" value="kopi"> Kopi &amp; Teh</label>' in html
    assert html.count('type="checkbox" name="regions" value="74') == 17
    assert 'name="product_q" type="search"' in html and 'name="action" value="cari_produk"' in html
    assert 'type="datetime-local" name="starts_at"' in html and 'type="datetime-local" name="ends_at"' in html
    for name in ("name", "description", "starts_at", "ends_at", "discount_type", "discount_value", "merchant_kind",
                 "product_q", "max_products", "budget", "funded_by"):
        assert f'<label for="{name}">' in html, name
    for name in ("featured", "verified_only", "open_for_signup"):
        assert f'<label class="check" for="{name}">' in html, name
    assert 'name="csrf_token"' in html


def valid_form(token, **changes):
    data = {"csrf_token": token, "name": "Festival Kopi Kendari", "description": "Kopi lokal.",
            "starts_at": "2026-12-10T08:00", "ends_at": "2026-12-17T20:30", "discount_type": "percent",
            "discount_value": "15", "featured": "1", "categories": ["tenun", "kopi"], "regions": ["7402", "7471"],
            "merchant_kind": "koperasi", "verified_only": "1", "product_ids": ["p1", "p2", "p3"], "max_products": "40",
            "budget": "2.000.000", "funded_by": "pemda", "open_for_signup": "1"}
    data.update(changes)
    return data


def test_create_sends_the_right_data_and_goes_to_the_draft(promoter, fakes):
    token = form_token(promoter.get("/promotor/kampanye/baru").text)
    response = promoter.post("/promotor/kampanye/baru", data=valid_form(token), allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == f"/promotor/kampanye/{DRAFT_ID}"
    call = [c for c in fakes.calls if c[0] == "create_campaign"][-1]
    assert actor_of(call)["role"] == "promoter"
    assert call[2] == {
        "name": "Festival Kopi Kendari", "description": "Kopi lokal.",
        "starts_at": "2026-12-10T08:00:00+08:00", "ends_at": "2026-12-17T20:30:00+08:00",
        "discount": {"type": "percent", "value": 15}, "featured": True,
        "target": {"product_ids": ["p1", "p2", "p3"], "categories": ["tenun", "kopi"], "regions": ["7402", "7471"],
                   "merchant_kind": "koperasi", "verified_only": True},
        "max_products": 40, "budget": 2_000_000, "funded_by": "pemda", "open_for_signup": True, "draft": True,
    }


def test_the_create_form_sends_its_key_once_made_twice_and_says_so_when_it_made_another(promoter, fakes):
    """The page's own key (shared with the owner's forms, tests/gateway/test_site_owner.py):
    sent twice, the same key and fingerprint; refused as made for other entries, a plain
    message and a new key."""
    html = promoter.get("/promotor/kampanye/baru").text
    key = re.search(r'name="form_key" value="([0-9a-f]{32})"', html).group(1)
    form = {**valid_form(form_token(html)), "form_key": key}
    for _ in range(2):
        assert promoter.post("/promotor/kampanye/baru", data=form, allow_redirects=False).status_code == 303
    first, second = fakes.campaign_keys[-2:]
    assert first == second and first["key"] == f"form:{key}" and len(first["fingerprint"]) == 64
    fakes.promotion.raises["create_campaign"] = IdempotencyKeyReused()
    refused = promoter.post("/promotor/kampanye/baru", data=form, allow_redirects=False)
    assert refused.status_code == 422 and "Formulir ini sudah pernah dikirim dengan isian lain" in refused.text
    assert re.search(r'name="form_key" value="([0-9a-f]{32})"', refused.text).group(1) != key


def test_create_without_discount_or_options(promoter, fakes):
    token = form_token(promoter.get("/promotor/kampanye/baru").text)
    form = valid_form(token, discount_type="none", discount_value="", product_ids=[], max_products="", budget="",
                      merchant_kind="", categories=[], regions=["7402"])
    for flag in ("verified_only", "open_for_signup", "description"):
        form.pop(flag)
    assert promoter.post("/promotor/kampanye/baru", data=form, allow_redirects=False).status_code == 303
    data = [c for c in fakes.calls if c[0] == "create_campaign"][-1][2]
    assert data["discount"] is None and data["featured"] is True and data["description"] is None
    assert data["target"] == {"product_ids": [], "categories": [], "regions": ["7402"], "merchant_kind": None,
                              "verified_only": False}
    assert (data["max_products"], data["budget"], data["funded_by"], data["open_for_signup"]) == (None, None, None,
                                                                                                    False)


def test_service_field_errors_are_shown_next_to_the_fields_with_the_input_kept(promoter, fakes):
    fakes.promotion.raises["create_campaign"] = ValidationFailed("Data kampanye tidak valid.", {
        "name": "Nama kampanye wajib diisi, 3 sampai 120 karakter.",
        "ends_at": "Waktu selesai harus setelah waktu mulai.",
        "target.regions": "Kabupaten/kota tidak dikenal: 9999.",
        "discount.value": "Diskon persen harus 1 sampai 90.",
        "target": "Pilih minimal satu kriteria.",
        "mystery": "Sesuatu yang lain."})
    token = form_token(promoter.get("/promotor/kampanye/baru").text)
    response = promoter.post("/promotor/kampanye/baru", data=valid_form(token, name="salah",
                                                                      description=SCRIPT))
    html = assert_html_page(response, status=422)
    assert "Periksa kembali isian yang ditandai." in html
    assert ('aria-describedby="name-error" aria-invalid="true"' in html
            and '<p class="field-error" id="name-error">Nama kampanye wajib diisi' in html)
    assert 'aria-describedby="time-hint ends_at-error"' in html and 'id="ends_at-error"' in html
    assert 'id="regions-error">Kabupaten/kota tidak dikenal: 9999.' in html
    assert 'id="discount_value-error">Diskon persen harus 1 sampai 90.' in html
    assert 'id="target-error">Pilih minimal satu kriteria.' in html
    assert "mystery: Sesuatu yang lain." in html
    # what was typed is kept
    assert 'value="salah"' in html and "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html
    assert 'value="2026-12-10T08:00"' in html and 'value="2026-12-17T20:30"' in html
    assert 'value="tenun" checked>' in html and 'value="7471" checked>' in html
    assert '<option value="koperasi" selected>' in html and '<option value="pemda" selected>' in html
    assert 'name="featured" value="1" checked' in html and 'value="2.000.000"' in html
    assert 'name="product_ids" value="p3" checked> p3</label>' in html


def test_the_gateway_own_checks_do_not_call_the_service(promoter, fakes):
    token = form_token(promoter.get("/promotor/kampanye/baru").text)
    response = promoter.post("/promotor/kampanye/baru", data=valid_form(
        token, starts_at="besok", ends_at="", discount_value="banyak", budget="dua juta"))
    html = assert_html_page(response, status=422)
    assert 'id="starts_at-error">Isi tanggal dan jam dengan benar.' in html
    assert 'id="ends_at-error">Isi tanggal dan jam dengan benar.' in html
    assert 'id="discount_value-error">Harus bilangan bulat.' in html and 'id="budget-error">Harus bilangan bulat.' in html
    assert not [c for c in fakes.calls if c[0] == "create_campaign"]


def test_post_without_csrf_is_refused(promoter, fakes):
    for path in ("/promotor/kampanye/baru", f"/promotor/kampanye/{DRAFT_ID}/jadwalkan",
                 f"/promotor/kampanye/{CID}/batal"):
        response = promoter.post(path, data=valid_form("salah-token"), allow_redirects=False)
        assert_html_page(response, status=403)
        response = promoter.post(path, data={k: v for k, v in valid_form("").items() if k != "csrf_token"},
                                 allow_redirects=False)
        assert response.status_code == 403
    assert not [c for c in fakes.calls if c[0] in ("create_campaign", "schedule_campaign", "cancel_campaign")]


def test_draft_page_shows_the_preview_and_schedules(promoter, fakes):
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{DRAFT_ID}"))
    assert ("preview_campaign", fakes.calls[-1][1], DRAFT_ID, 50) == fakes.calls[-1]
    assert "Pratinjau produk" in html and "61 produk diundang, 7 sudah ikut." in html and "Menampilkan 2 pertama." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and 'href="/produk/p1"' in html
    assert "Rp 150.000" in html and "Rp 120.000" in html and "Muna" in html
    assert "<td>Sudah ikut</td>" in html and "<td>Diundang</td>" in html  # each product says whether it joined
    assert f'action="/promotor/kampanye/{DRAFT_ID}/jadwalkan"' in html and ">Jadwalkan</button>" in html
    assert "Belum ada data statistik." in html
    response = promoter.post(f"/promotor/kampanye/{DRAFT_ID}/jadwalkan", data={"csrf_token": form_token(html)},
                             allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == f"/promotor/kampanye/{DRAFT_ID}"
    call = [c for c in fakes.calls if c[0] == "schedule_campaign"][-1]
    assert call[2] == DRAFT_ID and actor_of(call)["role"] == "promoter"


def test_a_refused_transition_is_shown_on_the_page(promoter, fakes):
    fakes.promotion.raises["schedule_campaign"] = Conflict("Hanya draf yang dapat dijadwalkan.")
    html = promoter.get(f"/promotor/kampanye/{CID}").text
    response = promoter.post(f"/promotor/kampanye/{CID}/jadwalkan", data={"csrf_token": form_token(html)})
    html = assert_html_page(response, status=409)
    assert "Hanya draf yang dapat dijadwalkan." in html


def test_active_campaign_page_with_statistics_charts_and_cancel(promoter, fakes):
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{CID}"))
    assert "<h1>Festival Tenun &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert "Berjalan" in html and "1 Des 2026 08.00 WITA – 8 Des 2026 08.00 WITA" in html and "20%" in html
    assert "Jadwalkan</button>" not in html  # only drafts are scheduled
    # charts: server-rendered SVG, one bar / one point per day, titled for screen readers
    impressions = re.search(r'<svg class="chart vbars".*?</svg>', html, re.S).group(0)
    assert impressions.count('<rect class="bar"') == 3
    assert 'role="img"' in impressions and "<title" in impressions and "2 Des: 300" in impressions
    clicks = re.search(r'<svg class="chart linechart".*?</svg>', html, re.S).group(0)
    assert clicks.count('<circle class="point"') == 3 and "<polyline" in clicks and "3 Des: 7" in clicks
    # the tallest bar is the 300 day
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([\d.]+)"', impressions)]
    assert heights.index(max(heights)) == 1
    # the table is the accessible alternative
    assert '<time datetime="2026-12-02">2 Des</time></th><td class="num">300</td><td class="num">10</td>' in html
    assert '<td class="num">600</td><td class="num">21</td><td class="num">5</td>' in html
    # discount given vs budget
    assert "Diskon diberikan (perkiraan dari kontak WhatsApp): Rp 1.250.000" in html
    assert '<label for="budget-meter">Anggaran terpakai (perkiraan dari kontak WhatsApp)</label>' in html
    assert '<meter id="budget-meter" min="0" max="5000000" value="1250000"' in html
    assert "Terpakai Rp 1.250.000 (perkiraan dari kontak WhatsApp) dari anggaran Rp 5.000.000 (sisa Rp 3.750.000), ditanggung Pemerintah daerah." in html
    # cancel asks first: a link to the confirmation page (no POST from here)
    assert f'<a href="/promotor/kampanye/{CID}/batal">Batalkan kampanye</a>' in html
    assert f'action="/promotor/kampanye/{CID}/batal"' not in html
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{CID}/batal"))
    assert "Festival Tenun &lt;script&gt;" in html and "Berjalan" in html
    assert "12 produk akan kembali ke harga normalnya." in html
    assert f'action="/promotor/kampanye/{CID}/batal"' in html and f'href="/promotor/kampanye/{CID}"' in html
    assert not [c for c in fakes.calls if c[0] == "cancel_campaign"]
    response = promoter.post(f"/promotor/kampanye/{CID}/batal", data={"csrf_token": form_token(html)},
                             allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/promotor/kampanye/{CID}?dibatalkan=12"
    call = [c for c in fakes.calls if c[0] == "cancel_campaign"][-1]
    assert call[2] == CID and actor_of(call)["role"] == "promoter"
    html = assert_html_page(promoter.get(response.headers["Location"]))
    assert "Kampanye dibatalkan. 12 produk kembali ke harga normalnya." in html and "Dibatalkan" in html
    assert "/batal" not in html  # nothing more to cancel


@pytest.mark.parametrize("campaign_id", ["bukan-uuid", "2d8f2e5a-0f4c-4e77-9f90-3b4c5d6e7f80"])
def test_unknown_campaign_is_404(promoter, campaign_id):
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{campaign_id}"), status=404)
    assert "Halaman tidak ditemukan" in html


def test_english(promoter):
    promoter.get("/bahasa", params={"l": "en", "next": "/"})
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{CID}"), lang="en")
    assert "Impressions per day" in html and "Cancel campaign" in html and "Running" in html


def test_days_without_activity_are_zero_bars():
    from services.gateway.site.promoter import fill_days

    days = [{"day": "2026-12-03", "label": "3 Des", "impressions": 5, "clicks": 1, "contacts": 0},
            {"day": "2026-11-30", "label": "30 Nov", "impressions": 2, "clicks": 0, "contacts": 0}]
    filled = fill_days(days)
    assert [(d["day"], d["label"], d["impressions"]) for d in filled] == [
        ("2026-11-30", "30 Nov", 2), ("2026-12-01", "1 Des", 0), ("2026-12-02", "2 Des", 0), ("2026-12-03", "3 Des", 5)]
    assert fill_days([]) == []


def test_edit_form_shows_the_campaign_and_sends_only_the_changes(promoter, fakes):
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{DRAFT_ID}"))
    assert f'href="/promotor/kampanye/{DRAFT_ID}/ubah"' in html
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{DRAFT_ID}/ubah"))
    assert f'action="/promotor/kampanye/{DRAFT_ID}/ubah"' in html and 'name="version" value="2"' in html
    assert 'value="Draf Kopi"' in html and 'value="2026-12-01T08:00"' in html and 'value="2026-12-08T08:00"' in html
    assert 'name="regions" value="7402" checked>' in html and 'value="20"' in html
    form = {"csrf_token": form_token(html), "version": "2", "name": "Draf Kopi Baru",
            "description": "Diskon tenun sepekan.", "starts_at": "2026-12-01T08:00", "ends_at": "2026-12-09T08:00",
            "discount_type": "percent", "discount_value": "20", "featured": "1", "categories": ["tenun"],
            "regions": ["7402"], "merchant_kind": "koperasi", "verified_only": "1", "max_products": "50"}
    response = promoter.post(f"/promotor/kampanye/{DRAFT_ID}/ubah", data=form, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == f"/promotor/kampanye/{DRAFT_ID}"
    call = [c for c in fakes.calls if c[0] == "update_campaign"][-1]
    assert call[2:] == (DRAFT_ID, {"name": "Draf Kopi Baru", "ends_at": "2026-12-09T08:00:00+08:00"}, 2)


def test_an_active_campaign_refusing_a_field_shows_it_beside_the_field(promoter, fakes):
    fakes.promotion.raises["update_campaign"] = Conflict(
        "Kampanye sudah berjalan.", {"starts_at": "Waktu mulai tidak dapat diubah setelah kampanye berjalan."})
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{CID}/ubah"))
    assert "hanya dapat diubah nama" in html
    form = {"csrf_token": form_token(html), "version": "2", "name": "Festival Tenun", "starts_at": "2026-12-02T08:00",
            "ends_at": "2026-12-08T08:00", "discount_type": "percent", "discount_value": "20",
            "regions": ["7402"], "budget": "5000000", "funded_by": "pemda"}
    html = assert_html_page(promoter.post(f"/promotor/kampanye/{CID}/ubah", data=form), status=409)
    assert 'id="starts_at-error">Waktu mulai tidak dapat diubah' in html and 'value="2026-12-02T08:00"' in html
    changes = [c for c in fakes.calls if c[0] == "update_campaign"][-1][3]
    assert changes["starts_at"] == "2026-12-02T08:00:00+08:00" and "budget" not in changes


def test_a_stale_version_asks_to_reload(promoter, fakes):
    html = promoter.get(f"/promotor/kampanye/{DRAFT_ID}/ubah").text
    form = {"csrf_token": form_token(html), "version": "1", "name": "Nama lain", "starts_at": "2026-12-01T08:00",
            "ends_at": "2026-12-08T08:00", "discount_type": "percent", "discount_value": "20", "regions": ["7402"]}
    html = assert_html_page(promoter.post(f"/promotor/kampanye/{DRAFT_ID}/ubah", data=form), status=409)
    assert "baru saja diubah di tempat lain" in html


def test_an_ended_campaign_is_not_edited(promoter, fakes):
    fakes.promotion.add_campaigns(detail(status="ended"))
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{CID}"))
    assert "/ubah" not in html
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{CID}/ubah"), status=409)
    assert "tidak dapat diubah" in html


def test_cancelling_a_draft_says_no_price_changes(promoter, fakes):
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{DRAFT_ID}/batal"))
    assert "tidak ada harga yang berubah" in html and "Draf Kopi" in html
    response = promoter.post(f"/promotor/kampanye/{DRAFT_ID}/batal", data={"csrf_token": form_token(html)})
    html = assert_html_page(response)
    assert "Kampanye dibatalkan. Tidak ada harga produk yang berubah." in html


def test_a_cancelled_campaign_has_no_confirmation_page(promoter, fakes):
    fakes.promotion.add_campaigns(detail(status="cancelled"))
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{CID}/batal"), status=409)
    assert "tidak dapat dibatalkan" in html
    html = assert_html_page(promoter.get(f"/promotor/kampanye/{CID}?dibatalkan=3"))
    assert "Kampanye dibatalkan. 3 produk" in html  # shown only for a cancelled campaign
    fakes.promotion.add_campaigns(detail())
    assert "Kampanye dibatalkan" not in promoter.get(f"/promotor/kampanye/{CID}?dibatalkan=3").text


def test_products_are_picked_from_search_results_and_removed_by_unchecking(promoter, fakes):
    fakes.search.hits = [{"id": "p9", "name": "Kopi Kolaka " + SCRIPT, "price": 85000, "region": "7401"},
                         {"id": "p1", "name": "Sudah dipilih", "price": 1, "region": "7402"}]
    token = form_token(promoter.get("/promotor/kampanye/baru").text)
    form = valid_form(token, product_ids=["p1"], product_label=["p1\tSarung Buton"], product_q="kopi kolaka",
                      action="cari_produk")
    html = assert_html_page(promoter.post("/promotor/kampanye/baru", data=form))
    search = [c for c in fakes.calls if c[0] == "search"][-1]
    assert search[1:4] == ("kopi kolaka", None, 1)
    assert not [c for c in fakes.calls if c[0] == "create_campaign"]  # searching saves nothing
    assert 'name="product_ids" value="p1" checked> Sarung Buton</label>' in html  # picked, with its name
    assert ('name="product_ids" value="p9"> Kopi Kolaka &lt;script&gt;alert(1)&lt;/script&gt; · Rp 85.000 · Buton'
            in html)
    assert "Sudah dipilih" not in html  # an already picked product is not offered again
    assert 'value="Festival Kopi Kendari"' in html and 'value="kopi kolaka"' in html  # what was typed is kept
    # p9 checked, p1 unchecked (removed): the draft targets p9
    form = valid_form(token, product_ids=["p9"], product_label=["p1\tSarung Buton", "p9\tKopi"], product_q="")
    assert promoter.post("/promotor/kampanye/baru", data=form, allow_redirects=False).status_code == 303
    assert [c for c in fakes.calls if c[0] == "create_campaign"][-1][2]["target"]["product_ids"] == ["p9"]


def test_the_search_button_with_nothing_to_search_saves(promoter, fakes):
    token = form_token(promoter.get("/promotor/kampanye/baru").text)
    response = promoter.post("/promotor/kampanye/baru", data=valid_form(token, product_q="", action="cari_produk"),
                             allow_redirects=False)
    assert response.status_code == 303 and [c for c in fakes.calls if c[0] == "create_campaign"]
