"""Remembering which inbound messages were handled: retries and replays run once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import InboundMessage

KEEP = timedelta(days=3)


def seen(session: Session, channel: str, external_id: str) -> bool:
    """Whether a channel's message id was handled already (a redelivery or a replay)."""
    return session.get(InboundMessage, (channel, external_id)) is not None


def first_use(session: Session, kind: str, token: str, body_digest: str, now: datetime) -> bool:
    """False when `token` (a signed nonce) was used before for a different body; records its use.

    The same token with the same body again (a channel's own retry) is accepted.
    """
    used = session.scalars(
        select(InboundMessage.external_id).where(
            InboundMessage.channel == kind, InboundMessage.external_id.like(f"{_escaped(token)}:%", escape="\\")
        )
    ).all()
    if any(not external_id.endswith(f":{body_digest}") for external_id in used):
        return False
    if not used:
        first_time(session, kind, f"{token}:{body_digest}", now)
    return True


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def forget(session: Session, channel: str, external_id: str) -> None:
    """Handling failed: let the channel's redelivery be handled."""
    session.execute(
        delete(InboundMessage).where(InboundMessage.channel == channel, InboundMessage.external_id == external_id)
    )


def first_time(session: Session, channel: str, external_id: str, now: datetime) -> bool:
    """True the first time a channel's message id is seen; records it.

    The id is the primary key, so of two deliveries racing each other exactly
    one insert succeeds (inside a savepoint, so the caller's transaction lives on).
    """
    try:
        with session.begin_nested():
            session.add(InboundMessage(channel=channel, external_id=external_id, received_at=now))
    except IntegrityError:
        return False
    if now.second == 0:  # now and then, forget ids older than any redelivery
        session.execute(delete(InboundMessage).where(InboundMessage.received_at < now - KEEP))
    return True
