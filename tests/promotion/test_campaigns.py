"""Campaigns as plain functions over a real database (SQLite and PostgreSQL): validation,
targeting, membership, ownership, the status machine, timers, pricing, budget, featured
rotation and statistics."""
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from services.promotion import campaigns, facts
from services.promotion.models import Campaign, ProductFact, ProductInteractionDay, ProductPricingState
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.events import Event

from campaign_helpers import (
    ADMIN,
    NOW,
    OTHER_OWNER,
    OTHER_PROMOTER,
    OWNER,
    PROMOTER,
    add_merchant,
    add_products,
    at,
    campaign_data,
    iso,
    join_all,
    last_outbox_id,
    pricing_events,
)


def create(session, actor=PROMOTER, now=NOW, joined=True, **overrides):
    """A campaign; with ``joined``, merchant m-1's owner joins every product it invites at
    once (a discount applies only to joined products; the rule itself is tested below)."""
    campaign = campaigns.create_campaign(session, actor, campaign_data(**overrides), now)
    if joined and campaign["discount"] and campaign["status"] in ("scheduled", "active") and session.scalar(
            select(ProductFact.id).where(ProductFact.merchant_id == "m-1").limit(1)) is not None:
        try:
            join_all(session, campaign["id"], now=now)
        except ValidationFailed:  # none of m-1's products is invited
            pass
        return campaigns.get_campaign(session, ADMIN, campaign["id"], now)
    return campaign


def start(session, campaign, now=None):
    moment = now or at(hours=1)
    campaigns.advance(session, moment)
    return campaigns.get_campaign(session, PROMOTER if campaign["owner_id"] == PROMOTER["id"] else ADMIN,
                                  campaign["id"], moment)


# ---------------------------------------------------------------- validation

def fields_of(excinfo) -> dict:
    return excinfo.value.fields


def test_validation_names_every_bad_field(session):
    with pytest.raises(ValidationFailed) as excinfo:
        campaigns.create_campaign(session, PROMOTER, {
            "name": "ab", "starts_at": "2026-12-03T10:00:00", "ends_at": "kemarin",
            "discount": {"type": "percent", "value": 95}, "featured": "ya",
            "target": {"categories": ["mainan"], "regions": ["9999"], "merchant_kind": "pt"},
            "max_products": 0, "budget": 0, "funded_by": "bank"}, NOW)
    fields = fields_of(excinfo)
    assert set(fields) >= {"name", "starts_at", "ends_at", "discount.value", "featured", "target.categories",
                           "target.regions", "target.merchant_kind", "max_products", "budget", "funded_by"}
    assert "zona waktu" in fields["starts_at"]
    assert "mainan" in fields["target.categories"] and "9999" in fields["target.regions"]


@pytest.mark.parametrize("overrides,field", [
    ({"ends_at": iso(at(hours=1))}, "ends_at"),  # not after the start
    ({"starts_at": iso(at(minutes=-30))}, "starts_at"),  # in the past
    ({"discount": {"type": "percent", "value": 0}}, "discount.value"),
    ({"discount": {"type": "fixed", "value": 0}}, "discount.value"),
    ({"discount": {"type": "gratis", "value": 5}}, "discount.type"),
    ({"discount": None, "featured": False}, "discount"),
    ({"target": {}}, "target"),
    ({"target": {"product_ids": [f"p{n}" for n in range(1001)]}}, "target.product_ids"),
    ({"name": "x" * 121}, "name"),
])
def test_each_bad_field_is_named(session, overrides, field):
    with pytest.raises(ValidationFailed) as excinfo:
        create(session, **overrides)
    assert field in fields_of(excinfo)


def test_a_start_within_the_grace_period_starts_at_once(session):
    add_products(session, 3)
    campaign = create(session, starts_at=iso(at(minutes=-2)))
    assert campaign["status"] == "active" and campaign["product_count"] == 3
    events, _ = pricing_events(session)
    assert {event["payload"]["effective_price"] for event in events} == {80_000}


