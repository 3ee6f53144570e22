"""Tickets (接诉即办): creation, the state machine, replies through the outbox, ratings.

States: new → claimed → answered → resolved → closed, with reopen back to new
when the worker writes again within `REOPEN_WINDOW`. Every transition writes an
audit event. A ticket rated 1 or 2 waits for a follow-up call (回访) until staff
record it. A staff reply, the ticket change and the outbox row that carries
the reply to the worker are written by one caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from core import deadlines as deadline_rules
from core import gazetteer, safe_text, topics
from core.legal import LEGAL_INTENTS
from core.models import (
    Attachment,
    AuditEvent,
    OutboxMessage,
    StaffUser,
    Ticket,
    TicketCounter,
    TicketMessage,
)
from core.workers import WorkerRef

# Intents that are requests to staff by themselves.
TICKET_INTENTS = ("report_issue", "make_suggestion", "request_human")
# Intents whose answers may end in a ticket of their own category ("lookup could not help").
ESCALATED_LOOKUPS = (*LEGAL_INTENTS, "find_station", "childcare", "skills_training", "community_pass", "faq")
# Every category a ticket can have; other intents (greet, affirm…) never are one.
CATEGORIES = (*TICKET_INTENTS, *ESCALATED_LOOKUPS)
NEW, CLAIMED, ANSWERED, RESOLVED, CLOSED = "new", "claimed", "answered", "resolved", "closed"
OPEN_STATES = (NEW, CLAIMED, ANSWERED)
TRANSITIONS = {
    NEW: {CLAIMED, ANSWERED, RESOLVED},
    CLAIMED: {NEW, ANSWERED, RESOLVED},
    ANSWERED: {NEW, CLAIMED, ANSWERED, RESOLVED},
    RESOLVED: {NEW, CLOSED},
    CLOSED: {NEW},
}
REOPEN_WINDOW = timedelta(days=7)
# What a photo sent without a caption stands for in the conversation.
PHOTO_PLACEHOLDER = "[照片]"
NUMBER_PREFIX = "CZ"
# A staff reply or note: a long answer with a procedure is a few thousand characters.
STAFF_TEXT_LIMIT = 10_000
# Kinds of request whose conversation staff do not take over (a report, a suggestion).
NO_HANDOFF_CATEGORIES = ("report_issue", "make_suggestion")
# Ratings that call for a follow-up call (回访).
POOR_RATINGS = (1, 2)


class TicketError(Exception):
    """A change the ticket's state or the actor's scope does not allow.

    `code` names the reason (the console words it in Chinese, see its
    templates' labels); `params` fill in the wording.
    """

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code if not params else f"{code} {params}")
        self.code = code
        self.params = params


@dataclass(frozen=True)
class NewRequest:
    """What the assistant collected before handing over."""

    worker: WorkerRef
    intent: str
    description: str
    district: Optional[str] = None
    place_text: str = ""
    lat: Optional[float] = None
    lon: Optional[float] = None
    handoff: bool = False
    transcript: Sequence[str] = ()
    attachment_ids: Sequence[int] = ()


def audit(session: Session, actor: str, action: str, ticket: Optional[Ticket], detail: str, now: datetime) -> None:
    """One entry of the trail staff see on the ticket page (and admins in the audit)."""
    session.add(AuditEvent(at=now, actor=actor, action=action, ticket_id=ticket.id if ticket else None, detail=detail))


def staff_actor(staff: StaffUser) -> str:
    return f"staff:{staff.username}"


def _move(session: Session, ticket: Ticket, to: str, actor: str, action: str, now: datetime, detail: str = "") -> None:
    if to not in TRANSITIONS[ticket.state]:
        raise TicketError("invalid_transition", action=action, state=ticket.state)
    audit(session, actor, action, ticket, f"{ticket.state}→{to}" + (f" {detail}" if detail else ""), now)
    ticket.state = to


def next_number(session: Session, day: date) -> str:
    """CZ-20261126-0001: the day's counter, incremented under the transaction's lock.

    The day's row is inserted if missing (INSERT … ON CONFLICT DO NOTHING): the first two
    tickets of a day, opened at once on PostgreSQL, each found no row to lock and both
    inserted one, and one of them failed on the primary key.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(TicketCounter).values(day=day, last=0).on_conflict_do_nothing(index_elements=["day"]))
    counter = session.scalars(select(TicketCounter).where(TicketCounter.day == day).with_for_update()).one()
    counter.last += 1
    session.flush()
    return f"{NUMBER_PREFIX}-{day:%Y%m%d}-{counter.last:04d}"


