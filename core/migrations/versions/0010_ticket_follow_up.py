"""回访: when staff followed up a ticket the worker rated 1 or 2

A poor rating used to end the matter; now such a ticket waits for a follow-up
call (回访) until staff record it, which is audited.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("followed_up_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("followed_up_at")
