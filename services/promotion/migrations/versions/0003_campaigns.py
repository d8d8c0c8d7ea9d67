"""promotion: campaigns, members, opt-outs, sign-ups, merchant facts, published pricing, outbox;
slug, merchant name and photo of product facts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 00:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("product_facts") as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(220), nullable=True))
        batch_op.add_column(sa.Column("merchant_name", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("photo_url", sa.String(500), nullable=True))

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_status", "outbox", ["status"])

    op.create_table(
        "merchant_facts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_merchant_facts_owner_id", "merchant_facts", ["owner_id"])

    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discount_type", sa.String(10), nullable=True),
        sa.Column("discount_value", sa.Integer(), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("target_product_ids", sa.JSON(), nullable=False),
        sa.Column("target_categories", sa.JSON(), nullable=False),
        sa.Column("target_regions", sa.JSON(), nullable=False),
        sa.Column("target_merchant_kind", sa.String(20), nullable=True),
        sa.Column("target_verified_only", sa.Boolean(), nullable=False),
        sa.Column("max_products", sa.Integer(), nullable=True),
        sa.Column("open_for_signup", sa.Boolean(), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=True),
        sa.Column("funded_by", sa.String(20), nullable=True),
        sa.Column("budget_spent", sa.Integer(), nullable=False),
        sa.Column("budget_exhausted", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_campaigns_owner_id", "campaigns", ["owner_id"])
    op.create_index("ix_campaigns_status_starts", "campaigns", ["status", "starts_at"])
    op.create_index("ix_campaigns_status_ends", "campaigns", ["status", "ends_at"])

    op.create_table(
        "campaign_members",
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("product_id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_campaign_members_product", "campaign_members", ["product_id"])

    for table in ("campaign_opt_outs", "campaign_signups"):
        op.create_table(
            table,
            sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
            sa.Column("product_id", sa.String(36), primary_key=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )

    op.create_table(
        "product_pricing",
        sa.Column("product_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("normal_price", sa.Integer(), nullable=False),
        sa.Column("effective_price", sa.Integer(), nullable=False),
        sa.Column("discount_amount", sa.Integer(), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.Column("badge", sa.String(120), nullable=True),
        sa.Column("boost", sa.Float(), nullable=False),
        sa.Column("campaign_id", sa.String(36), nullable=True),
        sa.Column("campaign_name", sa.String(120), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_product_pricing_campaign_id", "product_pricing", ["campaign_id"])


def downgrade() -> None:
    op.drop_table("product_pricing")
    op.drop_table("campaign_signups")
    op.drop_table("campaign_opt_outs")
    op.drop_table("campaign_members")
    op.drop_table("campaigns")
    op.drop_table("merchant_facts")
    op.drop_index("ix_outbox_status", table_name="outbox")
    op.drop_table("outbox")
    with op.batch_alter_table("product_facts") as batch_op:
        batch_op.drop_column("photo_url")
        batch_op.drop_column("merchant_name")
        batch_op.drop_column("slug")
