"""search: the embedded engine's change log, followed by every search replica (changes.py)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 08:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "search_changes",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("product_ids", sa.Text(), nullable=False),
        sqlite_autoincrement=True,
    )
    marks = op.create_table(
        "search_change_marks",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("seq", SEQ, nullable=False),
    )
    op.bulk_insert(marks, [{"name": "pruned_through", "seq": 0}])


def downgrade() -> None:
    op.drop_table("search_change_marks")
    op.drop_table("search_changes")
