"""The staff queue: tickets in scope, filtered, sorted by their next deadline, masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import privacy, tickets
from core.models import StaffUser, Ticket

LIST_LIMIT = 300


@dataclass(frozen=True)
class Filters:
    district: Optional[str] = None
    category: Optional[str] = None
    state: Optional[str] = None
    overdue_only: bool = False


@dataclass(frozen=True)
class QueueRow:
    """What a list shows of a ticket: personal data masked."""

    id: int
    number: str
    category: str
    district: str
    state: str
    created_at: datetime
    deadline: datetime
    overdue: bool
    summary: str
    channel: str
    sender: str
    handoff: bool


def in_scope(query, viewer: StaffUser):
    """Limit a ticket query to what the viewer may see."""
    if viewer.role != "admin":
        query = query.where(Ticket.district == viewer.district)
    return query


def next_deadline(ticket: Ticket) -> datetime:
    return ticket.respond_by if ticket.answered_at is None else ticket.resolve_by


def rows(session: Session, viewer: StaffUser, filters: Filters, now: datetime) -> List[QueueRow]:
    query = in_scope(select(Ticket), viewer)
    if filters.district:
        query = query.where(Ticket.district == filters.district)
    if filters.category:
        query = query.where(Ticket.category == filters.category)
    if filters.state:
        query = query.where(Ticket.state == filters.state)
    found = list(session.scalars(query.order_by(Ticket.id.desc()).limit(LIST_LIMIT)))
    result = [
        QueueRow(
            id=t.id,
            number=t.number,
            category=t.category,
            district=t.district,
            state=t.state,
            created_at=t.created_at,
            deadline=next_deadline(t),
            overdue=tickets.is_overdue(t, now),
            summary=privacy.mask_text(t.description)[:80],
            channel=t.channel,
            sender=privacy.mask_sender(t.sender_id),
            handoff=t.handoff_active,
        )
        for t in found
    ]
    if filters.overdue_only:
        result = [r for r in result if r.overdue]
    open_first = {s: i for i, s in enumerate((*tickets.OPEN_STATES, tickets.RESOLVED, tickets.CLOSED))}
    result.sort(key=lambda r: (open_first[r.state], r.deadline))
    return result
