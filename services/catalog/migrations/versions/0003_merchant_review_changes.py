"""merchant review changes: what a verified merchant changed that sent it back to review

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 06:50:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_changes', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('review_changes')