def test_detail_shape_and_wita_times(session):
    campaign = create(session, budget=500_000, funded_by="pemda", starts_at="2026-12-03T10:00:00+08:00")
    assert campaign["status"] == "scheduled" and campaign["version"] == 1
    assert campaign["starts_at"] == "2026-12-03T02:00:00Z" and campaign["starts_at_wita"] == "3 Des 2026 10.00 WITA"
    assert campaign["discount"] == {"type": "percent", "value": 20}
    assert campaign["target"] == {"product_ids": [], "categories": [], "regions": ["7402"], "merchant_kind": None,
                                  "verified_only": False}
    assert campaign["budget"] == {"amount": 500_000, "spent": 0, "remaining": 500_000, "funded_by": "pemda",
                                  "exhausted": False}
    assert campaign["statistics"] == {"totals": {"impressions": 0, "clicks": 0, "contacts": 0, "discount_given": 0},
                                      "days": []}
    draft = campaigns.create_campaign(session, PROMOTER, campaign_data(draft=True), NOW)
    assert draft["status"] == "draft"


# ---------------------------------------------------------------- targeting and membership

def test_targeting_parent_category_region_kind_and_verified(session):
    add_products(session, 2, prefix="mete", category="mete-kacang", parent="pertanian-perkebunan")
    add_products(session, 2, prefix="kakao", category="kakao-cokelat", parent="pertanian-perkebunan")
    add_products(session, 2, prefix="tenun", category="tenun", parent="kerajinan")
    add_products(session, 1, prefix="buton", region="7401")
    add_products(session, 1, prefix="kop", kind="koperasi")
    add_products(session, 1, prefix="unver", verified=False)
    campaign = create(session, target={"categories": ["pertanian-perkebunan"], "regions": ["7402"]})
    preview = campaigns.preview_campaign(session, PROMOTER, campaign["id"], NOW)
    ids = {product["id"] for product in preview["products"]}
    assert ids == {"mete00000", "mete00001", "kakao00000", "kakao00001", "kop00000", "unver00000"}
    assert preview["count"] == 6 and preview["products"][0]["effective_price"] == 80_000

    narrow = create(session, target={"categories": ["tenun", "mete-kacang"], "merchant_kind": "umkm",
                                     "verified_only": True})
    ids = {product["id"] for product in campaigns.preview_campaign(session, PROMOTER, narrow["id"], NOW)["products"]}
    assert ids == {"mete00000", "mete00001", "tenun00000", "tenun00001", "buton00000"}

    listed = create(session, target={"product_ids": ["tenun00001", "buton00000", "nope"]})
    assert campaigns.preview_campaign(session, PROMOTER, listed["id"], NOW)["count"] == 2


def test_max_products_counts_joined_products_and_refuses_an_opt_in_past_it_whole(session):
    add_merchant(session)
    add_products(session, 5)
    campaign = create(session, joined=False, max_products=3)
    campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00000", "p00001", "p00002"]}, NOW)
    with pytest.raises(Conflict) as excinfo:  # all or nothing: p00004 does not get in either
        campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00003", "p00004"]}, NOW)
    assert excinfo.value.fields == {"max_products": 3, "room": 0}
    campaigns.opt_out(session, OWNER, campaign["id"], {"product_ids": ["p00001"]}, NOW)
    with pytest.raises(Conflict):
        campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00003", "p00004"]}, NOW)
    campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00003"]}, NOW)
    preview = campaigns.preview_campaign(session, PROMOTER, campaign["id"], NOW)  # invited: all but the one out
    assert [(product["id"], product["joined"]) for product in preview["products"]] == [
        ("p00000", True), ("p00002", True), ("p00003", True), ("p00004", False)]
    assert (preview["count"], preview["joined"]) == (4, 3)
    started = start(session, campaign)
    assert started["status"] == "active" and started["product_count"] == 3
    assert campaigns.member_ids(session, campaign["id"]) == ["p00000", "p00002", "p00003"]
    # opting back in while active: the quota is full
    with pytest.raises(Conflict) as excinfo:
        campaigns.opt_in(session, OWNER, campaign["id"], "p00001", at(hours=2))
    assert "max_products" in excinfo.value.fields
    campaigns.opt_out(session, OWNER, campaign["id"], "p00002", at(hours=2))
    assert campaigns.opt_in(session, OWNER, campaign["id"], "p00001", at(hours=2))["member"] is True
    assert campaigns.member_ids(session, campaign["id"]) == ["p00000", "p00001", "p00003"]


