"""promotion: no product facts for the products of rejected or suspended merchants

Since shared.contracts.HIDDEN_MERCHANT_STATUSES became the rule of what buyers see, promotion
drops a product's fact as soon as its merchant is rejected or suspended (facts.upsert_fact,
facts.apply_merchant). Facts kept from before, for merchants already hidden, would stay in
featured slots and campaign targeting until the merchant changed again: this revision drops
them and ends their campaign memberships now. If the merchant is reinstated, the catalog's
events bring the facts back. No schema change.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 00:00:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Written out, not imported: a revision must mean the same thing whenever it runs.
HIDDEN = "('rejected', 'suspended')"
HIDDEN_PRODUCTS = ("SELECT p.id FROM product_facts p JOIN merchant_facts m ON m.id = p.merchant_id "
                   f"WHERE m.status IN {HIDDEN}")


def upgrade() -> None:
    op.execute(f"UPDATE campaign_members SET left_at = CURRENT_TIMESTAMP "
               f"WHERE left_at IS NULL AND product_id IN ({HIDDEN_PRODUCTS})")
    op.execute(f"DELETE FROM product_facts WHERE id IN ({HIDDEN_PRODUCTS})")


def downgrade() -> None:
    pass  # the facts come back with the merchant's next event
