"""unread rider messages: when staff last saw a ticket's conversation

The console counts tickets with a rider message newer than `staff_seen_at`
(Chatwoot keeps one "agent last seen" per conversation the same way): the
queue and the browser tab show that count, and opening the ticket, or seeing
a new message arrive on its open page, moves the mark. `has_unread` holds the
rule for open tickets (kept by the model on every write) under an index, as the
live queue counts them every second.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("staff_seen_at", sa.DateTime(), nullable=True))
    op.add_column("tickets", sa.Column("has_unread", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_tickets_unread", "tickets", ["has_unread", "district", "next_deadline", "id"])
    # Tickets already open when this arrives count as seen: nobody is told of old news.
    op.execute(sa.text("UPDATE tickets SET staff_seen_at = last_worker_message_at"))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place; no table rebuild (see 0013 for why that matters).
    op.drop_index("ix_tickets_unread", table_name="tickets")
    op.drop_column("tickets", "has_unread")
    op.drop_column("tickets", "staff_seen_at")
