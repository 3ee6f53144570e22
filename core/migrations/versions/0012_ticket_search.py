"""staff search: a text index over tickets and their threads, and phone tails

Text: the description and every rider and staff message, searched as a
substring. PostgreSQL keeps GIN trigram indexes (pg_trgm) on the two columns
themselves, so they are current by construction; SQLite keeps an FTS5 table
with the trigram tokenizer (SQLite >= 3.34), filled by triggers on both tables.
A ticket's description has rowid -ticket id there, a message its own id.

Phones: the last four digits of each phone number a rider wrote, one row per
ticket and tail, written by core when the text is stored; search compares
those, never the text itself.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core import privacy

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SEARCHED_AUTHORS = "('worker', 'staff')"

SQLITE_TRIGGERS = (
    "CREATE TRIGGER ticket_text_ticket_ai AFTER INSERT ON tickets BEGIN "
    "INSERT INTO ticket_text(rowid, body, ticket_id) VALUES (-new.id, new.description, new.id); END",
    "CREATE TRIGGER ticket_text_ticket_au AFTER UPDATE OF description ON tickets BEGIN "
    "DELETE FROM ticket_text WHERE rowid = -old.id; "
    "INSERT INTO ticket_text(rowid, body, ticket_id) VALUES (-new.id, new.description, new.id); END",
    "CREATE TRIGGER ticket_text_ticket_ad AFTER DELETE ON tickets BEGIN "
    "DELETE FROM ticket_text WHERE ticket_id = old.id; END",
    f"CREATE TRIGGER ticket_text_message_ai AFTER INSERT ON ticket_messages WHEN new.author IN {SEARCHED_AUTHORS} "
    "BEGIN INSERT INTO ticket_text(rowid, body, ticket_id) VALUES (new.id, new.text, new.ticket_id); END",
    "CREATE TRIGGER ticket_text_message_au AFTER UPDATE OF text, author ON ticket_messages BEGIN "
    "DELETE FROM ticket_text WHERE rowid = old.id; "
    "INSERT INTO ticket_text(rowid, body, ticket_id) "
    f"SELECT new.id, new.text, new.ticket_id WHERE new.author IN {SEARCHED_AUTHORS}; END",
    "CREATE TRIGGER ticket_text_message_ad AFTER DELETE ON ticket_messages BEGIN "
    "DELETE FROM ticket_text WHERE rowid = old.id; END",
)
SQLITE_TRIGGER_NAMES = [statement.split()[2] for statement in SQLITE_TRIGGERS]


def upgrade() -> None:
    op.create_table(
        "ticket_phones",
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_phones_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("last4", "ticket_id", name=op.f("pk_ticket_phones")),
    )
    _fill_phones()
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _fill_phones() -> None:
    """The phone tails of the tickets already stored."""
    bind = op.get_bind()
    texts = bind.execute(
        sa.text(
            "SELECT id, description FROM tickets UNION ALL "
            "SELECT ticket_id, text FROM ticket_messages WHERE author IN ('worker', 'transcript')"
        )
    )
    pairs = {(tail, ticket_id) for ticket_id, body in texts for tail in privacy.phone_tails(body)}
    rows = [{"last4": tail, "ticket_id": ticket_id} for tail, ticket_id in sorted(pairs)]
    if rows:
        bind.execute(sa.text("INSERT INTO ticket_phones (last4, ticket_id) VALUES (:last4, :ticket_id)"), rows)


def _upgrade_postgresql() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema = op.get_bind().scalar(
        sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
    )
    ops = f"{schema}.gin_trgm_ops"  # the extension may live outside this schema's search_path
    op.execute(f"CREATE INDEX ix_tickets_description_trgm ON tickets USING gin (description {ops})")
    op.execute(
        f"CREATE INDEX ix_ticket_messages_text_trgm ON ticket_messages USING gin (text {ops}) "
        f"WHERE author IN {SEARCHED_AUTHORS}"
    )


def _upgrade_sqlite() -> None:
    op.execute("CREATE VIRTUAL TABLE ticket_text USING fts5(body, ticket_id UNINDEXED, tokenize = 'trigram')")
    op.execute("INSERT INTO ticket_text(rowid, body, ticket_id) SELECT -id, description, id FROM tickets")
    op.execute(
        "INSERT INTO ticket_text(rowid, body, ticket_id) "
        f"SELECT id, text, ticket_id FROM ticket_messages WHERE author IN {SEARCHED_AUTHORS}"
    )
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_ticket_messages_text_trgm")
        op.execute("DROP INDEX ix_tickets_description_trgm")  # pg_trgm stays: other schemas may use it
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE ticket_text")
    op.drop_table("ticket_phones")