def test_open_for_signup_takes_only_signed_up_matching_products(session):
    add_merchant(session)
    add_merchant(session, "m-2", "owner-2")
    add_products(session, 3)
    add_products(session, 1, prefix="other", merchant_id="m-2")
    add_products(session, 1, prefix="buton", region="7401")
    campaign = create(session, joined=False, open_for_signup=True, featured=True, discount=None)
    preview = campaigns.preview_campaign(session, PROMOTER, campaign["id"], NOW)
    assert (preview["count"], preview["joined"]) == (4, 0)  # m-1's three and m-2's one are invited
    assert campaigns.opt_in(session, OWNER, campaign["id"], "p00002", NOW) == {
        "campaign_id": campaign["id"], "product_id": "p00002", "product_ids": ["p00002"], "member": True}
    with pytest.raises(Forbidden):
        campaigns.opt_in(session, OWNER, campaign["id"], "other00000", NOW)
    with pytest.raises(ValidationFailed) as excinfo:  # does not match the targeting (region)
        campaigns.opt_in(session, ADMIN, campaign["id"], "buton00000", NOW)
    assert "product_id" in excinfo.value.fields
    for_owner = campaigns.campaigns_for_owner(session, OWNER, NOW)["items"]
    assert len(for_owner) == 1 and for_owner[0]["id"] == campaign["id"] and for_owner[0]["requires_join"] is True
    assert [(p["product_id"], p["member"], p["state"]) for p in for_owner[0]["my_products"]] == [
        ("p00000", False, "invited"), ("p00001", False, "invited"), ("p00002", True, "joined")]
    assert start(session, campaign)["product_count"] == 1
    assert campaigns.member_ids(session, campaign["id"]) == ["p00002"]


def test_featured_only_takes_products_without_a_join_and_the_owner_can_take_them_out(session):
    add_merchant(session)
    add_products(session, 2)
    campaign = create(session, joined=False, discount=None, featured=True)
    assert campaigns.preview_campaign(session, PROMOTER, campaign["id"], NOW)["count"] == 2
    assert campaigns.opt_in(session, OWNER, campaign["id"], "p00000", NOW)["member"] is True  # already in: fine
    campaigns.opt_out(session, OWNER, campaign["id"], "p00000", NOW)
    assert campaigns.preview_campaign(session, PROMOTER, campaign["id"], NOW)["count"] == 1
    mine = campaigns.campaigns_for_owner(session, OWNER, NOW)["items"][0]
    assert mine["requires_join"] is False
    assert [(p["product_id"], p["state"]) for p in mine["my_products"]] == [("p00000", "out"), ("p00001", "joined")]
    campaigns.opt_in(session, OWNER, campaign["id"], "p00000", NOW)
    assert start(session, campaign)["product_count"] == 2
    mark = last_outbox_id(session)
    campaigns.opt_out(session, OWNER, campaign["id"], {"merchant_id": "m-1", "all": True}, at(hours=2))
    events, _ = pricing_events(session, mark)
    assert sorted((e["aggregate_id"], e["payload"]["badge"]) for e in events) == [("p00000", None), ("p00001", None)]
    with pytest.raises(Forbidden):
        campaigns.opt_out(session, OTHER_OWNER, campaign["id"], "p00000", NOW)


def test_a_discount_invites_and_prices_only_what_the_owner_joined(session):
    add_merchant(session)
    add_products(session, 3)
    campaign = create(session, joined=False, budget=1_000_000, funded_by="pemda")
    assert campaign["product_count"] == 0  # invited, not in
    mine = campaigns.campaigns_for_owner(session, OWNER, NOW)["items"]
    assert [(item["id"], item["requires_join"], item["funded_by"], item["discount"], item["starts_at_wita"])
            for item in mine] == [(campaign["id"], True, "pemda", {"type": "percent", "value": 20},
                                   "3 Des 2026 09.00 WITA")]
    assert [(p["product_id"], p["state"], p["member"], p["price"], p["effective_price"])
            for p in mine[0]["my_products"]] == [(f"p0000{n}", "invited", False, 100_000, 80_000) for n in range(3)]
    started = start(session, campaign)
    assert started["product_count"] == 0 and pricing_events(session)[0] == []  # nobody's price changed

    mark = last_outbox_id(session)
    joined = campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00001", "p00000"]}, at(hours=2))
    assert joined == {"campaign_id": campaign["id"], "product_ids": ["p00001", "p00000"], "member": True}
    events, mark = pricing_events(session, mark)
    assert sorted((e["aggregate_id"], e["payload"]["effective_price"]) for e in events) == [
        ("p00000", 80_000), ("p00001", 80_000)]
    campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00000"]}, at(hours=2))  # twice: fine
    assert pricing_events(session, mark)[0] == []
    mine = campaigns.campaigns_for_owner(session, OWNER, at(hours=2))["items"][0]
    assert [(p["product_id"], p["state"], p["member"]) for p in mine["my_products"]] == [
        ("p00000", "joined", True), ("p00001", "joined", True), ("p00002", "invited", False)]

    campaigns.opt_out(session, OWNER, campaign["id"], {"product_ids": ["p00001"]}, at(hours=3))  # leaving reverts
    events, mark = pricing_events(session, mark)
    assert [(e["aggregate_id"], e["payload"]["effective_price"], e["payload"]["campaign_id"]) for e in events] == [
        ("p00001", 100_000, None)]
    mine = campaigns.campaigns_for_owner(session, OWNER, at(hours=3))["items"][0]
    assert [p["state"] for p in mine["my_products"]] == ["joined", "out", "invited"]
    # "Ikut semua": every invited product of the merchant, in one call; out ones come back in
    assert campaigns.opt_in(session, OWNER, campaign["id"], {"merchant_id": "m-1", "all": True}, at(hours=3))[
        "product_ids"] == ["p00000", "p00001", "p00002"]
    events, _ = pricing_events(session, mark)
    assert sorted(e["aggregate_id"] for e in events) == ["p00001", "p00002"]
    assert campaigns.member_ids(session, campaign["id"]) == ["p00000", "p00001", "p00002"]


