"""The staff queue: tickets in scope, filtered, searched and paged in SQL, by their next deadline, masked.

A search (`Filters.q`) is split at spaces into terms that must all match:
- a ticket number (CZ-20261126-0001, any case, dashes optional) finds that ticket;
- four digits are the last four of a phone number the worker wrote (`TicketPhone`),
  compared without reading the text, so results stay masked;
- other digits (and dashes) are part of a ticket number: 20261126 finds that day's;
- anything else is a substring of the description or of a rider's or staff member's
  message: on PostgreSQL a LIKE over GIN trigram indexes (pg_trgm), on SQLite an
  FTS5 trigram table (migration 0012). Trigrams need three characters: a one- or
  two-character term is looked for among the newest `SHORT_TERM_WINDOW` tickets
  only (by id, so a range of the primary key), which the page says (`Page.bounded`).
  A term of digits alone is never searched as text, so the masked middle of a phone
  number cannot be probed by searching for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, column, table

from core import privacy, tickets
from core.models import StaffUser, Ticket, TicketMessage, TicketPhone
from core.ticket_unread import is_unread, unread_clause

PAGE_SIZE = 50
# A ticket whose next deadline is this near is highlighted and counted in the header.
DUE_SOON = timedelta(hours=1)
OPEN_RANK = 0
# The messages whose text a search reads: the rider's and staff replies (not notes or the bot's transcript).
SEARCHED_AUTHORS = ("worker", "staff")
TRIGRAM = 3
# How many of the newest tickets a one- or two-character term is looked for in.
SHORT_TERM_WINDOW = 5_000
# A search counts its tickets up to this many; beyond, the page says 「1,000 件以上」 and pages that far.
COUNT_CAP = 1_000
# A text term found in at most this many texts is a rare one: its tickets are looked up first.
RARE_TEXTS = 2_000
MAX_TERMS = 5
# The live queue marks its rows from this many unread tickets at most (its count stays exact).
LISTED_UNREAD = 500
_NUMBER = re.compile(r"CZ-?(\d{8})-?(\d{4,6})", re.IGNORECASE)
_PHONE_TAIL = re.compile(r"\d{4}")
_NUMBER_PART = re.compile(r"[\d-]+")
# SQLite's FTS5 trigram table of every searched text (migration 0012 keeps it by triggers).
_TICKET_TEXT = table("ticket_text", column("ticket_id"), column("body"))


@dataclass(frozen=True)
class Filters:
    district: Optional[str] = None
    category: Optional[str] = None
    state: Optional[str] = None
    overdue_only: bool = False
    # Closed tickets rated 1 or 2 that wait for a follow-up call (回访).
    follow_up_only: bool = False
    # Ticket number, phone tail or text; see the module's docstring.
    q: str = ""
    # Created at or after / before (UTC), for a range of days.
    created_from: Optional[datetime] = None
    created_before: Optional[datetime] = None
    # Claimed by or assigned to this staff member (「我的」).
    claimed_by: Optional[int] = None
    # Open and nobody's yet (「未分派」).
    unassigned: bool = False
    # No district yet: the city's 待分派 queue.
    awaiting_dispatch: bool = False
    # Open, and the next deadline within `DUE_SOON` (not past).
    due_soon_only: bool = False
    # Open, with a rider message no one on the staff has seen.
    unread_only: bool = False


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
    # Open and the next deadline within `DUE_SOON`.
    due_soon: bool
    summary: str
    channel: str
    sender: str
    handoff: bool
    follow_up: bool
    # How often the worker reopened it by writing after 办结.
    reopened: int
    # A rider message no one on the staff has seen yet.
    unread: bool


@dataclass(frozen=True)
class Page:
    """One page of the queue, and where it lies in the whole."""

    rows: List[QueueRow]
    total: int
    number: int
    size: int
    # A one- or two-character term was looked for among the newest SHORT_TERM_WINDOW tickets only.
    bounded: bool = False
    # A search found more than COUNT_CAP tickets; `total` is COUNT_CAP.
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def in_scope(query, viewer: StaffUser):
    """Limit a ticket query to what the viewer may see."""
    if not tickets.is_city_staff(viewer):
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


def _due_soon(query, now: datetime):
    soon = Ticket.next_deadline < now + DUE_SOON
    return query.where(Ticket.queue_rank == OPEN_RANK, Ticket.next_deadline >= now, soon)


@dataclass(frozen=True)
class DeadlineCounts:
    """The console header's reminder: due within `DUE_SOON` in the viewer's scope; overdue city-wide (city staff)."""

    due_soon: int
    overdue_in_city: Optional[int]


def deadline_counts(session: Session, viewer: StaffUser, now: datetime) -> DeadlineCounts:
    due = session.scalar(_due_soon(in_scope(select(func.count()).select_from(Ticket), viewer), now)) or 0
    if not tickets.is_city_staff(viewer):
        return DeadlineCounts(due, None)
    overdue = select(func.count()).select_from(Ticket).where(Ticket.queue_rank == OPEN_RANK, Ticket.next_deadline < now)
    return DeadlineCounts(due, session.scalar(overdue) or 0)


def _open_unread(query, viewer: StaffUser):
    return in_scope(query, viewer).where(unread_clause())


def unread_count(session: Session, viewer: StaffUser) -> int:
    """Open tickets in the viewer's scope with a rider message no one has seen: the queue's and tab's count."""
    return session.scalar(_open_unread(select(func.count()).select_from(Ticket), viewer)) or 0


