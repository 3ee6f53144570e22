"""What the console reads of tickets: a ticket's page, the feed of new ones, an attachment.

Each read checks the viewer's scope here, so a page or feed cannot forget it; opening a
ticket (personal data in full) is recorded in the audit trail in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import canned_replies, enrolments, knowledge, privacy, ticket_unread, tickets, topics
from core.models import (
    Attachment,
    AuditEvent,
    CannedReply,
    FaqDraft,
    OutboxMessage,
    StaffUser,
    Ticket,
    TicketMessage,
)
from core.ticket_queue import in_scope
from core.workers import WorkerRef

FEED_BATCH = 50
# One "viewed personal data" entry per staff member and ticket within this span, not one per reload.
VIEW_AUDIT_SPAN = timedelta(hours=1)
VIEWED = "viewed_personal_data"
SUMMARY_CHARS = 80
# How many of the rider's other tickets the ticket page lists.
HISTORY_LIMIT = 20


class NotFound(LookupError):
    """No such ticket, delivery or attachment (or not one of this ticket's)."""


@dataclass(frozen=True)
class Line:
    """One line of a ticket's conversation, with its delivery state for staff replies."""

    message: TicketMessage
    author_name: str
    delivery: str


@dataclass(frozen=True)
class TicketPage:
    """Everything the ticket page shows."""

    ticket: Ticket
    lines: List[Line]
    audit: List[AuditEvent]
    outbox: List[OutboxMessage]
    labels: Dict[str, str]
    canned: List[CannedReply]
    overdue: bool
    attachments: List[int]
    # Rated 1 or 2 and not yet called back (回访).
    follow_up: bool
    # Who has it (claimed or assigned), and whom it may be given to (its district's staff).
    assignee: Optional[StaffUser]
    assignees: List[StaffUser]
    # The rider in view: their other tickets in the viewer's scope, and their sign-ups (names masked).
    history: List[EarlierTicket]
    signups: List[enrolments.Listed]
    # Since when the rider talks with the assistant again (None while staff own the conversation):
    # what they said after it lives in the tracker store, which the console reads from here on.
    handed_back_at: Optional[datetime]
    # 转为知识: the FAQ draft made from this ticket's staff answer, if any.
    faq_draft: Optional[FaqDraft]


@dataclass(frozen=True)
class EarlierTicket:
    """Another ticket of the same rider and its outcome: its text masked, as in the queue."""

    id: int
    number: str
    category: str
    state: str
    rating: Optional[int]
    created_at: datetime
    summary: str


@dataclass(frozen=True)
class FeedItem:
    """A new ticket as the queue's live feed announces it: personal data masked."""

    id: int
    number: str
    category: str
    district: str
    summary: str
    state: str


def ticket_in_scope(session: Session, ticket_id: Optional[int], viewer: StaffUser) -> Ticket:
    """The ticket, if it exists and the viewer may see it (TicketError if not theirs)."""
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is None:
        raise NotFound("no such ticket")
    tickets.check_scope(viewer, ticket)
    return ticket


def open_ticket(session: Session, ticket_id: Optional[int], viewer: StaffUser, now: datetime) -> TicketPage:
    """The ticket's page; records that the viewer saw its personal data (once an hour) and its messages."""
    ticket = ticket_in_scope(session, ticket_id, viewer)
    _record_view(session, ticket, tickets.staff_actor(viewer), now)
    ticket_unread.mark_seen(session, ticket)
    return page_of(session, ticket, viewer, now)


def page_of(session: Session, ticket: Ticket, viewer: StaffUser, now: datetime) -> TicketPage:
    """What the page shows of a ticket in the viewer's scope; also what a live page redraws when it changes."""
    deliveries = list(session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)))
    return TicketPage(
        ticket=ticket,
        lines=lines_after(session, ticket, 0),
        audit=list(
            session.scalars(select(AuditEvent).where(AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id))
        ),
        outbox=deliveries,
        labels=topics.labels(session),
        canned=canned_replies.for_category(session, ticket.category),
        overdue=tickets.is_overdue(ticket, now),
        attachments=list(session.scalars(select(Attachment.id).where(Attachment.ticket_id == ticket.id))),
        follow_up=tickets.needs_follow_up(ticket),
        assignee=session.get(StaffUser, ticket.claimed_by) if ticket.claimed_by is not None else None,
        assignees=tickets.assignable(session, ticket),
        history=rider_history(session, ticket, viewer),
        signups=enrolments.listing(session, WorkerRef(ticket.channel, ticket.sender_id)),
        handed_back_at=handed_back_at(session, ticket),
        faq_draft=knowledge.draft_of(session, ticket),
    )


# Audit entries after which the assistant answers the rider again.
HANDED_BACK = ("handoff_ended", "resolved")


