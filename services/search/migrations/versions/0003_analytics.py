"""search: query analytics (daily counters per normalized query) and an outbox

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-01 00:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "search_query_stats",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("region", sa.String(8), nullable=False, server_default=""),
        sa.Column("category", sa.String(64), nullable=False, server_default=""),
        sa.Column("searches", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("zero_results", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("results_total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_hour", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("day", "query", "region", "category", name="uq_search_query_stats_key"),
    )
    op.create_index("ix_search_query_stats_day", "search_query_stats", ["day"])
    # The outbox of search.interactions_recorded (shared.outbox.OutboxMixin).
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_outbox_status", "outbox", ["status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_search_query_stats_day", table_name="search_query_stats")
    op.drop_table("search_query_stats")
