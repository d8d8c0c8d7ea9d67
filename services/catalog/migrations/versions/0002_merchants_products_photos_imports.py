"""merchant credentials and verification, product fields, photos, imports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:45:40.190889
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('imports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('merchant_id', sa.String(length=36), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('file_format', sa.String(length=10), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('unchanged_count', sa.Integer(), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imports_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_imports_status'), ['status'], unique=False)

    op.create_table('import_row_errors',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.String(length=36), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('column', sa.String(length=60), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_row_errors_import_id'), ['import_id'], unique=False)

    op.create_table('product_photos',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('variants', sa.JSON(), nullable=False),
    sa.Column('alt', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('product_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_photos_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='pending'))
        batch_op.add_column(sa.Column('status_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_changed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('logo', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('nib', sa.String(length=13), nullable=True))
        batch_op.add_column(sa.Column('pirt_number', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('halal_number', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('halal_expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('halal_active', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('legal_number', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('member_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_rat_year', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_merchants_status'), ['status'], unique=False)

    # The old boolean becomes the verification status, then goes.
    op.execute("UPDATE merchants SET status = 'verified' WHERE verified")
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('verified')

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sku', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('compare_at_price', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('member_business', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint('uq_products_merchant_sku', ['merchant_id', 'sku'])



def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint('uq_products_merchant_sku', type_='unique')
        batch_op.drop_column('member_business')
        batch_op.drop_column('tags')
        batch_op.drop_column('compare_at_price')
        batch_op.drop_column('sku')

    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE merchants SET verified = (status = 'verified')")
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchants_status'))
        batch_op.drop_column('last_rat_year')
        batch_op.drop_column('member_count')
        batch_op.drop_column('legal_number')
        batch_op.drop_column('halal_active')
        batch_op.drop_column('halal_expires_on')
        batch_op.drop_column('halal_number')
        batch_op.drop_column('pirt_number')
        batch_op.drop_column('nib')
        batch_op.drop_column('logo')
        batch_op.drop_column('status_changed_by')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status')
        batch_op.drop_column('address')

    with op.batch_alter_table('product_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_photos_product_id'))

    op.drop_table('product_photos')
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_row_errors_import_id'))

    op.drop_table('import_row_errors')
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imports_status'))
        batch_op.drop_index(batch_op.f('ix_imports_merchant_id'))

    op.drop_table('imports')
