"""The windowed tracker store (real SQLite) and the atomic Redis lock store (real Redis)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import tracker_store
from bot.stores.lock_store import AtomicRedisLockStore, ConfiguredLockStore
from bot.stores.tracker_store import WindowedSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, inform]
slots:
  district: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  handoff: {type: bool, influence_conversation: false, mappings: [{type: custom}]}
forms:
  station_form: {required_slots: []}
responses:
  utter_greet: [{text: hi}]
"""
)
REDIS_URL = "redis://127.0.0.1:6379/15"


def turn(n: int, t: float) -> list:
    return [
        ActionExecuted("action_listen", timestamp=t),
        UserUttered(f"消息{n}", {"name": "greet", "confidence": 1.0}, timestamp=t + 0.1),
        ActionExecuted("utter_greet", timestamp=t + 0.2),
        BotUttered("hi", timestamp=t + 0.3),
    ]


def stored_rows(store: WindowedSQLTrackerStore, sender: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()


@pytest.fixture
def store(tmp_path: Path) -> WindowedSQLTrackerStore:
    return WindowedSQLTrackerStore(DOMAIN, url=f"sqlite:///{tmp_path / 'tracker.db'}", window=12)


async def test_a_long_conversation_is_read_through_a_window_that_keeps_the_state(store) -> None:
    events = [SessionStarted(timestamp=1.0), SlotSet("district", "屯留区", timestamp=1.5)]
    for n in range(40):
        events += turn(n, 10.0 + n)
    events += [ActiveLoop("station_form", timestamp=60.0), SlotSet("handoff", True, timestamp=60.1)]
    await store.save(DialogueStateTracker.from_events("long", events, slots=DOMAIN.slots))
    loaded = await store.retrieve("long")
    assert len(loaded.events) <= 12 + 3  # the window, and the state replayed before it
    assert loaded.get_slot("district") == "屯留区" and loaded.get_slot("handoff") is True
    assert loaded.active_loop_name == "station_form"
    assert loaded.latest_message.text == "消息39"
    full = await store.retrieve_full_tracker("long")
    assert len(full.events) == len(events)


async def test_a_window_cut_just_before_a_message_starts_at_the_listen_before_it(tmp_path: Path) -> None:
    """Turns of four events and a window of 11 cut between a listen and its message: the
    memoization policy then failed with IndexError on every turn of that conversation."""
    store = WindowedSQLTrackerStore(DOMAIN, url=f"sqlite:///{tmp_path / 'tracker.db'}", window=11)
    events = [SessionStarted(timestamp=1.0)] + [e for n in range(10) for e in turn(n, 10.0 + n)]
    await store.save(DialogueStateTracker.from_events("cut", events, slots=DOMAIN.slots))
    loaded = list((await store.retrieve("cut")).events)
    for at, event in enumerate(loaded):
        if isinstance(event, UserUttered):
            assert at > 0 and loaded[at - 1] == ActionExecuted("action_listen"), [str(e) for e in loaded]
    assert [e.text for e in loaded if isinstance(e, UserUttered)] == ["消息8", "消息9"]


async def test_saving_a_windowed_tracker_appends_only_the_new_events(store) -> None:
    events = [SessionStarted(timestamp=1.0)] + [e for n in range(20) for e in turn(n, 10.0 + n)]
    await store.save(DialogueStateTracker.from_events("append", events, slots=DOMAIN.slots))
    before = stored_rows(store, "append")
    loaded = await store.retrieve("append")
    for event in turn(20, 100.0):
        loaded.update(event)
    await store.save(loaded)
    await store.save(loaded)  # saving twice adds nothing
    assert stored_rows(store, "append") == before + 4
    assert (await store.retrieve("append")).latest_message.text == "消息20"


async def test_a_new_session_starts_a_new_window(store) -> None:
    events = [SessionStarted(timestamp=1.0)] + [e for n in range(5) for e in turn(n, 10.0 + n)]
    events += [SessionStarted(timestamp=50.0), SlotSet("district", "黎城县", timestamp=50.1)]
    await store.save(DialogueStateTracker.from_events("sessions", events, slots=DOMAIN.slots))
    loaded = await store.retrieve("sessions")
    assert [e for e in loaded.events if isinstance(e, UserUttered)] == []
    assert loaded.get_slot("district") == "黎城县"


async def test_text_utf8_cannot_encode_is_stored_escaped_and_a_failed_write_stops_nothing(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slot holding a lone surrogate used to fail the write, which Rasa's store turned into sys.exit."""
    events = [SessionStarted(timestamp=1.0), *turn(0, 2.0), SlotSet("district", "\ud800", timestamp=3.0)]
    await store.save(DialogueStateTracker.from_events("surrogate", events, slots=DOMAIN.slots))
    assert (await store.retrieve("surrogate")).get_slot("district") == "\ud800"

    def failing_write(*_args, **_kwargs):
        raise ValueError("this write failed")

    monkeypatch.setattr(tracker_store, "_write_snapshot", failing_write)
    with pytest.raises(ValueError, match="this write failed"):  # the caller's error, not SystemExit
        await store.save(DialogueStateTracker.from_events("other", events, slots=DOMAIN.slots))


def test_two_redis_clients_never_hold_the_same_ticket() -> None:
    conversation = f"lock-{uuid.uuid4().hex[:6]}"
    stores = [AtomicRedisLockStore(REDIS_URL), AtomicRedisLockStore(REDIS_URL)]
    tickets, barrier = [], threading.Barrier(8)

    def take(store: AtomicRedisLockStore) -> None:
        barrier.wait()
        for _ in range(25):
            tickets.append(store.issue_ticket(conversation, 60))

    threads = [threading.Thread(target=take, args=(stores[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(tickets) == list(range(200))
    for ticket in tickets:
        stores[ticket % 2].cleanup(conversation, ticket)
    assert stores[0].get_lock(conversation) is None


def test_the_environment_chooses_the_lock_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(ConfiguredLockStore(), InMemoryLockStore)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    assert isinstance(ConfiguredLockStore(), AtomicRedisLockStore)


def test_workers_starting_together_on_a_fresh_database_all_get_their_store(pg_schema_url: str) -> None:
    """Several Rasa workers create the events table at the same moment on a new PostgreSQL."""
    url = pg_schema_url.replace("search_path%3D", "search_path%3Dtracker_race_")
    schema = url.split("search_path%3D")[1]
    admin = sa.create_engine(pg_schema_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    start, errors, stores = threading.Barrier(4), [], []

    def worker() -> None:
        start.wait()
        try:
            stores.append(WindowedSQLTrackerStore(DOMAIN, url=url))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors and len(stores) == 4
    finally:
        for store in stores:
            store.engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