@pytest.mark.parametrize("selection,field", [
    ({}, "product_ids"), ({"product_ids": []}, "product_ids"), ({"product_ids": ["p00000", 3]}, "product_ids"),
    ({"product_ids": [f"p{n}" for n in range(501)]}, "product_ids"), ({"product_id": ""}, "product_id"),
    ({"merchant_id": "m-1"}, "all"), ({"merchant_id": "m-1", "all": "ya"}, "all"), ({"merchant_id": "", "all": True},
                                                                                    "merchant_id"),
    ({"product_ids": ["p00000"], "merchant_id": "m-1", "all": True}, "product_ids"), (["p00000"], "product_ids"),
])
def test_opt_in_and_out_validate_the_selection(session, selection, field):
    add_merchant(session)
    add_products(session, 1)
    campaign = create(session, joined=False)
    for operation in (campaigns.opt_in, campaigns.opt_out):
        with pytest.raises(ValidationFailed) as excinfo:
            operation(session, OWNER, campaign["id"], selection, NOW)
        assert field in excinfo.value.fields


def test_only_the_owner_or_an_admin_joins_and_a_refused_selection_writes_nothing(session):
    add_merchant(session)
    add_merchant(session, "m-2", "owner-2")
    add_products(session, 2)
    add_products(session, 1, prefix="other", merchant_id="m-2")
    add_products(session, 1, prefix="buton", region="7401")
    campaign = create(session, joined=False)
    whole = {"merchant_id": "m-1", "all": True}
    for actor in (PROMOTER, OTHER_PROMOTER):  # not even the campaign's own promoter
        with pytest.raises(Forbidden):
            campaigns.opt_in(session, actor, campaign["id"], whole, NOW)
    with pytest.raises(Forbidden) as excinfo:
        campaigns.opt_in(session, OTHER_OWNER, campaign["id"], whole, NOW)
    assert excinfo.value.fields == {"merchant_id": "bukan milik Anda"}
    with pytest.raises(Forbidden) as excinfo:  # one product is another owner's: none joins
        campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00000", "other00000"]}, NOW)
    assert "other00000" in excinfo.value.fields["product_ids"]
    with pytest.raises(NotFound) as excinfo:
        campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00000", "nope"]}, NOW)
    assert "nope" in excinfo.value.fields["product_ids"]
    with pytest.raises(NotFound):
        campaigns.opt_in(session, OWNER, campaign["id"], {"merchant_id": "m-9", "all": True}, NOW)
    with pytest.raises(ValidationFailed) as excinfo:  # buton00000 is not invited (another region)
        campaigns.opt_in(session, ADMIN, campaign["id"], {"product_ids": ["p00001", "buton00000"]}, NOW)
    assert "buton00000" in excinfo.value.fields["product_ids"]
    with pytest.raises(Forbidden):
        campaigns.opt_out(session, OTHER_OWNER, campaign["id"], {"product_ids": ["p00000"]}, NOW)
    assert campaigns.preview_campaign(session, PROMOTER, campaign["id"], NOW)["joined"] == 0
    assert [p["state"] for p in campaigns.campaigns_for_owner(session, OWNER, NOW)["items"][0]["my_products"]] == [
        "invited", "invited"]
    # an admin may act for the owner
    assert campaigns.opt_in(session, ADMIN, campaign["id"], whole, NOW)["product_ids"] == ["p00000", "p00001"]
    assert campaigns.preview_campaign(session, PROMOTER, campaign["id"], NOW)["joined"] == 2


