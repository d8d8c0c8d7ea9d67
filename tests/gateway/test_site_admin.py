"""The admins' HTML pages over HTTP: the real gateway container on a real RabbitMQ (fresh
vhost) and database; catalog and search are the fakes of gateway_fakes.py, answering in the
shapes of their contracts (catalog decide_verification / list_merchants_by_status /
province_summary, search zero_result_queries)."""
import re

import pytest

from shared.regions import REGIONS

from gateway_fakes import FakeCatalog, FakeSearch
from gateway_helpers import SCRIPT, assert_html_page, form_token, register_on_site, sign_in_admin_on_site


def merchant(merchant_id, status, **changes):
    data = {
        "id": merchant_id, "owner_id": "a1", "name": f"Koperasi {SCRIPT}", "kind": "koperasi", "region": "7402",
        "region_name": "Muna", "whatsapp": "+6281234567890", "description": "Tenun ikat dari Masalili.",
        "verified": status == "verified", "version": 3, "created_at": "2026-11-30T01:00:00Z",
        "updated_at": "2026-11-30T01:00:00Z", "address": "Jl. Poros Raha", "status": status,
        "status_reason": "Laporan pembeli." if status == "suspended" else None, "logo": None,
        "credentials": {"nib": "1234567890123", "pirt_number": "P-IRT 2157402010123-27",
                        "halal_number": "ID7411000123", "halal_expires_on": "2028-05-01", "halal_valid": True,
                        "legal_number": "AHU-0001.AH.01", "member_count": 40, "last_rat_year": 2025},
    }
    data.update(changes)
    return data


def region_entry(code, merchants=0, products=0):
    return {"code": code, "name": REGIONS[code], "merchants": merchants, "products": products,
            "kinds": {"umkm": max(0, merchants - 1), "koperasi": min(1, merchants)},
            "statuses": {"pending": 1 if merchants else 0, "verified": max(0, merchants - 1), "rejected": 0,
                         "suspended": 0}}


def province_summary() -> dict:
    regions = [region_entry(code) for code in REGIONS]
    regions[1] = region_entry("7402", merchants=12, products=340)
    regions[15] = region_entry("7471", merchants=30, products=900)
    return {"year": 2026, "today": "2026-12-02", "regions": regions,
            "totals": {"merchants": 42, "products": 1240, "koperasi": 2, "rat_late": 1},
            "koperasi": [
                {"id": "k1", "name": "Koperasi Sagu " + SCRIPT, "region": "7403", "region_name": "Konawe",
                 "status": "verified", "member_count": 20, "last_rat_year": None, "rat_status": "late"},
                {"id": "k2", "name": "Koperasi Mete Muna", "region": "7402", "region_name": "Muna",
                 "status": "verified", "member_count": 120, "last_rat_year": 2026, "rat_status": "up_to_date"}]}


@pytest.fixture(autouse=True)
def catalog_and_search(fakes):
    """Two businesses awaiting verification, two verified (verifying "konflik" again is a
    conflict), one suspended; the province's figures; two queries that found nothing."""
    fakes.catalog.add_merchants(
        merchant("m1", "pending"),
        merchant("m2", "pending", kind="umkm", name="Tenun Masalili", credentials={"nib": None, "halal_valid": False}),
        merchant("m3", "verified"), merchant("konflik", "verified"), merchant("m4", "suspended"))
    fakes.catalog.summary = province_summary()
    fakes.search.zero_result_rows = [
        {"query": "kasuami", "searches": 14, "zero_results": 14, "avg_results": 0.0, "last_day": "2026-12-01"},
        {"query": SCRIPT, "searches": 3, "zero_results": 3, "avg_results": 0.0, "last_day": "2026-11-29"}]


@pytest.fixture
def gateway(start_gateway):
    return start_gateway(FakeCatalog, FakeSearch)


@pytest.fixture
def admin(gateway, web_session):
    sign_in_admin_on_site(gateway, web_session)
    return web_session


def decide(web_session, merchant_id, decision, reason=None, token=None, status="pending"):
    token = token or form_token(web_session.get("/admin").text)
    data = {"csrf_token": token, "decision": decision, "status": status, "page": "1"}
    if reason is not None:
        data["reason"] = reason
    return web_session.post(f"/admin/usaha/{merchant_id}/keputusan", data=data, allow_redirects=False)


def decisions(calls):
    return [call[2:] for call in calls if call[0] == "decide_verification"]