def unread_ids(session: Session, viewer: StaffUser, limit: int = LISTED_UNREAD) -> List[int]:
    """Which open tickets those are, in queue order."""
    query = _open_unread(select(Ticket.id), viewer).order_by(Ticket.next_deadline, Ticket.id).limit(limit)
    return list(session.scalars(query))


def next_deadline(ticket: Ticket) -> datetime:
    return ticket.respond_by if ticket.answered_at is None else ticket.resolve_by


def page(
    session: Session, viewer: StaffUser, filters: Filters, now: datetime, number: int = 1, size: int = PAGE_SIZE
) -> Page:
    """Open tickets first, each group by its next deadline; every ticket in scope, a page at a time.

    Overdue means open and past the next deadline (an unanswered ticket's answer
    deadline always comes before its resolution's). A search counts its tickets
    up to `COUNT_CAP` only (`Page.capped` beyond), and looks up the tickets of
    its rarest term first when one has fewer than `RARE_TEXTS` texts; with only
    common terms it walks the queue in order and stops at the page's last row.
    """
    conditions = _filtered(viewer, filters, now)
    dialect = session.get_bind().dialect.name
    terms = search_terms(filters.q)
    bounded = any(_short_text(term) for term in terms)
    floor = 0
    if bounded:
        floor = (session.scalar(select(func.max(Ticket.id))) or 0) - SHORT_TERM_WINDOW
        conditions.append(Ticket.id > floor)
    conditions += [_matches(session, term, dialect, floor) for term in terms]
    counted = select(Ticket.id).where(*conditions)
    if terms:
        counted = counted.limit(COUNT_CAP + 1)
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    number = max(1, number)
    ordered = (
        select(Ticket)
        .where(*conditions)
        .order_by(Ticket.queue_rank, Ticket.next_deadline, Ticket.id)
        .limit(size)
        .offset((number - 1) * size)
    )
    rows = [_row(t, now) for t in session.scalars(ordered)]
    return Page(rows, min(total, COUNT_CAP) if terms else total, number, size, bounded, capped=total > COUNT_CAP)


def _filtered(viewer: StaffUser, filters: Filters, now: datetime) -> List[ColumnElement]:
    """The conditions of the viewer's scope and of every filter but the search."""
    conditions: List[ColumnElement] = []
    if not tickets.is_city_staff(viewer):
        conditions.append(Ticket.district == viewer.district)
    if filters.district:
        conditions.append(Ticket.district == filters.district)
    if filters.category:
        conditions.append(Ticket.category == filters.category)
    if filters.state:
        conditions.append(Ticket.state == filters.state)
    if filters.overdue_only:
        conditions += [Ticket.queue_rank == OPEN_RANK, Ticket.next_deadline < now]
    if filters.follow_up_only:
        conditions += [
            Ticket.state == tickets.CLOSED,
            Ticket.rating.in_(tickets.POOR_RATINGS),
            Ticket.followed_up_at.is_(None),
        ]
    if filters.created_from is not None:
        conditions.append(Ticket.created_at >= filters.created_from)
    if filters.created_before is not None:
        conditions.append(Ticket.created_at < filters.created_before)
    if filters.claimed_by is not None:
        conditions.append(Ticket.claimed_by == filters.claimed_by)
    if filters.unassigned:
        conditions += [Ticket.queue_rank == OPEN_RANK, Ticket.claimed_by.is_(None)]
    if filters.awaiting_dispatch:
        conditions.append(Ticket.district.is_(None))
    if filters.unread_only:
        conditions.append(unread_clause())
    if filters.due_soon_only:
        conditions += [
            Ticket.queue_rank == OPEN_RANK,
            Ticket.next_deadline >= now,
            Ticket.next_deadline < now + DUE_SOON,
        ]
    return conditions