def test_opt_out_of_an_active_campaign_reverts_the_price(session):
    add_merchant(session)
    add_products(session, 2)
    campaign = create(session)
    start(session, campaign)
    mark = last_outbox_id(session)
    campaigns.opt_out(session, OWNER, campaign["id"], "p00000", at(hours=2))
    events, _ = pricing_events(session, mark)
    assert [(e["aggregate_id"], e["payload"]["effective_price"], e["payload"]["campaign_id"]) for e in events] == [
        ("p00000", 100_000, None)]


# ---------------------------------------------------------------- ownership

def test_another_promoters_campaign_is_not_found(session):
    campaign = create(session)
    for call in (lambda: campaigns.get_campaign(session, OTHER_PROMOTER, campaign["id"], NOW),
                 lambda: campaigns.cancel_campaign(session, OTHER_PROMOTER, campaign["id"], NOW),
                 lambda: campaigns.update_campaign(session, OTHER_PROMOTER, campaign["id"], {"name": "Punyaku"}, NOW),
                 lambda: campaigns.preview_campaign(session, OTHER_PROMOTER, campaign["id"], NOW)):
        with pytest.raises(NotFound):
            call()
    assert campaigns.get_campaign(session, ADMIN, campaign["id"], NOW)["id"] == campaign["id"]
    assert campaigns.list_campaigns(session, OTHER_PROMOTER, NOW)["total"] == 0
    listed = campaigns.list_campaigns(session, PROMOTER, NOW)
    assert listed["total"] == 1 and "days" not in listed["items"][0]["statistics"]
    assert campaigns.list_campaigns(session, ADMIN, NOW, status="scheduled")["total"] == 1
    with pytest.raises(Forbidden):
        campaigns.list_campaigns(session, OWNER, NOW)
    with pytest.raises(Forbidden):
        create(session, actor=OWNER)


# ---------------------------------------------------------------- status machine and edits

def test_status_machine(session):
    draft = campaigns.create_campaign(session, PROMOTER, campaign_data(draft=True), NOW)
    scheduled = campaigns.schedule_campaign(session, PROMOTER, draft["id"], NOW)
    assert scheduled["status"] == "scheduled" and scheduled["version"] == 2
    with pytest.raises(Conflict):
        campaigns.schedule_campaign(session, PROMOTER, draft["id"], NOW)
    assert start(session, scheduled)["status"] == "active"
    campaigns.advance(session, at(hours=25))
    ended = campaigns.get_campaign(session, PROMOTER, draft["id"], at(hours=25))
    assert ended["status"] == "ended"
    with pytest.raises(Conflict):
        campaigns.cancel_campaign(session, PROMOTER, draft["id"], at(hours=26))
    with pytest.raises(Conflict):
        campaigns.update_campaign(session, PROMOTER, draft["id"], {"name": "Lagi"}, at(hours=26))


def test_scheduling_a_draft_whose_start_passed_activates_it_at_once(session):
    add_products(session, 2)
    draft = campaigns.create_campaign(session, PROMOTER, campaign_data(draft=True), NOW)
    join_all(session, draft["id"])
    scheduled = campaigns.schedule_campaign(session, PROMOTER, draft["id"], at(hours=2))
    assert scheduled["status"] == "active" and scheduled["product_count"] == 2


def test_scheduled_campaigns_take_every_edit_and_check_them_again(session):
    campaign = create(session)
    updated = campaigns.update_campaign(session, PROMOTER, campaign["id"], {
        "discount": {"type": "fixed", "value": 5000}, "target": {"categories": ["madu"]}, "max_products": 10}, NOW,
        expected_version=1)
    assert updated["discount"] == {"type": "fixed", "value": 5000} and updated["target"]["categories"] == ["madu"]
    assert updated["version"] == 2
    with pytest.raises(Conflict) as excinfo:
        campaigns.update_campaign(session, PROMOTER, campaign["id"], {"name": "Lagi"}, NOW, expected_version=1)
    assert excinfo.value.fields == {"version": 2}
    with pytest.raises(ValidationFailed) as excinfo:
        campaigns.update_campaign(session, PROMOTER, campaign["id"], {"ends_at": iso(at(minutes=30))}, NOW)
    assert "ends_at" in excinfo.value.fields
    with pytest.raises(ValidationFailed) as excinfo:
        campaigns.update_campaign(session, PROMOTER, campaign["id"], {"warna": "merah"}, NOW)
    assert "warna" in excinfo.value.fields