def district_of(session: Session, request: NewRequest) -> Optional[str]:
    """The district a request belongs to: the one the rider gave, else the one its place or
    shared location lies in; None when nothing says (the city's staff dispatch it)."""
    if request.district:
        return request.district
    named = gazetteer.district_named(session, request.place_text) if request.place_text else None
    if named:
        return named
    if request.lat is not None and request.lon is not None:
        return gazetteer.district_at(session, request.lat, request.lon)
    return None


def open_ticket(
    session: Session, request: NewRequest, now: datetime, local_today: date, rules: deadline_rules.Deadlines
) -> Ticket:
    """Add to the worker's open ticket of this kind, reopen a recent one, or create one."""
    ticket = _recent_of_kind(session, request.worker, request.intent, now)
    actor = "worker"
    if ticket is not None:
        if ticket.state in (RESOLVED, CLOSED):
            reopen(session, ticket, now, rules)
        ticket.handoff_active = ticket.handoff_active or request.handoff
        add_worker_message(session, ticket, request.description, now)
    else:
        sla = topics.ticket_category(session, request.intent)
        respond, resolve = rules.get(sla, rules["ordinary"])
        ticket = Ticket(
            number=next_number(session, local_today),
            category=request.intent,
            sla_class=sla,
            district=district_of(session, request),  # None: the city's 待分派 queue, until dispatched
            channel=request.worker.channel,
            sender_id=request.worker.sender_id,
            state=NEW,
            description=request.description,
            place_text=request.place_text,
            lat=request.lat,
            lon=request.lon,
            handoff_active=request.handoff,
            created_at=now,
            respond_by=now + respond,
            resolve_by=now + resolve,
            last_worker_message_at=now,
        )
        session.add(ticket)
        session.flush()
        audit(session, actor, "created", ticket, f"{sla} {request.intent}", now)
        if request.transcript:
            session.add(
                TicketMessage(
                    ticket_id=ticket.id, author="transcript", text="\n".join(request.transcript), created_at=now
                )
            )
        session.add(TicketMessage(ticket_id=ticket.id, author="worker", text=request.description, created_at=now))
    for attachment_id in request.attachment_ids:
        attach(session, ticket, attachment_id, now)
    session.flush()
    return ticket


def _recent_of_kind(session: Session, worker: WorkerRef, intent: str, now: datetime) -> Optional[Ticket]:
    candidates = session.scalars(
        select(Ticket)
        .where(Ticket.channel == worker.channel, Ticket.sender_id == worker.sender_id, Ticket.category == intent)
        .order_by(Ticket.id.desc())
        .limit(1)
    ).all()
    for ticket in candidates:
        if ticket.state in OPEN_STATES:
            return ticket
        ended = ticket.resolved_at or ticket.closed_at
        if ended is not None and now - ended <= REOPEN_WINDOW:
            return ticket
    return None


def reopen(session: Session, ticket: Ticket, now: datetime, rules: deadline_rules.Deadlines) -> None:
    """Back to new with fresh deadlines from now: staff owe a new answer, and a new rating follows."""
    respond, resolve = rules.get(ticket.sla_class, rules["ordinary"])
    _move(session, ticket, NEW, "worker", "reopened", now)
    ticket.reopened_count += 1
    ticket.respond_by, ticket.resolve_by = now + respond, now + resolve
    ticket.answered_at = ticket.resolved_at = ticket.closed_at = None
    ticket.rating = ticket.rated_at = ticket.followed_up_at = None
    ticket.claimed_by = None


def _resolved_unrated(worker: WorkerRef) -> Select:
    """The worker's tickets resolved by staff and not rated yet."""
    return select(Ticket).where(
        Ticket.channel == worker.channel,
        Ticket.sender_id == worker.sender_id,
        Ticket.state == RESOLVED,
        Ticket.rating.is_(None),
    )


