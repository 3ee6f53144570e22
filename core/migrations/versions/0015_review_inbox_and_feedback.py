"""review inbox (未识别问题), riders' 👍/👎 on answers, FAQ drafts and labelled examples

New tables only; nothing stored is rewritten.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("sample", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.String(length=80), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_groups")),
        sa.UniqueConstraint("key", name=op.f("uq_inbox_groups_key")),
    )
    op.create_index(op.f("ix_inbox_groups_status"), "inbox_groups", ["status"])
    op.create_index(op.f("ix_inbox_groups_last_seen"), "inbox_groups", ["last_seen"])
    op.create_table(
        "rated_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("response", sa.String(length=80), nullable=True),
        sa.Column("faq_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("rated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rated_answers")),
    )
    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("district", sa.String(length=20), nullable=True),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["inbox_groups.id"], name=op.f("fk_inbox_messages_group_id_inbox_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["rated_answers.id"],
            name=op.f("fk_inbox_messages_answer_id_rated_answers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_messages")),
    )
    for column in ("group_id", "answer_id", "created_at"):
        op.create_index(op.f(f"ix_inbox_messages_{column}"), "inbox_messages", [column])
    op.create_table(
        "faq_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_faq_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["inbox_groups.id"], name=op.f("fk_faq_drafts_group_id_inbox_groups"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_drafts")),
    )
    op.create_table(
        "labelled_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["inbox_groups.id"],
            name=op.f("fk_labelled_examples_group_id_inbox_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labelled_examples")),
    )
    op.create_index(op.f("ix_labelled_examples_intent"), "labelled_examples", ["intent"])


def downgrade() -> None:
    op.drop_table("labelled_examples")
    op.drop_table("faq_drafts")
    op.drop_table("inbox_messages")
    op.drop_table("rated_answers")
    op.drop_table("inbox_groups")