def test_active_campaigns_take_only_limited_edits(session):
    add_merchant(session)
    add_products(session, 4)
    campaign = create(session, joined=False, max_products=2, budget=100_000)
    campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00000", "p00001"]}, NOW)
    start(session, campaign)
    now = at(hours=2)
    with pytest.raises(Conflict) as excinfo:
        campaigns.update_campaign(session, PROMOTER, campaign["id"],
                                  {"discount": {"type": "percent", "value": 50}, "target": {"regions": ["7401"]}}, now)
    assert set(excinfo.value.fields) == {"discount", "target"}
    with pytest.raises(ValidationFailed) as excinfo:
        campaigns.update_campaign(session, PROMOTER, campaign["id"],
                                  {"ends_at": iso(at(hours=1, minutes=30)), "max_products": 1}, now)
    assert set(excinfo.value.fields) == {"ends_at", "max_products"}
    mark = last_outbox_id(session)
    updated = campaigns.update_campaign(session, PROMOTER, campaign["id"], {
        "name": "Festival Mete Muna Diperpanjang", "ends_at": iso(at(hours=48)), "max_products": 4}, now)
    assert updated["product_count"] == 2 and updated["ends_at"] == "2026-12-05T00:00:00Z"  # only joined ones
    campaigns.opt_in(session, OWNER, campaign["id"], {"product_ids": ["p00002", "p00003"]}, now)
    events, _ = pricing_events(session, mark)
    assert sorted(e["aggregate_id"] for e in events) == ["p00000", "p00001", "p00002", "p00003"]
    assert {e["payload"]["campaign_name"] for e in events} == {"Festival Mete Muna Diperpanjang"}
    assert {e["payload"]["valid_until"] for e in events} == {"2026-12-05T00:00:00Z"}


# ---------------------------------------------------------------- timers, recovery and pricing

def test_advance_starts_and_ends_on_time_and_is_idempotent(session):
    add_products(session, 3)
    campaign = create(session)
    assert campaigns.advance(session, at(minutes=59)) == {"started": [], "ended": []}
    assert campaigns.advance(session, at(hours=1)) == {"started": [campaign["id"]], "ended": []}
    assert campaigns.advance(session, at(hours=1, minutes=1)) == {"started": [], "ended": []}
    events, mark = pricing_events(session)
    assert [(e["aggregate_id"], e["aggregate_version"], e["payload"]["effective_price"]) for e in events] == [
        ("p00000", 1, 80_000), ("p00001", 1, 80_000), ("p00002", 1, 80_000)]
    assert events[0]["payload"]["badge"] == "Diskon 20%"
    assert events[0]["payload"]["valid_until"] == "2026-12-04T01:00:00Z"
    assert campaigns.advance(session, at(hours=25)) == {"started": [], "ended": [campaign["id"]]}
    assert campaigns.advance(session, at(hours=26)) == {"started": [], "ended": []}
    events, _ = pricing_events(session, mark)
    assert [(e["aggregate_id"], e["aggregate_version"], e["payload"]["effective_price"],
             e["payload"]["campaign_id"]) for e in events] == [
        ("p00000", 2, 100_000, None), ("p00001", 2, 100_000, None), ("p00002", 2, 100_000, None)]


def test_recovery_of_a_start_and_an_end_that_passed_while_down(session):
    add_products(session, 2)
    first = create(session)  # 1h..25h
    second = create(session, starts_at=iso(at(hours=2)), ends_at=iso(at(hours=3)))
    # the service was down from before 1h until 2h30: the first starts, the second is mid-window
    moved = campaigns.advance(session, at(hours=2, minutes=30))
    assert set(moved["started"]) == {first["id"], second["id"]}
    # down again from 2h30 until 30h: both ends passed
    moved = campaigns.advance(session, at(hours=30))
    assert set(moved["ended"]) == {first["id"], second["id"]}
    for product_id in ("p00000", "p00001"):
        state = session.get(ProductPricingState, product_id)
        assert state.effective_price == 100_000 and state.campaign_id is None


