"""legal topics and their sections, by working relationship, with sources and dates

One guide per legal intent could not tell a 众包 rider from an employee, nor
date a statement that changes when the province joins a scheme. Topics
(an intent's default topic and its branches, such as 押金 or 肇事逃逸) and
sections (summary, steps, evidence, deadlines, where to go) for each working
relationship replace `legal_guides`. The new tables are filled from
content/ by `python -m core.cli init` (core.content.loader fills empty
content tables).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_topics",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("intent", sa.String(40), nullable=False),
        sa.Column("title", sa.String(60), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("asks_relationship", sa.Boolean(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_legal_topics")),
    )
    op.create_index(op.f("ix_legal_topics_intent"), "legal_topics", ["intent"])
    op.create_table(
        "legal_sections",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("topic", sa.String(40), nullable=False),
        sa.Column("relationship", sa.String(20), nullable=False),
        sa.Column("aspect", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_legal_sections")),
    )
    op.create_index(op.f("ix_legal_sections_topic"), "legal_sections", ["topic"])
    op.drop_table("legal_guides")


def downgrade() -> None:
    op.create_table(
        "legal_guides",
        sa.Column("intent", sa.String(40), nullable=False),
        sa.Column("title", sa.String(60), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("deadlines", sa.Text(), nullable=False),
        sa.Column("where_to_go", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("intent", name=op.f("pk_legal_guides")),
    )
    op.drop_index(op.f("ix_legal_sections_topic"), "legal_sections")
    op.drop_table("legal_sections")
    op.drop_index(op.f("ix_legal_topics_intent"), "legal_topics")
    op.drop_table("legal_topics")
