"""Promoters are approved by an admin before a campaign of theirs can be scheduled: the
account status, the admin API and pages, the refusal of scheduling (API and pages) and the
cancellation of a suspended promoter's live campaigns. The real gateway on a real RabbitMQ,
on SQLite and PostgreSQL; promotion is the fake of gateway_fakes.py."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from services.gateway import accounts
from services.gateway.models import Account
from shared.db import make_engine, make_session_factory
from shared.errors import Forbidden, PromoterNotApproved, ServiceUnavailable
from shared.migrations import alembic_config

from gateway_fakes import FakeCatalog, FakePromotion, FakeSearch
from gateway_helpers import (
    SCRIPT,
    assert_error,
    assert_html_page,
    create_account,
    form_token,
    register_and_sign_in,
    sign_in_admin,
    sign_in_admin_on_site,
    sign_in_on_site,
)

DRAFT_ID = "1c7e1d4f-9e3b-4d66-8e8f-2a3b4c5d6e7f"
CAMPAIGN = {"name": "Festival Tenun", "starts_at": "2026-12-20T08:00:00+08:00", "ends_at": "2026-12-27T08:00:00+08:00",
            "discount": {"type": "percent", "value": 20}, "featured": False, "target": {"regions": ["7402"]}}
NO_STATISTICS = {"totals": {"impressions": 0, "clicks": 0, "contacts": 0, "discount_given": 0}, "days": []}


def campaign(campaign_id: str, status: str, owner_id: str) -> dict:
    return {"id": campaign_id, "name": f"Kampanye {campaign_id}", "description": None, "status": status,
            "starts_at": "2026-12-20T00:00:00Z", "ends_at": "2026-12-27T00:00:00Z", "discount": None,
            "featured": True, "target": {"regions": ["7402"]}, "max_products": None, "open_for_signup": False,
            "budget": None, "product_count": 0, "owner_id": owner_id, "version": 1, "statistics": NO_STATISTICS}


@pytest.fixture
def gateway(start_gateway, database_url):
    return start_gateway(FakeCatalog, FakeSearch, FakePromotion, database_url=database_url)


@pytest.fixture
def listing(fakes):
    """The fake promotion lists like the real one: one status, paged."""
    def list_campaigns(actor, status, page, per_page):
        items = [c for c in fakes.promotion.campaigns.values() if status in (None, "", c["status"])]
        return {"total": len(items), "page": page, "per_page": per_page,
                "items": items[(page - 1) * per_page:page * per_page]}

    fakes.promotion.list_campaigns = list_campaigns
    return fakes


@pytest.fixture
def admin(gateway, web_session):
    return sign_in_admin(gateway, web_session)


@pytest.fixture
def promoter(gateway, web_session):
    """A new promoter signed in over the API: its Authorization header and id."""
    return register_and_sign_in(web_session, "la.ode@example.com", "promoter")


def decide(web_session, admin_auth, account_id, decision, reason=None):
    return web_session.post(f"/api/v1/admin/accounts/{account_id}/approval",
                            json={"decision": decision, "reason": reason}, headers=admin_auth)


# --- registration ------------------------------------------------------------------------------


def test_a_new_promoter_is_pending_and_an_owner_active(gateway, web_session):
    promoter = create_account(web_session, "la.ode@example.com", "promoter")
    assert set(promoter) == {"id", "email", "name", "role", "status"}
    assert promoter["role"] == "promoter" and promoter["status"] == "pending"
    assert create_account(web_session, "wa.ode@example.com", "owner")["status"] == "active"


def test_admins_made_on_the_command_line_are_active(gateway, admin):
    assert admin[1]["status"] == "active"


def test_the_demo_seed_can_create_approved_promoters(gateway):
    with gateway() as session:
        created = accounts.create_account(session, "demo.promotor@example.com", "kain-tenun-123", "Demo", "promoter",
                                          approved=True)
        session.commit()
    assert created["status"] == "approved"


# --- the refusal ---------------------------------------------------------------------------------


def test_a_pending_promoter_drafts_and_previews_but_cannot_schedule(web_session, promoter, fakes):
    auth, promoter_id = promoter
    fakes.promotion.new_campaign = campaign(DRAFT_ID, "draft", promoter_id)
    fakes.promotion.add_campaigns(campaign(DRAFT_ID, "draft", promoter_id))

    assert web_session.post("/api/v1/campaigns", json={**CAMPAIGN, "draft": True}, headers=auth).status_code == 201
    assert web_session.get(f"/api/v1/campaigns/{DRAFT_ID}/preview", headers=auth).status_code == 200
    fakes.calls.clear()

    body = assert_error(web_session.post(f"/api/v1/campaigns/{DRAFT_ID}/schedule", headers=auth), 403,
                        "promoter_not_approved", "status")
    assert body["error"]["fields"]["status"] == "pending"
    for data in (CAMPAIGN, {**CAMPAIGN, "draft": False}):  # created scheduled directly
        assert_error(web_session.post("/api/v1/campaigns", json=data, headers=auth), 403, "promoter_not_approved")
    assert fakes.calls == []  # refused before the promotion service is asked


def test_the_refusal_is_a_typed_forbidden_error():
    assert issubclass(PromoterNotApproved, Forbidden) and PromoterNotApproved.status == 403
    assert PromoterNotApproved.code == "promoter_not_approved"
    with pytest.raises(PromoterNotApproved):
        accounts.require_approved({"role": "promoter", "status": "suspended"})
    accounts.require_approved({"role": "admin", "status": "active"})
    accounts.require_approved({"role": "promoter", "status": "approved"})


def test_an_approved_promoter_schedules(web_session, admin, promoter, fakes):
    auth, promoter_id = promoter
    fakes.promotion.add_campaigns(campaign(DRAFT_ID, "draft", promoter_id))
    response = decide(web_session, admin[0], promoter_id, "approved")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved" and response.json()["status_decided_by"] == admin[1]["id"]
    assert response.json()["cancelled_campaigns"] == 0

    assert web_session.post(f"/api/v1/campaigns/{DRAFT_ID}/schedule", headers=auth).status_code == 200
    assert fakes.calls_to("schedule_campaign")[0][2] == DRAFT_ID
    fakes.promotion.new_campaign = campaign(DRAFT_ID, "scheduled", promoter_id)
    assert web_session.post("/api/v1/campaigns", json=CAMPAIGN, headers=auth).status_code == 201


def test_a_rejected_promoter_is_told_why(web_session, admin, promoter, fakes):
    auth, promoter_id = promoter
    assert_error(decide(web_session, admin[0], promoter_id, "rejected"), 422, "validation_failed", "reason")
    assert_error(decide(web_session, admin[0], promoter_id, "rejected", "   "), 422, "validation_failed", "reason")
    response = decide(web_session, admin[0], promoter_id, "rejected", "Bukan lembaga yang dikenal.")
    assert response.status_code == 200 and response.json()["status"] == "rejected"

    body = assert_error(web_session.post(f"/api/v1/campaigns/{DRAFT_ID}/schedule", headers=auth), 403,
                        "promoter_not_approved")
    assert body["error"]["fields"] == {"status": "rejected", "reason": "Bukan lembaga yang dikenal."}
    # a second look: a rejected promoter may still be approved
    assert decide(web_session, admin[0], promoter_id, "approved").json()["status"] == "approved"


# --- the decisions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("decision, status", [("suspended", "pending"), ("reinstated", "pending")])
def test_a_decision_that_does_not_apply_is_409_naming_the_status(web_session, admin, promoter, decision, status):
    body = assert_error(decide(web_session, admin[0], promoter[1], decision, "alasan"), 409, "conflict", "status")
    assert body["error"]["fields"]["status"] == status


def test_approving_twice_is_409(web_session, admin, promoter):
    assert decide(web_session, admin[0], promoter[1], "approved").status_code == 200
    body = assert_error(decide(web_session, admin[0], promoter[1], "approved"), 409, "conflict", "status")
    assert body["error"]["fields"]["status"] == "approved"


def test_bad_decisions_and_unknown_accounts(web_session, admin, promoter):
    auth = admin[0]
    assert_error(decide(web_session, auth, promoter[1], "verified"), 422, "validation_failed", "decision")
    too_long = "x" * 1001
    assert_error(decide(web_session, auth, promoter[1], "suspended", too_long), 422, "validation_failed", "reason")
    assert_error(decide(web_session, auth, "no-such-account", "approved"), 404, "not_found")
    owner = create_account(web_session, "wa.ode@example.com", "owner")
    assert_error(decide(web_session, auth, owner["id"], "approved"), 404, "not_found")  # only promoters


def test_only_admins_decide_and_list(gateway, web_session, promoter):
    auth, promoter_id = promoter
    assert_error(decide(web_session, {}, promoter_id, "approved"), 401, "unauthorized")
    assert_error(decide(web_session, auth, promoter_id, "approved"), 403, "forbidden")
    assert_error(web_session.get("/api/v1/admin/accounts"), 401, "unauthorized")
    assert_error(web_session.get("/api/v1/admin/accounts", headers=auth), 403, "forbidden")


def test_the_admin_list_filters_pages_and_puts_the_waiting_first(web_session, admin):
    ids = [create_account(web_session, f"promotor{n}@example.com", "promoter", name=f"Promotor {n}")["id"]
           for n in range(3)]
    create_account(web_session, "wa.ode@example.com", "owner")
    assert decide(web_session, admin[0], ids[0], "approved").status_code == 200

    response = web_session.get("/api/v1/admin/accounts?role=promoter&status=pending", headers=admin[0])
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and [item["id"] for item in body["items"]] == ids[1:]
    assert set(body["items"][0]) >= {"id", "email", "name", "role", "status", "status_reason", "created_at"}

    everyone = web_session.get("/api/v1/admin/accounts?role=promoter&per_page=2&page=1", headers=admin[0]).json()
    assert everyone["total"] == 3 and [item["status"] for item in everyone["items"]] == ["pending", "pending"]
    last = web_session.get("/api/v1/admin/accounts?role=promoter&per_page=2&page=2", headers=admin[0]).json()
    assert [item["id"] for item in last["items"]] == [ids[0]]


def test_bad_list_parameters_are_422_naming_each(web_session, admin):
    response = web_session.get("/api/v1/admin/accounts?role=kurator&status=x&page=0&per_page=101", headers=admin[0])
    body = assert_error(response, 422, "validation_failed")
    assert set(body["error"]["fields"]) == {"role", "status", "page", "per_page"}
    assert_error(web_session.get("/api/v1/admin/accounts?per_page=abc", headers=admin[0]), 422,
                 "validation_failed", "per_page")


# --- suspension -----------------------------------------------------------------------------------


def test_suspending_cancels_the_live_campaigns_of_that_promoter_only(web_session, admin, promoter, listing):
    auth, promoter_id = promoter
    assert decide(web_session, admin[0], promoter_id, "approved").status_code == 200
    other = [campaign(f"00000000-0000-4000-8000-{n:012d}", "scheduled", "someone-else") for n in range(120)]
    mine = [campaign("11111111-0000-4000-8000-000000000001", "scheduled", promoter_id),
            campaign("11111111-0000-4000-8000-000000000002", "active", promoter_id),
            campaign("11111111-0000-4000-8000-000000000003", "draft", promoter_id),
            campaign("11111111-0000-4000-8000-000000000004", "ended", promoter_id)]
    listing.promotion.add_campaigns(*other, *mine)
    listing.calls.clear()

    response = decide(web_session, admin[0], promoter_id, "suspended", "Harga dinaikkan sebelum diskon.")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "suspended" and response.json()["cancelled_campaigns"] == 2
    cancels = listing.calls_to("cancel_campaign")
    assert [call[2] for call in cancels] == [mine[0]["id"], mine[1]["id"]]
    assert all(call[1] == {"id": admin[1]["id"], "role": "admin"} for call in cancels)  # as the admin
    statuses = {c["id"]: c["status"] for c in listing.promotion.campaigns.values()}
    assert [statuses[c["id"]] for c in mine] == ["cancelled", "cancelled", "draft", "ended"]
    assert all(statuses[c["id"]] == "scheduled" for c in other)
    assert ("list_campaigns", {"id": admin[1]["id"], "role": "admin"}, "scheduled", 2, 100) in listing.calls

    body = assert_error(web_session.post(f"/api/v1/campaigns/{mine[2]['id']}/schedule", headers=auth), 403,
                        "promoter_not_approved")
    assert body["error"]["fields"]["status"] == "suspended"
    reinstated = decide(web_session, admin[0], promoter_id, "reinstated")
    assert reinstated.json()["status"] == "approved" and reinstated.json()["status_reason"] is None
    assert web_session.post(f"/api/v1/campaigns/{mine[2]['id']}/schedule", headers=auth).status_code == 200


def test_a_suspension_promotion_cannot_carry_out_changes_nothing(web_session, admin, promoter, listing):
    promoter_id = promoter[1]
    assert decide(web_session, admin[0], promoter_id, "approved").status_code == 200
    listing.promotion.raises["list_campaigns"] = ServiceUnavailable("Layanan promosi tidak tersedia.")
    assert_error(decide(web_session, admin[0], promoter_id, "suspended", "alasan"), 503, "service_unavailable")
    listed = web_session.get("/api/v1/admin/accounts?role=promoter", headers=admin[0]).json()["items"]
    assert listed[0]["status"] == "approved"  # the admin simply tries again
    del listing.promotion.raises["list_campaigns"]
    assert decide(web_session, admin[0], promoter_id, "suspended", "alasan").json()["status"] == "suspended"


# --- the admin page -------------------------------------------------------------------------------------


@pytest.fixture
def admin_site(gateway, web_session):
    sign_in_admin_on_site(gateway, web_session)
    return web_session


def _promoter_account(gateway, name="Promotor " + SCRIPT, status=None) -> str:
    with gateway() as session:
        created = accounts.create_account(session, "la.ode@example.com", "kain-tenun-123", name, "promoter")
        if status is not None:
            session.get(Account, created["id"]).status = status
        session.commit()
    return created["id"]


def test_the_admin_page_lists_the_waiting_promoters_and_approves(gateway, admin_site, fakes):
    promoter_id = _promoter_account(gateway)
    html = assert_html_page(admin_site.get("/admin/promotor"))
    assert 'href="/admin/promotor" aria-current="page"' in html  # linked from the admin nav
    assert "la.ode@example.com" in html and f'action="/admin/promotor/{promoter_id}/keputusan"' in html

    response = admin_site.post(f"/admin/promotor/{promoter_id}/keputusan",
                               data={"csrf_token": form_token(html), "decision": "approved", "status": "pending"},
                               allow_redirects=False)
    assert response.status_code == 303
    html = assert_html_page(admin_site.get(response.headers["Location"]))
    assert "Keputusan disimpan: promotor Promotor &lt;script&gt;" in html  # names the promoter, escaped
    with gateway() as session:
        assert session.get(Account, promoter_id).status == "approved"


def test_the_admin_page_requires_a_reason_and_a_csrf_token(gateway, admin_site):
    promoter_id = _promoter_account(gateway)
    token = form_token(admin_site.get("/admin/promotor").text)
    path = f"/admin/promotor/{promoter_id}/keputusan"
    html = assert_html_page(admin_site.post(path, data={"csrf_token": token, "decision": "rejected", "reason": " "}),
                            status=422)
    assert "Alasan wajib diisi" in html and 'aria-invalid="true"' in html
    assert admin_site.post(path, data={"decision": "approved"}).status_code == 403  # no CSRF token
    token = form_token(admin_site.get("/admin/promotor").text)  # the refusal renewed it
    html = assert_html_page(admin_site.post(path, data={"csrf_token": token, "decision": "suspended",
                                                        "reason": "x"}), status=409)
    assert "menunggu persetujuan" in html  # names the status
    with gateway() as session:
        assert session.get(Account, promoter_id).status == "pending"


def test_suspending_on_the_page_reports_the_cancelled_campaigns(gateway, admin_site, listing):
    promoter_id = _promoter_account(gateway, name="Promotor Kendari", status="approved")
    listing.promotion.add_campaigns(campaign("11111111-0000-4000-8000-000000000001", "active", promoter_id))
    html = admin_site.get("/admin/promotor?status=approved").text
    response = admin_site.post(f"/admin/promotor/{promoter_id}/keputusan",
                               data={"csrf_token": form_token(html), "decision": "suspended", "status": "approved",
                                     "reason": "Melanggar ketentuan."}, allow_redirects=False)
    assert response.status_code == 303
    html = assert_html_page(admin_site.get(response.headers["Location"]))
    assert "promotor Promotor Kendari dibekukan" in html and "1 kampanye" in html
    assert [call[2] for call in listing.calls_to("cancel_campaign")] == ["11111111-0000-4000-8000-000000000001"]


def test_only_admins_open_the_promoter_approval_page(gateway, web_session):
    assert web_session.get("/admin/promotor", allow_redirects=False).status_code == 303
    register_and_sign_in(web_session, "la.ode@example.com", "promoter")
    sign_in_on_site(web_session, "la.ode@example.com")
    assert_html_page(web_session.get("/admin/promotor"), status=403)


# --- the promoter's own pages -------------------------------------------------------------------------


@pytest.fixture
def promoter_site(gateway, web_session, fakes):
    account = create_account(web_session, "la.ode@example.com", "promoter")
    assert sign_in_on_site(web_session, "la.ode@example.com").status_code == 303
    fakes.promotion.add_campaigns(campaign(DRAFT_ID, "draft", account["id"]))
    return web_session, account["id"]


def _set_status(gateway, account_id, status, reason=None):
    with gateway() as session:
        account = session.get(Account, account_id)
        account.status, account.status_reason = status, reason
        session.commit()


def test_a_pending_promoter_sees_the_notice_and_no_schedule_button(gateway, promoter_site, fakes):
    site, _ = promoter_site
    for path in ("/promotor", "/promotor/kampanye/baru"):
        assert "menunggu persetujuan admin" in assert_html_page(site.get(path))
    html = assert_html_page(site.get(f"/promotor/kampanye/{DRAFT_ID}"))
    assert "menunggu persetujuan admin" in html
    assert f'action="/promotor/kampanye/{DRAFT_ID}/jadwalkan"' not in html and "disabled" in html
    fakes.calls.clear()
    response = site.post(f"/promotor/kampanye/{DRAFT_ID}/jadwalkan", data={"csrf_token": form_token(html)})
    assert "belum disetujui admin" in assert_html_page(response, status=403)
    assert fakes.calls_to("schedule_campaign") == []


def test_a_suspended_promoter_sees_the_reason(gateway, promoter_site):
    site, promoter_id = promoter_site
    _set_status(gateway, promoter_id, "suspended", "Harga dinaikkan " + SCRIPT)
    html = assert_html_page(site.get("/promotor"))
    assert "dibekukan admin" in html and "Harga dinaikkan &lt;script&gt;" in html


def test_an_approved_promoter_sees_no_notice_and_schedules(gateway, promoter_site, fakes):
    site, promoter_id = promoter_site
    _set_status(gateway, promoter_id, "approved")
    html = assert_html_page(site.get(f"/promotor/kampanye/{DRAFT_ID}"))
    assert "approval-notice" not in html and f'action="/promotor/kampanye/{DRAFT_ID}/jadwalkan"' in html
    response = site.post(f"/promotor/kampanye/{DRAFT_ID}/jadwalkan", data={"csrf_token": form_token(html)},
                         allow_redirects=False)
    assert response.status_code == 303 and fakes.calls_to("schedule_campaign")[0][2] == DRAFT_ID


# --- the migration ------------------------------------------------------------------------------------


def test_the_migration_makes_existing_promoters_approved_and_others_active(database_url):
    from alembic import command

    command.upgrade(alembic_config("gateway", database_url), "0002")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            for account_id, role in (("p1", "promoter"), ("o1", "owner"), ("a1", "admin")):
                connection.execute(text(
                    "INSERT INTO accounts (id, email, name, role, password_hash, created_at) "
                    "VALUES (:id, :email, 'Nama', :role, 'x', CURRENT_TIMESTAMP)"),
                    {"id": account_id, "email": f"{account_id}@example.com", "role": role})
        command.upgrade(alembic_config("gateway", database_url), "head")
        with make_session_factory(engine)() as session:
            assert {a.id: a.status for a in session.query(Account)} == {"p1": "approved", "o1": "active",
                                                                       "a1": "active"}
    finally:
        engine.dispose()