def test_a_campaign_entirely_missed_while_down_ends_without_discounting(session):
    add_products(session, 2)
    campaign = create(session, starts_at=iso(at(hours=1)), ends_at=iso(at(hours=2)))
    moved = campaigns.advance(session, at(hours=5))
    assert moved == {"started": [campaign["id"]], "ended": [campaign["id"]]}
    assert pricing_events(session)[0] == []


def test_cancel_reverts_every_price(session):
    add_products(session, 3)
    campaign = create(session)
    start(session, campaign)
    mark = last_outbox_id(session)
    cancelled = campaigns.cancel_campaign(session, PROMOTER, campaign["id"], at(hours=2))
    assert cancelled["status"] == "cancelled"
    events, _ = pricing_events(session, mark)
    assert [(e["aggregate_id"], e["payload"]["effective_price"]) for e in events] == [
        ("p00000", 100_000), ("p00001", 100_000), ("p00002", 100_000)]
    assert campaigns.pricing_for(session, ["p00000"], at(hours=2)) == {}


def test_overlapping_campaigns_give_the_single_best_price_and_featured_badges_combine(session):
    add_products(session, 1)
    small = create(session, name="Diskon Kecil", discount={"type": "percent", "value": 10})
    big = create(session, name="Diskon Besar", discount={"type": "fixed", "value": 30_000},
                 starts_at=iso(at(hours=2)))
    featured = create(session, name="Unggulan", discount=None, featured=True, starts_at=iso(at(hours=3)))
    campaigns.advance(session, at(hours=1))
    assert campaigns.pricing_for(session, ["p00000"], at(hours=1))["p00000"]["effective_price"] == 90_000
    campaigns.advance(session, at(hours=2))
    pricing = campaigns.pricing_for(session, ["p00000"], at(hours=2))["p00000"]
    assert pricing["effective_price"] == 70_000 and pricing["campaign_id"] == big["id"]
    campaigns.advance(session, at(hours=3))
    pricing = campaigns.pricing_for(session, ["p00000", "zzz"], at(hours=3))
    assert list(pricing) == ["p00000"]
    assert pricing["p00000"]["effective_price"] == 70_000 and pricing["p00000"]["promoted"] is True
    assert pricing["p00000"]["badge"] == "Produk Unggulan · Diskon 30%"
    campaigns.cancel_campaign(session, PROMOTER, big["id"], at(hours=4))
    pricing = campaigns.pricing_for(session, ["p00000"], at(hours=4))["p00000"]
    assert pricing["effective_price"] == 90_000 and pricing["campaign_id"] == small["id"]
    assert featured["id"]


def test_equal_prices_tie_break_on_the_earlier_start(session):
    add_products(session, 1)
    later = create(session, name="Kedua", starts_at=iso(at(hours=2)))
    earlier = create(session, name="Pertama")
    campaigns.advance(session, at(hours=3))
    assert campaigns.pricing_for(session, ["p00000"], at(hours=3))["p00000"]["campaign_id"] == earlier["id"]
    assert later["id"]


def test_budget_exhaustion_stops_discounting(session):
    add_products(session, 2)
    campaign = create(session, budget=50_000, funded_by="seller")
    start(session, campaign)
    now = at(hours=2)

    def contacts(batch_id, count):
        return Event(type="search.interactions_recorded", aggregate_id=batch_id, aggregate_version=1, payload={
            "batch_id": batch_id, "counts": [{"product_id": "p00000", "day": "2026-12-03", "kind": "contact",
                                              "count": count}]})

    facts.apply_event(session, contacts("b1", 1), now)
    detail = campaigns.get_campaign(session, PROMOTER, campaign["id"], now)
    assert detail["budget"] == {"amount": 50_000, "spent": 20_000, "remaining": 30_000, "funded_by": "seller",
                                "exhausted": False}
    mark = last_outbox_id(session)
    facts.apply_event(session, contacts("b2", 2), now)
    detail = campaigns.get_campaign(session, PROMOTER, campaign["id"], now)
    assert detail["budget"]["exhausted"] is True and detail["budget"]["spent"] == 60_000
    assert detail["discounting"] is False and detail["statistics"]["totals"]["discount_given"] == 60_000
    events, _ = pricing_events(session, mark)
    assert sorted((e["aggregate_id"], e["payload"]["effective_price"]) for e in events) == [
        ("p00000", 100_000), ("p00001", 100_000)]
    # raising the budget above what is spent makes it discount again
    mark = last_outbox_id(session)
    detail = campaigns.update_campaign(session, PROMOTER, campaign["id"], {"budget": 100_000}, now)
    assert detail["budget"]["exhausted"] is False
    assert {e["payload"]["effective_price"] for e in pricing_events(session, mark)[0]} == {80_000}
    with pytest.raises(ValidationFailed) as excinfo:
        campaigns.update_campaign(session, PROMOTER, campaign["id"], {"budget": 10_000}, now)
    assert "budget" in excinfo.value.fields


