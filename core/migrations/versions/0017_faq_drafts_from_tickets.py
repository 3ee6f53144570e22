"""转为知识: an FAQ draft may come from a resolved ticket's staff answer

A staff member's answer on a resolved ticket becomes an FAQ draft linked to the
ticket, which an admin edits and publishes like any other draft.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("faq_drafts", sa.Column("ticket_id", sa.Integer(), nullable=True))
    op.create_index("ix_faq_drafts_ticket_id", "faq_drafts", ["ticket_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_faq_drafts_ticket_id", table_name="faq_drafts")
    op.drop_column("faq_drafts", "ticket_id")
