"""import warnings: rows saved with a problem are counted and listed apart from failed rows

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 07:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warning_count', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('severity', sa.String(length=10), nullable=False, server_default='error'))


def downgrade() -> None:
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.drop_column('severity')
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_column('warning_count')
