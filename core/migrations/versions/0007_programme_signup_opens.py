"""the day a programme's sign-up opens

Summer day-care and camps are listed months ahead, but riders could not tell
that sign-up for them had not opened yet. Empty means open already, as every
existing programme is.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.add_column(sa.Column("signup_opens", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.drop_column("signup_opens")
