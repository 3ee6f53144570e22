"""staff accounts: a password an admin reset must be changed; the last login

An admin's reset now gives a temporary password: `must_change_password` keeps the
member on the password page until they set their own. `last_login_at` is shown on
the accounts page. Existing accounts need no change and have never logged in since.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("last_login_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("last_login_at")
        batch.drop_column("must_change_password")
