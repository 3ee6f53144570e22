"""Sending to a worker on their channel: one abstraction for assistant and staff replies.

A `Sender` delivers one rendered message (`{"text": ..., "buttons": [...]}`)
to one recipient. A channel sends the assistant's replies through its sender
once the turn is saved (bot/channels/handling.py), and the delivery worker
sends staff replies through the very same sender. Web chat and REST are the
exception: the assistant's replies are the HTTP response, staff replies wait
in the conversation's queue.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Protocol, Tuple

from sqlalchemy.orm import Session

from core import inbound, outbox
from core.services import Services

logger = logging.getLogger(__name__)


class SendError(Exception):
    """The channel did not take the message; `retryable` says whether to try again later."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Sender(Protocol):
    """Sends one rendered message to one recipient of a channel."""

    async def send(self, recipient: str, message: Dict[str, Any]) -> None: ...


def split_text(text: str, limit: int) -> List[str]:
    """Pieces of at most `limit` characters, cut at line ends where possible."""
    pieces: List[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


async def send_through_outbox(
    services: Services,
    sender: Sender,
    channel: str,
    recipient: str,
    messages: List[Dict[str, Any]],
    key: str,
    handled: Optional[Tuple[str, str]] = None,
) -> None:
    """Send the assistant's replies to one message, losing none and sending none twice.

    The replies go to the outbox (under `key`, which names the message) and,
    with `handled` (its channel and id), the message is marked handled, in one
    transaction; only then are they sent. A reply the channel refuses or cannot
    take now stays in the outbox, where the delivery worker retries it; a crash
    before the transaction leaves the message unhandled, so the channel's
    redelivery is answered.
    """
    clock = services.clock

    def record(session: Session) -> List[int]:
        if handled is not None and not inbound.first_time(session, handled[0], handled[1], clock.utc()):
            return []  # a redelivery raced this one and recorded first: its replies go out
        return outbox.queue_assistant_replies(session, channel, recipient, key, messages, clock.utc())

    ids = await asyncio.to_thread(services.transaction, record)
    claimed = await asyncio.to_thread(services.transaction, lambda s: outbox.claim_ids(s, ids, clock.utc()))
    for row in claimed:
        await _send_one(services, sender, row)


async def _send_one(services: Services, sender: Sender, row: outbox.Claimed) -> Optional[str]:
    clock = services.clock
    try:
        await sender.send(row.recipient, row.payload["message"])
    except SendError as error:
        reason, retryable = str(error), error.retryable
        state = await asyncio.to_thread(
            services.transaction, lambda s: outbox.mark_failed(s, row.id, reason, clock.utc(), retryable)
        )
        logger.warning("reply %s to %s %s: %s (%s)", row.key, row.channel, row.recipient, reason, state)
        return state
    await asyncio.to_thread(services.transaction, lambda s: outbox.mark_sent(s, row.id, clock.utc()))
    return outbox.SENT