# ---------------------------------------------------------------- featured rotation and statistics

def test_featured_rotation_is_fair(session):
    add_products(session, 24)
    campaign = create(session, discount=None, featured=True, ends_at=iso(at(hours=100)))
    start(session, campaign)
    rotation = 3600
    base = (int(at(hours=2).timestamp()) // rotation) * rotation
    shown = Counter()
    for window in range(24 // 8):
        moment = NOW.fromtimestamp(base + window * rotation, tz=NOW.tzinfo)
        result = campaigns.featured_products(session, moment, slots=8, rotation_seconds=rotation)
        assert result["slots"] == 8 and len(result["items"]) == 8
        shown.update(item["id"] for item in result["items"])
    assert len(shown) == 24 and set(shown.values()) == {1}
    item = result["items"][0]
    assert item["badge"] == "Produk Unggulan" and item["effective_price"] == item["price"] == 100_000
    assert set(item) >= {"id", "name", "slug", "price", "effective_price", "discount_percent", "badge", "region",
                         "category", "merchant_id", "merchant_name", "photo_url"}
    # not divisible: over n windows every product is shown `slots` times
    add_products(session, 1, start=24)
    campaigns.refresh_products(session, ["p00024"], at(hours=2))
    shown.clear()
    for window in range(25):
        moment = NOW.fromtimestamp(base + window * rotation, tz=NOW.tzinfo)
        shown.update(item["id"] for item in campaigns.featured_products(session, moment, 8, rotation)["items"])
    assert len(shown) == 25 and set(shown.values()) == {8}


def test_statistics_per_wita_day_within_the_campaign(session):
    add_products(session, 2)
    add_products(session, 1, prefix="buton", region="7401")
    campaign = create(session, starts_at="2026-12-03T09:00:00+08:00", ends_at="2026-12-05T09:00:00+08:00")
    campaigns.advance(session, at(hours=1))
    rows = [("p00000", date(2026, 12, 2), 100, 10, 1),  # before the campaign
            ("p00000", date(2026, 12, 3), 10, 3, 1), ("p00001", date(2026, 12, 3), 5, 1, 0),
            ("p00001", date(2026, 12, 4), 7, 2, 2), ("buton00000", date(2026, 12, 4), 50, 5, 5),
            ("p00000", date(2026, 12, 6), 9, 9, 9)]  # after
    for product_id, day, impressions, views, contacts in rows:
        session.add(ProductInteractionDay(product_id=product_id, day=day, impressions=impressions, views=views,
                                          contacts=contacts))
    session.flush()
    stats = campaigns.get_campaign(session, PROMOTER, campaign["id"], at(hours=72))["statistics"]
    assert stats["days"] == [{"day": "2026-12-03", "impressions": 15, "clicks": 4, "contacts": 1},
                             {"day": "2026-12-04", "impressions": 7, "clicks": 2, "contacts": 2}]
    assert stats["totals"] == {"impressions": 22, "clicks": 6, "contacts": 3, "discount_given": 0}


def test_active_campaigns_and_health_counts(session):
    add_products(session, 2)
    campaign = create(session)
    assert campaigns.active_campaigns(session)["items"] == []
    start(session, campaign)
    items = campaigns.active_campaigns(session)["items"]
    assert [item["id"] for item in items] == [campaign["id"]] and items[0]["product_count"] == 2
    assert campaigns.counts(session) == {"products": 2, "campaigns": 1}
    assert session.scalar(select(Campaign.status).where(Campaign.id == campaign["id"])) == "active"
    with pytest.raises(ValidationFailed):
        campaigns.pricing_for(session, [f"p{n}" for n in range(101)], NOW)
