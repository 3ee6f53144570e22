"""tickets without a district: district may be empty (the city's 待分派 queue)

A ticket whose rider named no district used to be filed under 潞州区 without a
word; now its district stays NULL until city staff dispatch it. SQLite cannot
drop NOT NULL by ALTER TABLE; its stored schema is edited instead (see below).
Downgrade files undispatched tickets under 潞州区 again, as before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FORMER_DEFAULT = "潞州区"


def _sqlite_set_not_null(not_null: bool) -> None:
    """Edit the stored CREATE TABLE: SQLite documents dropping NOT NULL this way (ALTER TABLE, section 7).

    A rebuild (batch mode) would DROP TABLE tickets with foreign keys on, which
    deletes every message, phone tail and attachment link of every ticket.
    """
    bind = op.get_bind()
    stored = bind.scalar(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tickets'"))
    loose, strict = "district VARCHAR(20),", "district VARCHAR(20) NOT NULL,"
    before, after = (loose, strict) if not_null else (strict, loose)
    if before not in stored:
        raise RuntimeError(f"tickets table not as expected: {stored}")
    version = bind.scalar(sa.text("PRAGMA schema_version"))
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'tickets'"),
        {"sql": stored.replace(before, after)},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _alter_district(nullable: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_set_not_null(not nullable)
    else:
        op.alter_column("tickets", "district", existing_type=sa.String(20), nullable=nullable)


def upgrade() -> None:
    _alter_district(nullable=True)


def downgrade() -> None:
    op.execute(sa.text("UPDATE tickets SET district = :d WHERE district IS NULL").bindparams(d=FORMER_DEFAULT))
    _alter_district(nullable=False)