PAGES = ["/admin", "/admin/dasbor"]


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_goes_to_sign_in(gateway, web_session, path):
    response = web_session.get(path, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == f"/masuk?next=%2F{path[1:].replace('/', '%2F')}"


@pytest.mark.parametrize("role", ["owner", "promoter"])
@pytest.mark.parametrize("path", PAGES)
def test_other_roles_are_refused(gateway, web_session, path, role, fakes):
    response = register_on_site(web_session, f"{role}@example.com", role)
    assert response.status_code == 303
    assert_html_page(web_session.get(path), status=403)
    token = form_token(web_session.get("/").text)
    fakes.calls.clear()  # the home page asks for its sections
    response = web_session.post("/admin/usaha/m1/keputusan", data={"csrf_token": token, "decision": "verified"})
    assert response.status_code == 403
    assert not fakes.calls


def test_the_queue_shows_pending_merchants_with_their_credentials(admin, fakes):
    html = assert_html_page(admin.get("/admin"))
    call = fakes.calls[-1]
    assert call[0] == "list_merchants_by_status" and call[1]["role"] == "admin" and call[2:] == ("pending", 1, 20)
    assert "Koperasi &lt;script&gt;alert(1)&lt;/script&gt;" in html and "Tenun Masalili" in html
    assert "NIB 1234567890123" in html and "PIRT P-IRT 2157402010123-27" in html
    assert "Sertifikat halal ID7411000123" in html and "Badan hukum AHU-0001.AH.01" in html
    assert "40 anggota" in html and "RAT terakhir 2025" in html and "Belum ada dokumen legalitas." in html
    assert "Terdaftar 30 Nov 2026 09.00 WITA" in html and "WhatsApp +6281234567890" in html
    assert html.count('name="decision" value="verified"') == 2 and html.count('name="decision" value="rejected"') == 2
    # the reject reason is labelled and required; every form carries its CSRF token
    assert '<label for="reason-m1-rejected">Alasan (wajib)</label>' in html
    assert re.search(r'<textarea id="reason-m1-rejected" name="reason"[^>]* required', html)
    assert html.count('action="/admin/usaha/m1/keputusan"') == 2
    assert html.count('name="csrf_token"') == html.count("<form method=\"post\"")


def test_tabs_show_suspend_and_reinstate(admin, fakes):
    html = assert_html_page(admin.get("/admin", params={"status": "verified"}))
    assert 'name="decision" value="suspended"' in html and 'name="decision" value="verified"' not in html
    html = assert_html_page(admin.get("/admin", params={"status": "suspended"}))
    assert 'name="decision" value="reinstated"' in html and "Alasan: Laporan pembeli." in html
    assert '<label for="reason-m4-reinstated">Alasan (opsional)</label>' in html
    html = assert_html_page(admin.get("/admin", params={"status": "rejected"}))
    assert "Tidak ada usaha dengan status ini." in html
    admin.get("/admin", params={"status": "hmm"})
    assert fakes.calls[-1][2] == "pending"


def test_verify(admin, fakes):
    response = decide(admin, "m1", "verified")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin?status=pending&done=verified&usaha=m1"
    assert decisions(fakes.calls) == [("m1", "verified", None)]
    assert [c for c in fakes.calls if c[0] == "decide_verification"][0][1]["role"] == "admin"
    html = assert_html_page(admin.get(response.headers["Location"]))
    # the notice names the business (escaped)
    assert "Keputusan disimpan: Koperasi &lt;script&gt;alert(1)&lt;/script&gt; terverifikasi." in html
    # an unknown business (or a catalog that does not answer): the notice without a name
    html = assert_html_page(admin.get("/admin", params={"status": "pending", "done": "verified", "usaha": "nope"}))
    assert "Keputusan disimpan: usaha terverifikasi." in html


def test_the_queue_links_each_business_and_says_what_changed(admin, fakes):
    fakes.catalog.merchants["m2"]["changes"] = [
        {"field": "name", "old": "Tenun Lama", "new": "Tenun Masalili"},
        {"field": "nib", "old": "9120001234567", "new": SCRIPT}]
    html = assert_html_page(admin.get("/admin"))
    assert '<a href="/usaha/m1">Lihat halaman usaha</a>' in html and '<a href="/usaha/m2#produk">' in html
    assert "Diubah: nama, NIB" in html
    assert "NIB: 9120001234567 → &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "nama: Tenun Lama → Tenun Masalili" in html
    assert html.count("Diubah:") == 1  # m1 changed nothing since a review
    # a suspended business's page answers 404 to buyers: no link, a note instead
    html = assert_html_page(admin.get("/admin", params={"status": "suspended"}))
    assert 'href="/usaha/m4"' not in html and "Halaman usaha dan produknya disembunyikan dari pembeli." in html


def test_the_queue_offers_every_region_and_ignores_an_unknown_one(admin, fakes):
    html = assert_html_page(admin.get("/admin"))
    assert '<select id="queue-region" name="region">' in html
    for code, name in REGIONS.items():
        assert f'<option value="{code}">{name}</option>' in html
    assert_html_page(admin.get("/admin", params={"region": "9999"}))
    assert fakes.calls[-1][2:] == ("pending", 1, 20)  # no region passed on


def test_reject_requires_a_reason(admin, fakes):
    html = assert_html_page(decide(admin, "m1", "rejected", reason="   "), status=422)
    assert not decisions(fakes.calls)
    assert 'id="reason-m1-rejected-error">Alasan wajib diisi untuk menolak atau membekukan usaha.' in html
    assert 'aria-invalid="true" aria-describedby="reason-m1-rejected-error"' in html
    response = decide(admin, "m1", "rejected", reason="Dokumen NIB tidak terbaca.")
    assert response.status_code == 303 and "done=rejected" in response.headers["Location"]
    assert decisions(fakes.calls) == [("m1", "rejected", "Dokumen NIB tidak terbaca.")]


def test_the_catalog_reason_error_is_shown_next_to_the_field_with_the_input_kept(admin):
    html = assert_html_page(decide(admin, "m2", "rejected", reason="ab"), status=422)
    assert 'id="reason-m2-rejected-error">minimal 3 karakter' in html and ">ab</textarea>" in html


def test_suspend_and_reinstate(admin, fakes):
    assert_html_page(decide(admin, "m3", "suspended", reason="", status="verified"), status=422)
    response = decide(admin, "m3", "suspended", reason="Laporan pembeli: produk palsu.", status="verified")
    assert response.status_code == 303 and response.headers["Location"].startswith("/admin?status=verified&done=suspended")
    response = decide(admin, "m4", "reinstated", reason="", status="suspended")
    assert response.status_code == 303 and "done=reinstated" in response.headers["Location"]
    assert decisions(fakes.calls) == [("m3", "suspended", "Laporan pembeli: produk palsu."), ("m4", "reinstated", None)]


def test_a_conflict_is_a_notice(admin):
    html = assert_html_page(decide(admin, "konflik", "verified"), status=409)
    assert "Keputusan tidak dapat disimpan." in html and "tidak berlaku untuk usaha berstatus" in html


def test_post_without_csrf_is_refused(admin, fakes):
    for token in ("", "palsu"):
        response = admin.post("/admin/usaha/m1/keputusan", data={"csrf_token": token, "decision": "verified"},
                              allow_redirects=False)
        assert_html_page(response, status=403)
    assert not decisions(fakes.calls)


def test_the_dashboard(admin, fakes):
    html = assert_html_page(admin.get("/admin/dasbor"))
    assert ("zero_result_queries", 7, 20) in fakes.calls
    assert [c for c in fakes.calls if c[0] == "province_summary"][0][1]["role"] == "admin"
    # 17 regions in the table and one bar each in both region charts
    assert html.count('<tr class="region-row">') == 17
    for code, name in REGIONS.items():
        assert f'<a href="/wilayah/{code}">{name}</a>' in html
    charts = re.findall(r'<svg class="chart hbars".*?</svg>', html, re.S)
    assert len(charts) == 4  # merchants, products, RAT, zero-result queries
    assert charts[0].count('<rect class="bar"') == 17 and charts[1].count('<rect class="bar"') == 17
    assert "Kota Kendari: 30" in charts[0] and "Kota Kendari: 900" in charts[1]
    assert '<td class="num">42</td>' in html and '<td class="num">1240</td>' in html  # the totals
    # koperasi and RAT
    assert "2 koperasi; 1 terlambat RAT (tahun 2026, WITA)." in html
    assert "Koperasi Sagu &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<span class="rat rat-late">Terlambat</span>' in html and "Belum dilaporkan" in html
    assert '<span class="rat rat-up_to_date">Tepat waktu</span>' in html
    assert charts[2].count('<rect class="bar"') == 2
    # zero-result queries
    assert "kasuami" in html and 'href="/?q=kasuami"' in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert charts[3].count('<rect class="bar"') == 2 and "kasuami: 14" in charts[3]


def test_the_dashboard_without_search_or_catalog_still_answers(start_gateway, web_session):
    sign_in_admin_on_site(start_gateway(), web_session)
    html = assert_html_page(web_session.get("/admin/dasbor"))
    assert html.count("Data ini sedang tidak tersedia.") == 3


def test_english(admin):
    admin.get("/bahasa", params={"l": "en", "next": "/"})
    html = assert_html_page(admin.get("/admin/dasbor"), lang="en")
    assert "Province dashboard" in html and "Businesses per regency/city" in html
    html = assert_html_page(admin.get("/admin"), lang="en")
    assert "Awaiting verification" in html and "Reject" in html
