"""The outbox: claiming messages due for delivery, and recording what happened.

Rows are claimed with a lease (state `sending`): a worker that dies mid-send
leaves the row to be claimed again when the lease runs out, so nothing is lost.
Retries back off exponentially; after `MAX_ATTEMPTS` a row is `failed` and the
console shows it. For web chat and REST the reply is put in the conversation's
queue in the same transaction that marks it sent: exactly once.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.models import OutboxMessage, QueuedReply

PENDING, SENDING, RETRYING, SENT, FAILED = "pending", "sending", "retrying", "sent", "failed"
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8
# A row that cannot be rendered (a response the domain lacks) is tried this often, then failed.
RENDER_ATTEMPTS = 3
QUEUED_CHANNELS = ("rest", "webchat")


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row, detached from its session."""

    id: int
    key: str
    channel: str
    recipient: str
    payload: Dict[str, Any]
    attempts: int


def claim_due(session: Session, now: datetime, limit: int = 20) -> List[Claimed]:
    """Rows due now (or whose lease ran out), marked `sending` under a new lease."""
    query = (
        select(OutboxMessage)
        .where(
            or_(
                OutboxMessage.state.in_((PENDING, RETRYING)),
                OutboxMessage.state == SENDING,
            ),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    for row in session.scalars(query):
        row.state = SENDING
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        claimed.append(Claimed(row.id, row.key, row.channel, row.recipient, json.loads(row.payload), row.attempts))
    return claimed


ASSISTANT = "assistant"


def queue_assistant_replies(
    session: Session, channel: str, recipient: str, key: str, messages: List[Dict[str, Any]], now: datetime
) -> List[int]:
    """The assistant's rendered replies to one message as outbox rows (ids, in order).

    For channels whose replies are sent by API calls (Telegram, WeChat's late
    replies): written before anything is sent, so an outage of the channel's
    API delays them and loses none. `key` names the message answered; the same
    key again adds nothing. They are already in the Rasa conversation: not recorded again.
    """
    if session.scalars(select(OutboxMessage.id).where(OutboxMessage.key.like(f"{key}:%"))).first() is not None:
        return []
    rows = [
        OutboxMessage(
            key=f"{key}:{index}",
            channel=channel,
            recipient=recipient,
            payload=json.dumps({"kind": ASSISTANT, "message": message}, ensure_ascii=False),
            created_at=now,
            next_attempt_at=now,
            recorded_at=now,
        )
        for index, message in enumerate(messages)
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def claim_ids(session: Session, ids: List[int], now: datetime) -> List[Claimed]:
    """These rows, if still waiting, claimed under a lease for sending now (in their order)."""
    if not ids:
        return []
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.state.in_((PENDING, RETRYING)))
        .order_by(OutboxMessage.id)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    for row in session.scalars(query):
        row.state, row.attempts, row.next_attempt_at = SENDING, row.attempts + 1, now + LEASE
        claimed.append(Claimed(row.id, row.key, row.channel, row.recipient, json.loads(row.payload), row.attempts))
    return claimed


def mark_sent(session: Session, outbox_id: int, now: datetime) -> None:
    row = session.get(OutboxMessage, outbox_id)
    row.state, row.sent_at, row.last_error = SENT, now, ""


def enqueue_reply(session: Session, claimed: Claimed, rendered: Dict[str, Any], now: datetime) -> None:
    """Put the reply in the conversation's queue and mark the row sent, atomically."""
    exists = session.scalars(select(QueuedReply.id).where(QueuedReply.key == claimed.key)).first()
    if exists is None:
        session.add(
            QueuedReply(
                key=claimed.key,
                channel=claimed.channel,
                recipient=claimed.recipient,
                payload=json.dumps(rendered, ensure_ascii=False),
                created_at=now,
            )
        )
    mark_sent(session, claimed.id, now)


def mark_failed(
    session: Session,
    outbox_id: int,
    error: str,
    now: datetime,
    retryable: bool = True,
    attempts: int = MAX_ATTEMPTS,
) -> str:
    """Record a failed attempt; returns the new state (`retrying`, or `failed` after `attempts`)."""
    row = session.get(OutboxMessage, outbox_id)
    row.last_error = error[:500]
    if not retryable or row.attempts >= attempts:
        row.state = FAILED
        return FAILED
    backoff = min(3600.0, 5.0 * 2 ** (row.attempts - 1)) * random.uniform(0.8, 1.2)
    row.state, row.next_attempt_at = RETRYING, now + timedelta(seconds=backoff)
    return RETRYING


def retry_now(session: Session, outbox_id: int, now: datetime) -> None:
    """Staff asked to try a failed delivery again."""
    row = session.get(OutboxMessage, outbox_id)
    if row is not None and row.state in (FAILED, RETRYING):
        row.state, row.next_attempt_at, row.attempts = RETRYING, now, 0


def unrecorded(session: Session, limit: int = 20) -> List[Claimed]:
    """Sent rows not yet copied into the Rasa conversation."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == SENT, OutboxMessage.recorded_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [Claimed(r.id, r.key, r.channel, r.recipient, json.loads(r.payload), r.attempts) for r in rows]


def mark_recorded(session: Session, outbox_id: int, now: datetime) -> None:
    session.get(OutboxMessage, outbox_id).recorded_at = now


def last_reply_id(session: Session, channel: str, recipient: str) -> int:
    """The newest queued reply of a conversation (0 if none): where a reloaded page resumes."""
    newest = session.scalar(
        select(func.max(QueuedReply.id)).where(QueuedReply.channel == channel, QueuedReply.recipient == recipient)
    )
    return newest or 0


def replies_after(session: Session, channel: str, recipient: str, after_id: int, limit: int = 50) -> List[QueuedReply]:
    """A conversation's queued replies newer than `after_id`, oldest first."""
    return list(
        session.scalars(
            select(QueuedReply)
            .where(QueuedReply.channel == channel, QueuedReply.recipient == recipient, QueuedReply.id > after_id)
            .order_by(QueuedReply.id)
            .limit(limit)
        )
    )
