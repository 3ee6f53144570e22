"""the staff queue's order kept on each ticket, so the queue pages in SQL over every ticket

The queue used to load the newest 300 tickets and sort and filter them in
Python: older open tickets vanished from view. Each ticket now carries its
rank (open, resolved, closed) and its next deadline, kept by the model on every
write, with indexes the queue reads a page at a time from.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("queue_rank", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_deadline", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE tickets SET "
        "queue_rank = CASE state WHEN 'resolved' THEN 1 WHEN 'closed' THEN 2 ELSE 0 END, "
        "next_deadline = CASE WHEN answered_at IS NULL THEN respond_by ELSE resolve_by END"
    )
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("next_deadline", existing_type=sa.DateTime(), nullable=False)
    op.create_index(op.f("ix_tickets_queue"), "tickets", ["queue_rank", "next_deadline", "id"])
    op.create_index(op.f("ix_tickets_district_queue"), "tickets", ["district", "queue_rank", "next_deadline", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_district_queue"), "tickets")
    op.drop_index(op.f("ix_tickets_queue"), "tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("next_deadline")
        batch.drop_column("queue_rank")