def search_terms(q: str) -> List[str]:
    """The terms of a search box's text, at most `MAX_TERMS`."""
    return q.split()[:MAX_TERMS]


def _matches(session: Session, term: str, dialect: str, floor: int) -> ColumnElement:
    term = privacy.digit_view(term)  # full-width digits as ASCII
    number = _NUMBER.fullmatch(term)
    if number:
        return Ticket.number == f"{tickets.NUMBER_PREFIX}-{number.group(1)}-{number.group(2)}"
    if _PHONE_TAIL.fullmatch(term):
        return Ticket.id.in_(select(TicketPhone.ticket_id).where(TicketPhone.last4 == term))
    if _NUMBER_PART.fullmatch(term):
        return Ticket.number.like(f"%{term}%")
    if len(term) < TRIGRAM:
        return Ticket.id.in_(_ids(session, _short_text_hits(term, dialect, floor)))
    hits = _text_hits(term, dialect)
    texts = list(session.scalars(hits.limit(RARE_TEXTS + 1)))  # one row a text: a ticket may come twice
    if len(texts) <= RARE_TEXTS:  # every hit: the page reads these tickets by id
        return Ticket.id.in_(sorted(set(texts)))
    # Common: a check of each ticket along the queue order, which stops at the page's last row.
    if dialect == "postgresql":
        pattern = _like(term)
        messages = select(TicketMessage.ticket_id).where(
            TicketMessage.author.in_(SEARCHED_AUTHORS), TicketMessage.text.ilike(pattern, escape="\\")
        )
        return or_(Ticket.description.ilike(pattern, escape="\\"), Ticket.id.in_(messages))
    # `id + 0` keeps SQLite from reading every hit by id and sorting them; it builds their set once instead.
    return (Ticket.id + 0).in_(hits)


def _ids(session: Session, hits) -> List[int]:
    return sorted(set(session.scalars(hits)))


def _short_text(term: str) -> bool:
    return len(term) < TRIGRAM and not _NUMBER_PART.fullmatch(privacy.digit_view(term))


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_hits(term: str, dialect: str):
    """The ids of the tickets whose description or searched message holds `term` (any case), once per text."""
    searched = TicketMessage.author.in_(SEARCHED_AUTHORS)
    if dialect == "postgresql":
        pattern = _like(term)
        described = select(Ticket.id).where(Ticket.description.ilike(pattern, escape="\\"))
        messages = select(TicketMessage.ticket_id).where(searched, TicketMessage.text.ilike(pattern, escape="\\"))
        return union_all(described, messages)
    # A description's row is -(its ticket's id), a message's its own id (migration 0012):
    # the rowids alone answer, without reading the FTS table's stored columns.
    phrase = '"' + term.replace('"', '""') + '"'
    found = literal_column("ticket_text").op("MATCH")(phrase)
    rowid = literal_column("ticket_text.rowid")
    described = select(-rowid).select_from(_TICKET_TEXT).where(found, rowid < 0)
    message_ids = select(rowid).select_from(_TICKET_TEXT).where(found, rowid > 0)
    return union_all(described, select(TicketMessage.ticket_id).where(TicketMessage.id.in_(message_ids)))


def _short_text_hits(term: str, dialect: str, floor: int):
    """No index helps: a plain scan of the texts of tickets above `floor` (the newest ones)."""
    find = func.strpos if dialect == "postgresql" else func.instr
    term = term.lower()
    described = select(Ticket.id).where(Ticket.id > floor, find(func.lower(Ticket.description), term) > 0)
    messages = select(TicketMessage.ticket_id).where(
        TicketMessage.ticket_id > floor,
        TicketMessage.author.in_(SEARCHED_AUTHORS),
        find(func.lower(TicketMessage.text), term) > 0,
    )
    return union_all(described, messages)


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
        due_soon=ticket.state in tickets.OPEN_STATES and now <= next_deadline(ticket) < now + DUE_SOON,
        summary=privacy.mask_text(ticket.description)[:80],
        channel=ticket.channel,
        sender=privacy.mask_sender(ticket.sender_id),
        handoff=ticket.handoff_active,
        follow_up=tickets.needs_follow_up(ticket),
        reopened=ticket.reopened_count,
        unread=is_unread(ticket),
    )
