"""content editing in the console: FAQ district, policy document, valid-until and owner; content revisions

Existing FAQ entries hold city-wide, rest on no named document, never expire and
have no owner. `content_revisions` keeps every edit made in the console.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_entries") as batch:
        batch.add_column(sa.Column("district", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("policy_document", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(length=60), nullable=False, server_default=""))
        batch.create_index(batch.f("ix_faq_entries_valid_until"), ["valid_until"])
    op.create_table(
        "content_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reverts_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_revisions")),
    )
    op.create_index("ix_content_revisions_kind_row", "content_revisions", ["kind", "row_id", "id"])
    op.create_index("ix_content_revisions_at", "content_revisions", ["at"])


def downgrade() -> None:
    op.drop_index("ix_content_revisions_at", table_name="content_revisions")
    op.drop_index("ix_content_revisions_kind_row", table_name="content_revisions")
    op.drop_table("content_revisions")
    with op.batch_alter_table("faq_entries") as batch:
        batch.drop_index(batch.f("ix_faq_entries_valid_until"))
        batch.drop_column("owner")
        batch.drop_column("valid_until")
        batch.drop_column("policy_document")
        batch.drop_column("district")
