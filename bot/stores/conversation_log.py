"""What a rider and the assistant said, read from Rasa's tracker store for the staff console.

The ticket keeps the conversation before the hand-over (its transcript) and during
it (its messages); what the rider asked the assistant after staff let go lives only
in Rasa's `events` table. This reads that table's user and bot events directly, with
a table definition of its own, so the console process never imports Rasa.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.db import make_engine

logger = logging.getLogger(__name__)
# Rasa's SQLTrackerStore.SQLEvent, the columns read here.
EVENTS = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("data", sa.Text),
)
SPOKEN = ("user", "bot")
TURN_LIMIT = 50


@dataclass(frozen=True)
class Turn:
    """One message: `speaker` is "worker" or "bot"; `at` naive UTC as the rest of the database."""

    speaker: str
    text: str
    at: datetime


class ConversationLog:
    """Reads one conversation's messages from the tracker store's database."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    def after(self, sender_id: str, since: datetime, limit: int = TURN_LIMIT) -> Optional[List[Turn]]:
        """The first `limit` messages of `sender_id` after `since` (naive UTC); None if the log cannot be read."""
        query = (
            sa.select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
            .where(
                EVENTS.c.sender_id == sender_id,
                EVENTS.c.type_name.in_(SPOKEN),
                EVENTS.c.timestamp > since.replace(tzinfo=timezone.utc).timestamp(),
            )
            .order_by(EVENTS.c.id)
            .limit(limit)
        )
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(query).all()
        except sa.exc.SQLAlchemyError as error:  # no tracker database yet, or it is down: the page says so
            logger.warning("conversation log unreadable: %s", error)
            return None
        return [turn for turn in map(_turn, rows) if turn.text]


def _turn(row: sa.engine.Row) -> Turn:
    try:
        text = str(json.loads(row.data or "{}").get("text") or "")
    except ValueError:
        text = ""
    at = datetime.fromtimestamp(row.timestamp, timezone.utc).replace(tzinfo=None)
    return Turn("worker" if row.type_name == "user" else "bot", text, at)
