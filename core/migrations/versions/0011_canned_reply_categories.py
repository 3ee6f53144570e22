"""canned replies by ticket category, so a first start has a starter set for each

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("canned_replies") as batch:
        batch.add_column(sa.Column("category", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("canned_replies") as batch:
        batch.drop_column("category")
