"""Unread rider messages: which tickets have news for staff, and marking them seen.

One mark per ticket, not per staff member (as Chatwoot's `agent_last_seen_at`):
a rider's message is news until someone on the staff has seen it, on the
ticket's page or arriving live on it. A new ticket is unread until opened.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from core.models import Ticket, TicketMessage


def unread_clause() -> ColumnElement:
    """A ticket with a rider message newer than the staff's mark."""
    return and_(
        Ticket.last_worker_message_at.is_not(None),
        or_(Ticket.staff_seen_at.is_(None), Ticket.last_worker_message_at > Ticket.staff_seen_at),
    )


def is_unread(ticket: Ticket) -> bool:
    seen, last = ticket.staff_seen_at, ticket.last_worker_message_at
    return last is not None and (seen is None or last > seen)


def mark_seen(session: Session, ticket: Ticket, message_id: Optional[int] = None) -> None:
    """Staff have seen the conversation up to `message_id` (all of it when None); the mark never goes back.

    A page shows what it loaded, so it names its last message: a rider message
    written after the page read the thread stays unread.
    """
    if message_id is None:
        upto = ticket.last_worker_message_at
    else:
        upto = session.scalar(
            select(TicketMessage.created_at).where(TicketMessage.id == message_id, TicketMessage.ticket_id == ticket.id)
        )
    if upto is not None and (ticket.staff_seen_at is None or upto > ticket.staff_seen_at):
        ticket.staff_seen_at = upto
