"""Rasa's SQL tracker store, reading only the recent part of a long conversation.

Rasa rebuilds a conversation from every event of its session on each message,
and its policies walk all of them, so a reply costs more the longer a worker
has talked (DESIGN.md: ~14 ms at turn 5, ~1.6 s at turn 300). This store keeps
Rasa's `events` table and adds:

- a window: `retrieve` reads the session's last `window` events, newest first
  by an index on (sender_id, id), so a reply's cost stops growing with history;
- a snapshot of each conversation's slots and active form, written with every
  save, so a window that starts mid-session still knows them (it is replayed
  first, then the window's own events bring the state to where it was);
- saves that append only the events newer than the stored ones, without
  counting the whole session first as Rasa does;
- database work on a worker thread, off Rasa's event loop, retried while the
  database restarts; if it stays away, `TrackerStoreUnavailable` ends the turn.

The database is TRACKER_DATABASE_URL (default: var/tracker.db next to the
project database); PostgreSQL in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from core.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")
# About ten turns: more than any rule or the memoization policy (4 turns) looks back.
DEFAULT_WINDOW = 80
# How long a read or write is retried while the database is away (a restart takes a few seconds).
RETRY_FOR_S = 20
TRANSIENT_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError)


class TrackerStoreUnavailable(BaseException):
    """The conversation could not be read or recorded: the turn must not go on.

    A BaseException on purpose. Rasa wraps every tracker store in its
    FailSafeTrackerStore, which catches `Exception`, logs it, and carries on
    with an empty in-memory conversation: the rider would be answered while
    nothing is recorded, or start over with their form and hand-off forgotten.
    This passes through it to the channel, which asks the rider to try again.
    """


def with_retries(work: Callable[[], T]) -> T:
    """Run `work`, retrying connection errors with backoff for up to `RETRY_FOR_S`."""
    deadline, delay = time.monotonic() + RETRY_FOR_S, 0.1
    while True:
        try:
            return work()
        except TRANSIENT_ERRORS as error:
            if time.monotonic() > deadline:
                raise TrackerStoreUnavailable(f"tracker store unavailable: {error}") from error
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


SQLEvent = SQLTrackerStore.SQLEvent
snapshots = sa.Table(
    "tracker_snapshots",
    SQLTrackerStore.Base.metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("last_timestamp", sa.Float, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
)
# Rasa indexes sender_id alone; reading the newest events of one sender needs both.
sender_and_id = sa.Index("ix_events_sender_id_id", SQLEvent.sender_id, SQLEvent.id)
sender_and_type = sa.Index("ix_events_sender_id_type_name_id", SQLEvent.sender_id, SQLEvent.type_name, SQLEvent.id)


def default_url() -> str:
    return Settings.from_env().tracker_database_url


class WindowedSQLTrackerStore(SQLTrackerStore):
    """`type: bot.stores.tracker_store.WindowedSQLTrackerStore` in endpoints.yml."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        url: Optional[Text] = None,
        window: int = DEFAULT_WINDOW,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        TrackerStore.__init__(self, domain, event_broker, **kwargs)
        url = url or default_url()
        engine_kwargs: Dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            engine_kwargs.update(connect_args={"check_same_thread": False, "timeout": 30}, poolclass=QueuePool)
            _ensure_directory(url)
        self.engine = sa.create_engine(url, **engine_kwargs)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_wal)
        _create_schema(self.engine, lambda: self.Base.metadata.create_all(self.engine, checkfirst=True))
        for index in (sender_and_id, sender_and_type):
            _create_schema(self.engine, functools.partial(index.create, self.engine, checkfirst=True))
        self.sessionmaker = sessionmaker(bind=self.engine)
        self.window = int(window)

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Any]:
        """A session for one read or write.

        Rasa's own turns any `ValueError` raised inside it into `sys.exit`, taking it for
        a missing PostgreSQL schema: one message the database could not encode stopped
        the server and, with it, every other conversation. Here an error stays the error
        of the conversation at hand; the channel asks that rider to try again.
        """
        session = self.sessionmaker()
        try:
            yield session
        finally:
            session.close()

    # --- reading ---------------------------------------------------------------

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        events = await asyncio.to_thread(with_retries, lambda: self._window_events(sender_id))
        if not events or self.domain is None:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    def _window_events(self, sender_id: Text) -> List[Dict[str, Any]]:
        with self.session_scope() as session:
            started = (
                session.query(sa.func.max(SQLEvent.id))
                .filter(SQLEvent.sender_id == sender_id, SQLEvent.type_name == SessionStarted.type_name)
                .scalar()
            )
            query = session.query(SQLEvent.data).filter(SQLEvent.sender_id == sender_id)
            if started is not None:
                query = query.filter(SQLEvent.id >= started)
            rows = query.order_by(SQLEvent.id.desc()).limit(self.window + 1).all()
            state = session.query(snapshots.c.state).filter(snapshots.c.sender_id == sender_id).scalar()
        events = [json.loads(data) for (data,) in reversed(rows)]
        if len(events) <= self.window:
            return events  # the whole session fits
        events = _from_a_listen(events[1:])
        initial = {slot.name: slot.initial_value for slot in self.domain.slots} if self.domain else {}
        return _state_events(json.loads(state) if state else {}, initial, events[0].get("timestamp", 0.0)) + events

    # --- writing ---------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        await asyncio.to_thread(with_retries, lambda: self._save(tracker))

    def _save(self, tracker: DialogueStateTracker) -> List[Event]:
        with self.session_scope() as session:
            stored = (
                session.query(snapshots.c.last_timestamp).filter(snapshots.c.sender_id == tracker.sender_id).scalar()
            )
            new_events = [e for e in tracker.events if stored is None or e.timestamp > stored]
            for event in new_events:
                data = event.as_dict()
                session.add(
                    SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            if new_events:
                _write_snapshot(session, tracker, max(e.timestamp for e in new_events))
            session.commit()
        if self.event_broker is not None:
            for event in new_events:
                self.event_broker.publish({"sender_id": tracker.sender_id, **event.as_dict()})
        return new_events

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Events are published by `save`, which knows which ones are new."""

    async def keys(self) -> Iterable[Text]:
        with self.session_scope() as session:
            return [sender for (sender,) in session.query(SQLEvent.sender_id).distinct()]


def _write_snapshot(session: Any, tracker: DialogueStateTracker, last_timestamp: float) -> None:
    # ASCII escapes: a character UTF-8 cannot encode (a lone surrogate) is stored escaped
    # instead of failing the write.
    state = json.dumps(
        {"slots": tracker.current_slot_values(), "active_loop": tracker.active_loop_name},
        default=str,
    )
    updated = session.execute(
        snapshots.update()
        .where(snapshots.c.sender_id == tracker.sender_id)
        .values(last_timestamp=last_timestamp, state=state)
    )
    if updated.rowcount == 0:
        session.execute(
            snapshots.insert().values(sender_id=tracker.sender_id, last_timestamp=last_timestamp, state=state)
        )


def _from_a_listen(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The window from its first `action_listen` on.

    Rasa's featurizers expect every user message to follow an `action_listen`, as it
    does in a whole session; a window cut just before a message (a form's long turns
    made that common) raised IndexError in the memoization policy on every turn after.
    """
    for at, event in enumerate(events):
        if event.get("event") == "action" and event.get("name") == ACTION_LISTEN_NAME:
            return events[at:]
    return [ActionExecuted(ACTION_LISTEN_NAME, timestamp=events[0].get("timestamp", 0.0) - 1e-7).as_dict(), *events]


def _state_events(state: Dict[str, Any], initial: Dict[str, Any], before: float) -> List[Dict[str, Any]]:
    """The saved slots that differ from their initial values, and the active form, as
    events timed just before the window."""
    at = before - 1e-6
    slots = (state.get("slots") or {}).items()
    events: List[Event] = [SlotSet(name, value, timestamp=at) for name, value in slots if value != initial.get(name)]
    loop = state.get("active_loop")
    if loop:
        events.append(ActiveLoop(loop, timestamp=at))
    return [e.as_dict() for e in events]


def _create_schema(engine: sa.engine.Engine, create: Callable[[], None]) -> None:
    """Create a table or index unless it exists, also when another worker starting at the
    same moment creates it first (PostgreSQL then reports a duplicate, SQLite "already exists")."""
    try:
        create()
    except (sa.exc.IntegrityError, sa.exc.ProgrammingError, sa.exc.OperationalError) as error:
        if "already exists" not in str(error) and "duplicate key" not in str(error):
            raise
        logger.info("another worker created the tracker schema first: %s", str(error).splitlines()[0])
        create()  # checks first, finds what the other worker made; anything still missing is made now


def _ensure_directory(url: str) -> None:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
