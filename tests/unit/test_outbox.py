"""The outbox: which rows are due, leases, retries with back-off, the reply queue, and two
claimers on PostgreSQL that never take the same row."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Iterator, List, Optional

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import outbox
from core.models import OutboxMessage, QueuedReply
from core.services import Services

NOW = datetime(2026, 11, 26, 6, 0)


@pytest.fixture
def db(services: Services) -> Iterator[Services]:
    """Both databases with an empty outbox and reply queue (the PostgreSQL schema is shared by the session)."""

    def empty(session: Session) -> None:
        session.execute(delete(QueuedReply))
        session.execute(delete(OutboxMessage))

    services.transaction(empty)
    yield services


def add_row(services: Services, key: str, state: str = outbox.PENDING, due: datetime = NOW, **values) -> int:
    def add(session: Session) -> int:
        row = OutboxMessage(
            key=key, channel=values.pop("channel", "telegram"), recipient=values.pop("recipient", "r1"),
            payload=json.dumps({"text": key}), state=state, next_attempt_at=due, created_at=NOW, **values,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id

    return services.transaction(add)


def row_of(services: Services, row_id: int) -> OutboxMessage:
    with services.session_factory() as session:
        row = session.get(OutboxMessage, row_id)
        session.expunge(row)
        return row


def claim(services: Services, now: datetime = NOW, limit: int = 20) -> List[outbox.Claimed]:
    return services.transaction(lambda s: outbox.claim_due(s, now, limit))


def test_due_rows_are_claimed_under_a_lease_oldest_first(db: Services) -> None:
    later = add_row(db, "later", due=NOW - timedelta(seconds=1))
    first = add_row(db, "first", due=NOW - timedelta(minutes=5))
    retrying = add_row(db, "retrying", outbox.RETRYING, due=NOW, attempts=2)
    expired = add_row(db, "lease-ran-out", outbox.SENDING, due=NOW - timedelta(seconds=2), attempts=1)
    for state in (outbox.SENT, outbox.FAILED):
        add_row(db, state, state, due=NOW - timedelta(hours=1))
    add_row(db, "not-yet", due=NOW + timedelta(seconds=1))
    add_row(db, "leased", outbox.SENDING, due=NOW + timedelta(seconds=30))
    claimed = claim(db)
    assert [c.key for c in claimed] == ["first", "lease-ran-out", "later", "retrying"]
    assert [c.id for c in claimed] == [first, expired, later, retrying]
    assert [c.attempts for c in claimed] == [1, 2, 1, 3]
    assert claimed[0].payload == {"text": "first"} and (claimed[0].channel, claimed[0].recipient) == ("telegram", "r1")
    for row_id, attempts in ((first, 1), (retrying, 3)):
        row = row_of(db, row_id)
        assert (row.state, row.attempts, row.next_attempt_at) == (outbox.SENDING, attempts, NOW + outbox.LEASE)
    assert claim(db) == []  # the leases hold
    again = {c.key for c in claim(db, NOW + outbox.LEASE)}  # and run out, with the later rows now due
    assert again == {"first", "lease-ran-out", "later", "retrying", "not-yet", "leased"}


def test_a_claim_takes_at_most_its_limit_the_earliest_due(db: Services) -> None:
    for n in range(5):
        add_row(db, f"k{n}", due=NOW - timedelta(seconds=10 - n))
    assert [c.key for c in claim(db, limit=2)] == ["k0", "k1"]
    assert [c.key for c in claim(db, limit=20)] == ["k2", "k3", "k4"]


def test_a_claim_takes_twenty_rows_unless_told_otherwise(db: Services) -> None:
    for n in range(21):
        add_row(db, f"batch-{n}")
    assert len(db.transaction(lambda s: outbox.claim_due(s, NOW))) == 20


def test_rows_named_by_id_are_claimed_in_order_if_still_waiting(db: Services) -> None:
    ids = [add_row(db, f"n{n}") for n in range(3)]
    sent = add_row(db, "sent", outbox.SENT)
    retrying = add_row(db, "again", outbox.RETRYING, due=NOW + timedelta(hours=1), attempts=4)
    add_row(db, "other")
    claimed = db.transaction(lambda s: outbox.claim_ids(s, [retrying, sent, *reversed(ids)], NOW))
    assert [c.id for c in claimed] == [*ids, retrying]
    assert [c.attempts for c in claimed] == [1, 1, 1, 5]
    row = row_of(db, retrying)
    assert (row.state, row.next_attempt_at) == (outbox.SENDING, NOW + outbox.LEASE)
    assert db.transaction(lambda s: outbox.claim_ids(s, ids, NOW)) == []  # already claimed
    assert db.transaction(lambda s: outbox.claim_ids(s, [], NOW)) == []


def test_the_assistants_replies_are_written_once_per_message(db: Services) -> None:
    messages = [{"text": "一"}, {"text": "二"}]
    ids = db.transaction(lambda s: outbox.queue_assistant_replies(s, "telegram", "tg-9", "tg:42", messages, NOW))
    assert len(ids) == 2 and ids[0] < ids[1]
    again = db.transaction(lambda s: outbox.queue_assistant_replies(s, "telegram", "tg-9", "tg:42", messages, NOW))
    assert again == []
    other = db.transaction(lambda s: outbox.queue_assistant_replies(s, "telegram", "tg-9", "tg:4", messages, NOW))
    assert len(other) == 2  # tg:4 is not tg:42
    rows = [row_of(db, i) for i in ids]
    assert [r.key for r in rows] == ["tg:42:0", "tg:42:1"]
    assert [json.loads(r.payload) for r in rows] == [{"kind": outbox.ASSISTANT, "message": m} for m in messages]
    assert all((r.channel, r.recipient, r.state, r.next_attempt_at, r.recorded_at) ==
               ("telegram", "tg-9", outbox.PENDING, NOW, NOW) for r in rows)  # fmt: skip
    assert db.transaction(lambda s: outbox.unrecorded(s)) == []  # already in the Rasa conversation


def test_a_queued_reply_lands_once_and_marks_the_row_sent(db: Services) -> None:
    row_id = add_row(db, "reply:1:a", channel="webchat", recipient="web-1")
    (claimed,) = claim(db)
    later = NOW + timedelta(seconds=3)
    db.transaction(lambda s: outbox.enqueue_reply(s, claimed, {"text": "您好"}, later))
    db.transaction(lambda s: outbox.enqueue_reply(s, claimed, {"text": "您好"}, later))
    row = row_of(db, row_id)
    assert (row.state, row.sent_at, row.last_error) == (outbox.SENT, later, "")
    with db.session_factory() as session:
        queued = session.scalars(select(QueuedReply)).all()
        assert [(q.key, q.channel, q.recipient, json.loads(q.payload), q.created_at) for q in queued] == [
            ("reply:1:a", "webchat", "web-1", {"text": "您好"}, later)
        ]


def test_a_sent_row_waits_to_be_recorded_then_is_done(db: Services) -> None:
    first, second = add_row(db, "s1"), add_row(db, "s2")
    add_row(db, "pending")
    for row_id in (second, first):
        db.transaction(lambda s, row_id=row_id: outbox.mark_sent(s, row_id, NOW))
    assert [c.id for c in db.transaction(lambda s: outbox.unrecorded(s))] == [first, second]
    assert [c.id for c in db.transaction(lambda s: outbox.unrecorded(s, limit=1))] == [first]
    db.transaction(lambda s: outbox.mark_recorded(s, first, NOW))
    assert row_of(db, first).recorded_at == NOW
    assert [c.key for c in db.transaction(lambda s: outbox.unrecorded(s))] == ["s2"]


def failed_attempt(db: Services, row_id: int, error: str = "429", retryable: bool = True, **kw) -> str:
    return db.transaction(lambda s: outbox.mark_failed(s, row_id, error, NOW, retryable, **kw))


@pytest.mark.parametrize(("attempts", "base_seconds"), [(1, 5.0), (2, 10.0), (4, 40.0), (12, 3600.0)])
def test_a_refusal_is_retried_after_a_growing_wait(db: Services, attempts: int, base_seconds: float) -> None:
    row_id = add_row(db, "flaky", outbox.SENDING, attempts=attempts)
    assert failed_attempt(db, row_id, "x" * 600, attempts=attempts + 1) == outbox.RETRYING
    row = row_of(db, row_id)
    wait = (row.next_attempt_at - NOW).total_seconds()
    assert row.state == outbox.RETRYING and row.last_error == "x" * 500
    assert 0.8 * base_seconds - 0.01 <= wait <= 1.2 * base_seconds + 0.01


def test_a_row_fails_after_its_last_attempt_or_a_final_refusal(db: Services) -> None:
    assert outbox.MAX_ATTEMPTS == 8
    worn = add_row(db, "worn", outbox.SENDING, attempts=outbox.MAX_ATTEMPTS)
    almost = add_row(db, "almost", outbox.SENDING, attempts=outbox.MAX_ATTEMPTS - 1)
    refused = add_row(db, "refused", outbox.SENDING, attempts=1)
    unrenderable = add_row(db, "unrenderable", outbox.SENDING, attempts=outbox.RENDER_ATTEMPTS)
    assert failed_attempt(db, worn) == outbox.FAILED
    assert failed_attempt(db, almost) == outbox.RETRYING
    assert failed_attempt(db, refused, "blocked", retryable=False) == outbox.FAILED
    assert failed_attempt(db, unrenderable, attempts=outbox.RENDER_ATTEMPTS) == outbox.FAILED
    for row_id in (worn, refused, unrenderable):
        row = row_of(db, row_id)
        assert row.state == outbox.FAILED and row.next_attempt_at == NOW
    assert row_of(db, refused).last_error == "blocked"
    assert [c.key for c in claim(db, NOW + timedelta(days=1))] == ["almost"]  # failed rows wait for staff


def test_staff_can_retry_a_failed_delivery_but_not_a_sent_one(db: Services) -> None:
    failed = add_row(db, "failed", outbox.FAILED, due=NOW - timedelta(days=1), attempts=8)
    retrying = add_row(db, "retrying", outbox.RETRYING, due=NOW + timedelta(hours=1), attempts=3)
    sent = add_row(db, "sent", outbox.SENT, due=NOW - timedelta(days=1), attempts=1)
    later = NOW + timedelta(minutes=5)
    for row_id in (failed, retrying, sent, 10**9):
        db.transaction(lambda s, row_id=row_id: outbox.retry_now(s, row_id, later))
    for row_id in (failed, retrying):
        row = row_of(db, row_id)
        assert (row.state, row.next_attempt_at, row.attempts) == (outbox.RETRYING, later, 0)
    row = row_of(db, sent)
    assert (row.state, row.attempts) == (outbox.SENT, 1)


def queue_reply(db: Services, key: str, channel: str, recipient: str) -> int:
    def add(session: Session) -> int:
        reply = QueuedReply(key=key, channel=channel, recipient=recipient, payload="{}", created_at=NOW)
        session.add(reply)
        session.flush()
        return reply.id

    return db.transaction(add)


def test_a_conversation_reads_its_own_queue_after_a_given_reply(db: Services) -> None:
    assert db.read(lambda s: outbox.last_reply_id(s, "webchat", "w1")) == 0
    mine = [queue_reply(db, f"q{n}", "webchat", "w1") for n in range(4)]
    queue_reply(db, "other-person", "webchat", "w2")
    queue_reply(db, "other-channel", "rest", "w1")
    assert db.read(lambda s: outbox.last_reply_id(s, "webchat", "w1")) == mine[-1]

    def after(after_id: int, limit: int = 50) -> List[int]:
        return db.read(lambda s: [r.id for r in outbox.replies_after(s, "webchat", "w1", after_id, limit)])

    assert after(0) == mine
    assert after(mine[1]) == mine[2:]
    assert after(mine[-1]) == []
    assert after(0, limit=2) == mine[:2]


def test_two_claimers_on_postgresql_never_take_the_same_row(pg_services: Services) -> None:
    """One claimer holds its rows uncommitted while the other claims: it must skip them, not wait, not share."""
    db = pg_services
    db.transaction(lambda s: s.execute(delete(OutboxMessage)))
    for n in range(10):
        add_row(db, f"race-{n}", due=NOW - timedelta(seconds=n))
    first_claimed, second_done = threading.Event(), threading.Event()
    results: dict = {}
    errors: List[BaseException] = []

    def first() -> None:
        try:
            with db.session_factory.begin() as session:
                results["first"] = outbox.claim_due(session, NOW, limit=6)
                session.flush()
                first_claimed.set()
                results["second_waited"] = not second_done.wait(timeout=5)
        except BaseException as error:  # handed to the test thread
            errors.append(error)
            first_claimed.set()

    def second() -> None:
        try:
            first_claimed.wait(timeout=10)
            with db.session_factory.begin() as session:
                results["second"] = outbox.claim_due(session, NOW, limit=6)
                session.flush()
                second_done.set()
        except BaseException as error:
            errors.append(error)
            second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    taken_first = {c.id for c in results["first"]}
    taken_second = {c.id for c in results["second"]}
    assert len(taken_first) == 6 and len(taken_second) == 4
    assert not taken_first & taken_second, "a row claimed by both"
    assert not results["second_waited"], "the second claimer waited for the first one's locks"
    with db.session_factory() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert all(r.state == outbox.SENDING and r.attempts == 1 for r in rows)


def test_many_claimers_on_postgresql_claim_each_row_once(pg_services: Services) -> None:
    db = pg_services
    db.transaction(lambda s: s.execute(delete(OutboxMessage)))
    for n in range(60):
        add_row(db, f"crowd-{n}", due=NOW - timedelta(seconds=n))
    start = threading.Barrier(4)
    taken: List[Optional[int]] = []
    lock = threading.Lock()

    def claimer() -> None:
        start.wait(timeout=10)
        for _ in range(10):
            claimed = claim(db, limit=3)
            with lock:
                taken.extend(c.id for c in claimed)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(taken) == len(set(taken)) == 60


def test_the_stored_states_and_limits_are_the_ones_the_console_and_workers_know() -> None:
    assert (outbox.PENDING, outbox.SENDING, outbox.RETRYING, outbox.SENT, outbox.FAILED) == (
        "pending", "sending", "retrying", "sent", "failed",
    )  # fmt: skip
    assert timedelta(minutes=1) == outbox.LEASE and outbox.RENDER_ATTEMPTS == 3
    assert outbox.QUEUED_CHANNELS == ("rest", "webchat") and outbox.ASSISTANT == "assistant"


def test_payloads_are_stored_readable(db: Services) -> None:
    (row_id,) = db.transaction(
        lambda s: outbox.queue_assistant_replies(s, "telegram", "tg-r", "tg:r", [{"text": "您好"}], NOW)
    )
    assert '"您好"' in row_of(db, row_id).payload
    readable = add_row(db, "readable", channel="webchat", recipient="web-r")
    (claimed,) = db.transaction(lambda s: outbox.claim_ids(s, [readable], NOW))
    db.transaction(lambda s: outbox.enqueue_reply(s, claimed, {"text": "已处理"}, NOW))
    assert db.read(lambda s: s.scalars(select(QueuedReply.payload)).one()) == '{"text": "已处理"}'


@pytest.mark.parametrize(("attempts", "wait"), [(1, 5.0), (2, 10.0), (3, 20.0), (10, 2560.0), (11, 3600.0)])
def test_the_wait_doubles_from_five_seconds_up_to_an_hour(
    db: Services, monkeypatch: pytest.MonkeyPatch, attempts: int, wait: float
) -> None:
    jitter: list = []
    monkeypatch.setattr(outbox.random, "uniform", lambda low, high: jitter.append((low, high)) or high)
    row_id = add_row(db, "doubling", outbox.SENDING, attempts=attempts)
    assert (
        db.transaction(lambda s: outbox.mark_failed(s, row_id, "503", NOW, attempts=20)) == outbox.RETRYING
    )  # retryable unless said
    assert row_of(db, row_id).next_attempt_at == NOW + timedelta(seconds=wait * 1.2)  # the longest the jitter allows
    assert jitter == [(0.8, 1.2)]


def test_unrecorded_rows_come_twenty_at_a_time(db: Services) -> None:
    for n in range(21):
        row_id = add_row(db, f"unrec-{n}")
        db.transaction(lambda s, row_id=row_id: outbox.mark_sent(s, row_id, NOW))
    assert len(db.transaction(lambda s: outbox.unrecorded(s))) == 20


def test_a_conversations_queue_is_read_fifty_at_a_time(db: Services) -> None:
    for n in range(51):
        queue_reply(db, f"many-{n}", "webchat", "w-many")
    replies = db.read(lambda s: outbox.replies_after(s, "webchat", "w-many", 0))
    assert len(replies) == 50


def test_rows_named_by_id_are_skipped_on_postgresql_while_another_claimer_holds_them(pg_services: Services) -> None:
    db = pg_services
    db.transaction(lambda s: s.execute(delete(OutboxMessage)))
    ids = [add_row(db, f"named-{n}") for n in range(3)]
    taken: List[outbox.Claimed] = []
    with db.session_factory.begin() as holder:
        assert len(outbox.claim_due(holder, NOW)) == 3
        thread = threading.Thread(target=lambda: taken.extend(db.transaction(lambda s: outbox.claim_ids(s, ids, NOW))))
        thread.start()
        thread.join(timeout=5)
        assert not thread.is_alive(), "claim_ids waited for the other claimer's locks"
    assert taken == []
