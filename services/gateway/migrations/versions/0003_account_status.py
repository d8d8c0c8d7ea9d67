"""account status: promoters are approved by an admin

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Owners and admins are "active". Promoters registered before approval existed were already
running campaigns: they start "approved" (an admin can still suspend them); new promoters
start "pending".
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="active"))
        batch.add_column(sa.Column("status_reason", sa.String(1000), nullable=True))
        batch.add_column(sa.Column("status_decided_by", sa.String(36), nullable=True))
        batch.add_column(sa.Column("status_decided_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE accounts SET status = 'approved' WHERE role = 'promoter'")
    op.create_index("ix_accounts_role_status", "accounts", ["role", "status"])


def downgrade() -> None:
    op.drop_index("ix_accounts_role_status", table_name="accounts")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("status_decided_at")
        batch.drop_column("status_decided_by")
        batch.drop_column("status_reason")
        batch.drop_column("status")
