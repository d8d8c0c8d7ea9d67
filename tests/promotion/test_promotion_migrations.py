"""The promotion database's revisions: the head matches the models, 0004 records the
members of running discount campaigns as joined (their price stays; owners may leave)."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from services.promotion.models import Base
from shared.db import make_engine
from shared.migrations import alembic_config, upgrade

CAMPAIGN = ("INSERT INTO campaigns (id, owner_id, name, description, starts_at, ends_at, discount_type, "
            "discount_value, featured, target_product_ids, target_categories, target_regions, target_verified_only, "
            "open_for_signup, budget_spent, budget_exhausted, status, version, created_at, updated_at) VALUES "
            "(:id, 'promoter-1', 'Festival', '', :t, :t, :discount, 20, :featured, '[]', '[]', '[\"7402\"]', :f, :f, "
            "0, :f, :status, 1, :t, :t)")


def test_running_discounts_keep_their_members_as_joined(database_url):
    command.upgrade(alembic_config("promotion", database_url), "0003")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            for campaign_id, discount, status in (("c-active", "percent", "active"), ("c-featured", None, "active"),
                                                  ("c-ended", "percent", "ended")):
                connection.execute(text(CAMPAIGN), {"id": campaign_id, "t": "2026-12-03 00:00:00", "discount": discount,
                                                    "featured": discount is None, "f": False, "status": status})
                for product_id, left in (("p1", None), ("p2", "2026-12-03 01:00:00")):
                    connection.execute(text(
                        "INSERT INTO campaign_members (campaign_id, product_id, source, joined_at, left_at) "
                        "VALUES (:c, :p, 'target', '2026-12-03 00:00:00', :left)"),
                        {"c": campaign_id, "p": product_id, "left": left})
        upgrade("promotion", database_url)
        with engine.connect() as connection:
            joined = connection.execute(text("SELECT campaign_id, product_id FROM campaign_signups")).all()
            assert [tuple(row) for row in joined] == [("c-active", "p1")]
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_facts_of_merchants_hidden_before_the_rule_are_dropped_and_leave_campaigns(database_url):
    command.upgrade(alembic_config("promotion", database_url), "0004")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(CAMPAIGN), {"id": "c-active", "t": "2026-12-03 00:00:00", "discount": "percent",
                                                "featured": False, "f": False, "status": "active"})
            for merchant_id, status in (("m-ok", "verified"), ("m-rejected", "rejected"), ("m-suspended", "suspended")):
                connection.execute(text(
                    "INSERT INTO merchant_facts (id, owner_id, name, kind, status, verified, version, updated_at) "
                    "VALUES (:id, 'owner', 'Usaha', 'umkm', :status, :verified, 1, '2026-12-03 00:00:00')"),
                    {"id": merchant_id, "status": status, "verified": status == "verified"})
                product_id = f"p-{merchant_id}"
                connection.execute(text(
                    "INSERT INTO product_facts (id, merchant_id, name, price, category, parent_category, region, "
                    "merchant_kind, merchant_verified, halal, version, updated_at) VALUES (:id, :m, 'Kopi', 25000, "
                    "'kopi-teh', 'makanan-minuman', '7402', 'umkm', :f, :f, 1, '2026-12-03 00:00:00')"),
                    {"id": product_id, "m": merchant_id, "f": False})
                connection.execute(text(
                    "INSERT INTO campaign_members (campaign_id, product_id, source, joined_at, left_at) "
                    "VALUES ('c-active', :p, 'target', '2026-12-03 00:00:00', NULL)"), {"p": product_id})
        upgrade("promotion", database_url)
        with engine.connect() as connection:
            facts = [row[0] for row in connection.execute(text("SELECT id FROM product_facts ORDER BY id"))]
            assert facts == ["p-m-ok"]
            members = dict(connection.execute(text("SELECT product_id, left_at FROM campaign_members")).all())
            assert members["p-m-ok"] is None
            assert members["p-m-rejected"] is not None and members["p-m-suspended"] is not None
    finally:
        engine.dispose()