def awaiting_rating(session: Session, worker: WorkerRef, now: datetime) -> Optional[Ticket]:
    """The worker's latest ticket resolved within `REOPEN_WINDOW` and not rated yet."""
    return session.scalars(
        _resolved_unrated(worker)
        .where(Ticket.resolved_at >= now - REOPEN_WINDOW)
        .order_by(Ticket.resolved_at.desc(), Ticket.id.desc())
    ).first()


def reopen_with_message(
    session: Session,
    worker: WorkerRef,
    text: str,
    now: datetime,
    rules: deadline_rules.Deadlines,
    attachment_id: Optional[int] = None,
) -> Optional[Ticket]:
    """A worker wrote after 办结 instead of rating: the message joins the ticket, which reopens.

    Staff own the conversation again unless the ticket is a report or a
    suggestion. None when no ticket of the worker's awaits a rating.
    """
    ticket = awaiting_rating(session, worker, now)
    if ticket is None:
        return None
    reopen(session, ticket, now, rules)
    ticket.handoff_active = ticket.category not in NO_HANDOFF_CATEGORIES
    add_worker_message(session, ticket, text, now)
    if attachment_id is not None:
        attach(session, ticket, attachment_id, now)
    return ticket


def add_worker_message(
    session: Session, ticket: Ticket, text: str, now: datetime, attachment_id: Optional[int] = None
) -> TicketMessage:
    message = TicketMessage(
        ticket_id=ticket.id, author="worker", text=text, attachment_id=attachment_id, created_at=now
    )
    session.add(message)
    ticket.last_worker_message_at = now
    session.flush()
    return message


def forward_to_staff(
    session: Session,
    worker: WorkerRef,
    text: str,
    attachment_id: Optional[int],
    now: datetime,
    quiet: timedelta,
) -> Optional[bool]:
    """Add a message to the ticket whose conversation staff own.

    None when staff no longer own it (the hand-off ended while the message was
    on its way); otherwise whether to tell the worker it arrived: yes for the
    first message after `quiet` without one, so a worker who comes back later
    knows it was not lost, and no for the messages that follow it.
    """
    ticket = handoff_ticket(session, worker)
    if ticket is None:
        return None
    previous = ticket.last_worker_message_at
    add_worker_message(session, ticket, text, now)
    if attachment_id is not None:
        attach(session, ticket, attachment_id, now)
    return previous is None or now - previous >= quiet


def attach(session: Session, ticket: Ticket, attachment_id: int, now: datetime) -> None:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or (attachment.channel, attachment.sender_id) != (ticket.channel, ticket.sender_id):
        return
    attachment.ticket_id = ticket.id
    add_worker_message(session, ticket, "", now, attachment_id=attachment.id)


def store_attachment(
    session: Session,
    worker: WorkerRef,
    content_type: str,
    data: bytes,
    filename: str,
    now: datetime,
    daily_cap: Optional[int] = None,
) -> Optional[Attachment]:
    """Keep a photo for a report; None when the sender's photos of the last day would pass `daily_cap` bytes."""
    if (
        daily_cap is not None
        and attachment_bytes_since(session, worker, now - timedelta(days=1)) + len(data) > daily_cap
    ):
        return None
    attachment = Attachment(
        channel=worker.channel,
        sender_id=worker.sender_id,
        content_type=content_type,
        filename=filename,
        data=data,
        created_at=now,
    )
    session.add(attachment)
    session.flush()
    return attachment


def attachment_bytes_since(session: Session, worker: WorkerRef, since: datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(func.length(Attachment.data)), 0)).where(
            Attachment.channel == worker.channel,
            Attachment.sender_id == worker.sender_id,
            Attachment.created_at >= since,
        )
    )
    return int(total or 0)


def delete_orphan_attachments(session: Session, before: datetime) -> int:
    """Photos never attached to a ticket (the report was abandoned) and older than `before`: gone."""
    result = session.execute(delete(Attachment).where(Attachment.ticket_id.is_(None), Attachment.created_at < before))
    return result.rowcount or 0


def handoff_ticket(session: Session, worker: WorkerRef) -> Optional[Ticket]:
    """The worker's ticket whose conversation staff currently own."""
    return session.scalars(
        select(Ticket)
        .where(
            Ticket.channel == worker.channel,
            Ticket.sender_id == worker.sender_id,
            Ticket.handoff_active.is_(True),
            Ticket.state.in_(OPEN_STATES),
        )
        .order_by(Ticket.id.desc())
    ).first()


