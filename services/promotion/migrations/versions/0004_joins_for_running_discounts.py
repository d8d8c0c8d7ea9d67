"""promotion: a discount applies only to products their owners joined (campaign_signups);
the products already discounted by a running campaign keep their price as joined ones

Before this revision a discount campaign priced every product its targeting selected. From
now on only joined products are priced. The members of campaigns that are active when this
runs were shown to buyers at the campaign price already; they are recorded as joined, so
nothing changes under buyers' eyes, and each owner can leave (the price reverts). Scheduled
discount campaigns simply invite their products. No schema change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 00:00:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO campaign_signups (campaign_id, product_id, created_at) "
        "SELECT m.campaign_id, m.product_id, m.joined_at FROM campaign_members m "
        "JOIN campaigns c ON c.id = m.campaign_id "
        "WHERE c.status = 'active' AND c.discount_type IS NOT NULL AND m.left_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM campaign_signups s "
        "WHERE s.campaign_id = m.campaign_id AND s.product_id = m.product_id)"
    )


def downgrade() -> None:
    pass  # the joins stay: they are what the owners' products are in
