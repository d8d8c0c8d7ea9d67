"""Per-product statistics for owners: views, contacts and impressions of the last N days,
only for the products the owner's merchants sell (promotion's merchant facts)."""
from datetime import timedelta

import pytest

from services.promotion import facts
from services.promotion.interactions import product_statistics
from shared.errors import Forbidden, Unauthorized, ValidationFailed

from campaign_helpers import ADMIN, NOW, OTHER_OWNER, OWNER, PROMOTER, add_merchant, add_products, interactions_batch

TODAY = NOW.date()


@pytest.fixture
def session(promotion_db):
    """A session on the promotion database with two owners' products and their interactions."""
    with promotion_db() as session:
        add_merchant(session, "m-1", "owner-1")
        add_merchant(session, "m-2", "owner-2")
        add_products(session, 2, prefix="a", merchant_id="m-1")
        add_products(session, 1, prefix="b", merchant_id="m-2")
        facts.apply_event(session, interactions_batch(
            ("a00000", TODAY, "view", 5), ("a00000", TODAY, "contact", 2), ("a00000", TODAY, "impression", 40),
            ("a00000", TODAY - timedelta(days=29), "view", 1),
            ("a00000", TODAY - timedelta(days=30), "view", 100),  # outside the 30 days
            ("b00000", TODAY, "view", 7)), now=NOW)
        session.commit()
        yield session


def test_the_owner_sees_the_last_30_days_of_their_own_products(session):
    result = product_statistics(session, OWNER, ["a00000", "a00001", "b00000", "unknown"], 30, now=NOW)
    assert result["days"] == 30 and result["since"] == (TODAY - timedelta(days=29)).isoformat()
    assert result["items"] == {"a00000": {"impressions": 40, "views": 6, "contacts": 2},
                               "a00001": {"impressions": 0, "views": 0, "contacts": 0}}
    assert product_statistics(session, OTHER_OWNER, ["a00000", "b00000"], now=NOW)["items"] == {
        "b00000": {"impressions": 0, "views": 7, "contacts": 0}}
    assert product_statistics(session, OWNER, ["a00000"], 31, now=NOW)["items"]["a00000"]["views"] == 106
    assert set(product_statistics(session, ADMIN, ["a00000", "b00000"], now=NOW)["items"]) == {"a00000", "b00000"}
    assert product_statistics(session, OWNER, [], now=NOW)["items"] == {}


def test_others_and_bad_parameters_are_refused(session):
    with pytest.raises(Forbidden):
        product_statistics(session, PROMOTER, ["a00000"], now=NOW)
    with pytest.raises(Unauthorized):
        product_statistics(session, None, ["a00000"], now=NOW)
    for ids, days in ((["a00000"], 0), (["a00000"], 366), (["a00000"], True), ("a00000", 30), ([""], 30),
                      (["x"] * 201, 30)):
        with pytest.raises(ValidationFailed):
            product_statistics(session, OWNER, ids, days, now=NOW)



def test_popular_products_rank_views_and_contacts_of_products_on_sale(session):
    from services.promotion.interactions import popular_products
    facts.apply_event(session, interactions_batch(
        ("a00001", TODAY, "view", 8), ("gone0", TODAY, "view", 500),  # gone0: no fact (not on sale)
        ("b00000", TODAY - timedelta(days=40), "contact", 90)), now=NOW)  # long ago
    # a00000: 6 views + 2 contacts x 3 = 12; a00001: 8; b00000: 7 (its old contacts are outside the 30 days)
    result = popular_products(session, limit=8, days=30, now=NOW)
    assert result["days"] == 30
    assert [(item["id"], item["price"], item["effective_price"]) for item in result["items"]] == [
        ("a00000", 100_000, 100_000), ("a00001", 100_000, 100_000), ("b00000", 100_000, 100_000)]
    assert [item["id"] for item in popular_products(session, limit=1, now=NOW)["items"]] == ["a00000"]
    assert popular_products(session, days=1, now=NOW + timedelta(days=10))["items"] == []  # nobody looked lately
    with pytest.raises(ValidationFailed) as excinfo:
        popular_products(session, limit=0, days=400)
    assert set(excinfo.value.fields) == {"limit", "days"}
