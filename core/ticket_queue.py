"""The staff queue: tickets in scope, filtered and paged in SQL, by their next deadline, masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import privacy, tickets
from core.models import StaffUser, Ticket

PAGE_SIZE = 50
OPEN_RANK = 0


@dataclass(frozen=True)
class Filters:
    district: Optional[str] = None
    category: Optional[str] = None
    state: Optional[str] = None
    overdue_only: bool = False
    # Closed tickets rated 1 or 2 that wait for a follow-up call (回访).
    follow_up_only: bool = False


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
    follow_up: bool
    # How often the worker reopened it by writing after 办结.
    reopened: int


@dataclass(frozen=True)
class Page:
    """One page of the queue, and where it lies in the whole."""

    rows: List[QueueRow]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def in_scope(query, viewer: StaffUser):
    """Limit a ticket query to what the viewer may see."""
    if viewer.role != "admin":
        query = query.where(Ticket.district == viewer.district)
    return query


def _follow_up_due(query):
    return query.where(
        Ticket.state == tickets.CLOSED,
        Ticket.rating.in_(tickets.POOR_RATINGS),
        Ticket.followed_up_at.is_(None),
    )


def follow_ups_due(session: Session, viewer: StaffUser) -> int:
    """How many tickets in the viewer's scope wait for a 回访."""
    query = _follow_up_due(in_scope(select(func.count()).select_from(Ticket), viewer))
    return session.scalar(query) or 0


def next_deadline(ticket: Ticket) -> datetime:
    return ticket.respond_by if ticket.answered_at is None else ticket.resolve_by


def page(
    session: Session, viewer: StaffUser, filters: Filters, now: datetime, number: int = 1, size: int = PAGE_SIZE
) -> Page:
    """Open tickets first, each group by its next deadline; every ticket in scope, a page at a time.

    Overdue means open and past the next deadline (an unanswered ticket's answer
    deadline always comes before its resolution's).
    """
    query = in_scope(select(Ticket), viewer)
    if filters.district:
        query = query.where(Ticket.district == filters.district)
    if filters.category:
        query = query.where(Ticket.category == filters.category)
    if filters.state:
        query = query.where(Ticket.state == filters.state)
    if filters.overdue_only:
        query = query.where(Ticket.queue_rank == OPEN_RANK, Ticket.next_deadline < now)
    if filters.follow_up_only:
        query = _follow_up_due(query)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    number = max(1, number)
    ordered = query.order_by(Ticket.queue_rank, Ticket.next_deadline, Ticket.id).limit(size).offset((number - 1) * size)
    return Page([_row(t, now) for t in session.scalars(ordered)], total, number, size)


def _row(ticket: Ticket, now: datetime) -> QueueRow:
    return QueueRow(
        id=ticket.id,
        number=ticket.number,
        category=ticket.category,
        district=ticket.district,
        state=ticket.state,
        created_at=ticket.created_at,
        deadline=next_deadline(ticket),
        overdue=tickets.is_overdue(ticket, now),
        summary=privacy.mask_text(ticket.description)[:80],
        channel=ticket.channel,
        sender=privacy.mask_sender(ticket.sender_id),
        handoff=ticket.handoff_active,
        follow_up=tickets.needs_follow_up(ticket),
        reopened=ticket.reopened_count,
    )
