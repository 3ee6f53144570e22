"""Unread rider messages: which tickets have news for staff, and marking them seen.

One mark per ticket, not per staff member (as Chatwoot's `agent_last_seen_at`):
a rider's message is news until someone on the staff has seen it, on the
ticket's page or arriving live on it. A new ticket is unread until opened.
Only open tickets count; `Ticket.has_unread` keeps the rule on every write
(core/models/tickets.py) so that the live queue finds them by an index.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from core.models import Ticket, TicketMessage


def unread_clause() -> ColumnElement:
    """An open ticket with a rider message newer than the staff's mark."""
    return Ticket.has_unread.is_(True)


def is_unread(ticket: Ticket) -> bool:
    return bool(ticket.has_unread)


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