def handed_back_at(session: Session, ticket: Ticket) -> Optional[datetime]:
    """When staff last let the conversation go; the ticket's opening if they never held it."""
    if ticket.handoff_active:
        return None
    ended = session.scalar(
        select(func.max(AuditEvent.at)).where(AuditEvent.ticket_id == ticket.id, AuditEvent.action.in_(HANDED_BACK))
    )
    return ended or ticket.created_at


def _delivery_states(session: Session, ticket: Ticket) -> Dict[int, str]:
    """Each staff reply's delivery state, by the reply's message id."""
    query = select(OutboxMessage.payload, OutboxMessage.state).where(OutboxMessage.ticket_id == ticket.id)
    rows = session.execute(query)
    return {json.loads(payload).get("message_id"): state for payload, state in rows}


def lines_after(session: Session, ticket: Ticket, after: int) -> List[Line]:
    """The ticket's conversation after message `after` (0: all of it), oldest first, a batch at a time."""
    messages = list(
        session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket.id, TicketMessage.id > after)
            .order_by(TicketMessage.id)
            .limit(None if after == 0 else FEED_BATCH)
        )
    )
    if not messages:
        return []
    staff_ids = {m.staff_id for m in messages if m.staff_id is not None}
    names = dict(session.execute(select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(staff_ids))).all())
    delivery_of = _delivery_states(session, ticket)
    return [Line(m, names.get(m.staff_id, ""), delivery_of.get(m.id, "")) for m in messages]


def status_mark(session: Session, ticket: Ticket, now: datetime) -> Tuple[Any, ...]:
    """Everything of a ticket that its open page shows beside the messages: when it differs, the page redraws that part.

    Cheap enough to read every second: the ticket's row, its newest audit entry and its deliveries' states.
    """
    last_audit = session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.ticket_id == ticket.id))
    return (
        ticket.state,
        ticket.claimed_by,
        ticket.district,
        ticket.rating,
        ticket.followed_up_at,
        ticket.reopened_count,
        ticket.handoff_active,
        tickets.is_overdue(ticket, now),
        last_audit,
        tuple(sorted(_delivery_states(session, ticket).items(), key=lambda item: item[0] or 0)),
    )


def rider_history(session: Session, ticket: Ticket, viewer: StaffUser) -> List[EarlierTicket]:
    """The rider's other tickets that the viewer may see, newest first: another district's never appear."""
    query = (
        in_scope(select(Ticket), viewer)
        .where(Ticket.channel == ticket.channel, Ticket.sender_id == ticket.sender_id, Ticket.id != ticket.id)
        .order_by(Ticket.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        EarlierTicket(
            t.id,
            t.number,
            t.category,
            t.state,
            t.rating,
            t.created_at,
            privacy.mask_text(t.description)[:SUMMARY_CHARS],
        )
        for t in session.scalars(query)
    ]


def _record_view(session: Session, ticket: Ticket, actor: str, now: datetime) -> None:
    """Audit a full view unless this actor's last one of this ticket is less than `VIEW_AUDIT_SPAN` old."""
    recent = session.scalars(
        select(AuditEvent.id)
        .where(
            AuditEvent.ticket_id == ticket.id,
            AuditEvent.actor == actor,
            AuditEvent.action == VIEWED,
            AuditEvent.at > now - VIEW_AUDIT_SPAN,
        )
        .limit(1)
    ).first()
    if recent is None:
        session.add(AuditEvent(at=now, actor=actor, action=VIEWED, ticket_id=ticket.id, detail=""))


def delivery_of_ticket(session: Session, ticket: Ticket, outbox_id: Optional[int]) -> OutboxMessage:
    """One of this ticket's deliveries, never another's."""
    row = session.get(OutboxMessage, outbox_id) if outbox_id is not None else None
    if row is None or row.ticket_id != ticket.id:
        raise NotFound("no such delivery")
    return row


def attachment_in_scope(session: Session, attachment_id: Optional[int], viewer: StaffUser) -> Attachment:
    """A ticket's photo, if the viewer may see the ticket (TicketError if not theirs)."""
    found = session.get(Attachment, attachment_id) if attachment_id is not None else None
    if found is None or found.ticket_id is None:
        raise NotFound("no such attachment")
    ticket_in_scope(session, found.ticket_id, viewer)
    return found


def newest_ticket_id(session: Session) -> int:
    """Where the live feed starts: tickets after this one are new to the page."""
    return session.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)) or 0


def tickets_after(session: Session, viewer: StaffUser, after: int) -> List[FeedItem]:
    """Tickets in the viewer's scope created after `after`, oldest first, a batch at a time."""
    labels = topics.labels(session)
    query = in_scope(select(Ticket), viewer).where(Ticket.id > after).order_by(Ticket.id).limit(FEED_BATCH)
    return [
        FeedItem(
            id=t.id,
            number=t.number,
            category=labels.get(t.category, t.category),
            district=t.district,
            summary=privacy.mask_text(t.description)[:SUMMARY_CHARS],
            state=t.state,
        )
        for t in session.scalars(query)
    ]