def end_handoff(session: Session, ticket: Ticket, actor: str, now: datetime) -> None:
    if ticket.handoff_active:
        ticket.handoff_active = False
        audit(session, actor, "handoff_ended", ticket, "", now)


def of_worker(session: Session, worker: WorkerRef, limit: int = 5) -> List[Ticket]:
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.channel == worker.channel, Ticket.sender_id == worker.sender_id)
            .order_by(Ticket.id.desc())
            .limit(limit)
        )
    )


def by_number_for_worker(session: Session, number: str, worker: WorkerRef) -> Optional[Ticket]:
    """The ticket with this number, only if this worker owns it."""
    ticket = session.scalars(select(Ticket).where(Ticket.number == number.strip().upper())).one_or_none()
    if ticket is None or (ticket.channel, ticket.sender_id) != (worker.channel, worker.sender_id):
        return None
    return ticket


def queue_for_worker(
    session: Session, ticket: Ticket, key: str, payload: Dict[str, Any], now: datetime
) -> OutboxMessage:
    """An outbox row to the ticket's worker; a second call with the same key returns the first."""
    existing = session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one_or_none()
    if existing is not None:
        return existing
    row = OutboxMessage(
        key=key,
        ticket_id=ticket.id,
        channel=ticket.channel,
        recipient=ticket.sender_id,
        payload=json.dumps(payload, ensure_ascii=False),
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    return row


def is_city_staff(staff: StaffUser) -> bool:
    """Admins and staff without a district: they see every ticket and dispatch those without one."""
    return staff.role == "admin" or not staff.district


def check_scope(staff: StaffUser, ticket: Ticket) -> None:
    """Staff act only on their district's tickets (never on one awaiting dispatch); city staff on all."""
    if not is_city_staff(staff) and ticket.district != staff.district:
        raise TicketError("outside_district")


def assignable(session: Session, ticket: Ticket) -> List[StaffUser]:
    """Who may be given the ticket: the active staff of its district (none while it awaits dispatch)."""
    if ticket.district is None:
        return []
    query = select(StaffUser).where(StaffUser.district == ticket.district, StaffUser.active.is_(True))
    return list(session.scalars(query.order_by(StaffUser.id)))


def assign(session: Session, ticket: Ticket, staff: StaffUser, assignee: StaffUser, now: datetime) -> None:
    """Give an open ticket to a member of its district, or take it oneself; a new ticket becomes claimed.

    Audited as 'assigned' (nobody had it) or 'reassigned', with the names before and after.
    """
    check_scope(staff, ticket)
    if ticket.state not in OPEN_STATES:
        raise TicketError("invalid_transition", action="assigned", state=ticket.state)
    if ticket.district is None:
        raise TicketError("awaiting_dispatch")
    if assignee.id != staff.id and assignee not in assignable(session, ticket):
        raise TicketError("not_assignable")
    if ticket.claimed_by == assignee.id:
        raise TicketError("already_assigned")
    previous = session.get(StaffUser, ticket.claimed_by) if ticket.claimed_by is not None else None
    action = "reassigned" if previous is not None else "assigned"
    names = f"{_name(previous)}→{_name(assignee)}"
    audit(session, staff_actor(staff), action, ticket, names, now)
    if ticket.state == NEW:
        ticket.state = CLAIMED
    ticket.claimed_by = assignee.id


def _name(member: Optional[StaffUser]) -> str:
    """A member's name for an audit detail (spaces would split it there); empty for nobody."""
    return "".join(member.display_name.split()) if member is not None else ""


def claim(session: Session, ticket: Ticket, staff: StaffUser, now: datetime) -> None:
    check_scope(staff, ticket)
    _move(session, ticket, CLAIMED, staff_actor(staff), "claimed", now)
    ticket.claimed_by = staff.id


def reply(
    session: Session, ticket: Ticket, staff: StaffUser, text: str, now: datetime, request_key: str
) -> TicketMessage:
    """Staff answer: message, state and outbox row together. `request_key` makes a resubmitted form harmless."""
    check_scope(staff, ticket)
    text = safe_text.clean(text, STAFF_TEXT_LIMIT).strip()
    if not text:
        raise TicketError("empty_reply")
    key = f"reply:{ticket.id}:{request_key}"
    if session.scalars(select(OutboxMessage.id).where(OutboxMessage.key == key)).first() is not None:
        raise TicketError("reply_already_sent")
    _move(session, ticket, ANSWERED, staff_actor(staff), "answered", now)
    ticket.claimed_by = ticket.claimed_by or staff.id
    ticket.answered_at = ticket.answered_at or now
    message = TicketMessage(ticket_id=ticket.id, author="staff", staff_id=staff.id, text=text, created_at=now)
    session.add(message)
    session.flush()
    queue_for_worker(
        session,
        ticket,
        key,
        {"kind": "staff_reply", "text": text, "staff": staff.display_name, "message_id": message.id},
        now,
    )
    return message


def note(session: Session, ticket: Ticket, staff: StaffUser, text: str, now: datetime) -> TicketMessage:
    """An internal note: staff see it, the worker never does."""
    check_scope(staff, ticket)
    text = safe_text.clean(text, STAFF_TEXT_LIMIT).strip()
    message = TicketMessage(ticket_id=ticket.id, author="note", staff_id=staff.id, text=text, created_at=now)
    session.add(message)
    audit(session, staff_actor(staff), "noted", ticket, "", now)
    session.flush()
    return message


def transfer(session: Session, ticket: Ticket, staff: StaffUser, district: str, now: datetime) -> None:
    """To another district; from the 待分派 queue (no district) this is dispatching it, city staff only."""
    check_scope(staff, ticket)
    if district == ticket.district:
        raise TicketError("same_district")
    previous = ticket.district or ""
    action = "dispatched" if ticket.district is None else "transferred"
    if ticket.state != NEW:
        _move(session, ticket, NEW, staff_actor(staff), action, now, f"{previous}→{district}")
    else:
        audit(session, staff_actor(staff), action, ticket, f"{previous}→{district}", now)
    ticket.district = district
    ticket.claimed_by = None


def resolve(session: Session, ticket: Ticket, staff: StaffUser, now: datetime) -> None:
    """Mark resolved, hand the conversation back to the assistant and ask for a rating."""
    check_scope(staff, ticket)
    _move(session, ticket, RESOLVED, staff_actor(staff), "resolved", now)
    ticket.resolved_at = now
    ticket.handoff_active = False
    queue_for_worker(
        session,
        ticket,
        f"rating:{ticket.id}:{ticket.reopened_count}",
        {
            "kind": "rating_request",
            "response": "utter_ask_rating",
            "vars": {"number": ticket.number},
            "end_handoff": True,
        },
        now,
    )


def rate(session: Session, worker: WorkerRef, rating: int, now: datetime) -> Optional[Ticket]:
    """Store the worker's 1–5 rating on their latest resolved, unrated ticket; it closes."""
    if not 1 <= rating <= 5:
        raise TicketError("rating_out_of_range")
    ticket = session.scalars(_resolved_unrated(worker).order_by(Ticket.resolved_at.desc())).first()
    if ticket is None:
        return None
    ticket.rating, ticket.rated_at = rating, now
    _move(session, ticket, CLOSED, "worker", "rated", now, str(rating))
    ticket.closed_at = now
    return ticket


def needs_follow_up(ticket: Ticket) -> bool:
    """Rated 1 or 2 and nobody has called the worker back yet."""
    return ticket.state == CLOSED and ticket.rating in POOR_RATINGS and ticket.followed_up_at is None


def record_follow_up(session: Session, ticket: Ticket, staff: StaffUser, text: str, now: datetime) -> None:
    """Staff called the worker back about a poor rating: noted, audited, no longer due."""
    check_scope(staff, ticket)
    if not needs_follow_up(ticket):
        raise TicketError("no_follow_up_due")
    text = safe_text.clean(text, STAFF_TEXT_LIMIT).strip()
    if not text:
        raise TicketError("empty_follow_up")
    ticket.followed_up_at = now
    session.add(TicketMessage(ticket_id=ticket.id, author="note", staff_id=staff.id, text=text, created_at=now))
    audit(session, staff_actor(staff), "followed_up", ticket, f"{ticket.rating}", now)
    session.flush()


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """Past its answer deadline without an answer, or past its resolve deadline while open."""
    if ticket.state in OPEN_STATES and ticket.answered_at is None and now > ticket.respond_by:
        return True
    return ticket.state in OPEN_STATES and now > ticket.resolve_by
