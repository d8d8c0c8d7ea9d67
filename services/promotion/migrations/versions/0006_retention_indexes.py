"""promotion: indexes for retention: published outbox rows and inbox rows are deleted oldest first
(shared/retention.py)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 02:00:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_processed_at", table_name="inbox")
    op.drop_index("ix_outbox_published_at", table_name="outbox")

