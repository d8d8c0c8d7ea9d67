"""promotion: daily impressions, views and contacts per product

Revision ID: 0002
Revises: 0001
Create Date: 2025-03-01 00:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "product_interactions_daily",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("views", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("contacts", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("product_id", "day", name="uq_product_interactions_daily"),
    )
    op.create_index("ix_product_interactions_daily_day", "product_interactions_daily", ["day"])


def downgrade() -> None:
    op.drop_index("ix_product_interactions_daily_day", table_name="product_interactions_daily")
    op.drop_table("product_interactions_daily")
