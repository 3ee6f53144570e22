"""Requests handed to staff (接诉即办), their messages, attachments, audit trail and outbox."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
    false,
    insert,
    select,
)

from core import privacy
from core.models.base import Base, utcnow


class Ticket(Base):
    """One request from one worker, tracked from new to closed against its deadlines."""

    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)
    category = Column(String(40), nullable=False)
    sla_class = Column(String(10), nullable=False)
    # None: the rider named no district; the ticket waits in the city's 待分派 queue.
    district = Column(String(20), nullable=True)
    channel = Column(String(20), nullable=False)
    sender_id = Column(String(100), nullable=False)
    state = Column(String(10), nullable=False, default="new")
    description = Column(Text, nullable=False)
    place_text = Column(String(200), nullable=False, default="")
    lat = Column(Float, nullable=True)
    lon = Column(Float, nullable=True)
    handoff_active = Column(Boolean, nullable=False, default=False)
    claimed_by = Column(ForeignKey("staff_users.id"), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    respond_by = Column(DateTime, nullable=False)
    resolve_by = Column(DateTime, nullable=False)
    answered_at = Column(DateTime, nullable=True)
    resolved_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)
    last_worker_message_at = Column(DateTime, nullable=True)
    # Staff have seen the conversation up to here: a rider message after it is unread.
    staff_seen_at = Column(DateTime, nullable=True)
    # Open with a rider message after `staff_seen_at`, kept by `_queue_keys`: the live queue
    # counts these every second, by an index, rather than comparing two columns of every open ticket.
    has_unread = Column(Boolean, nullable=False, default=False)
    reopened_count = Column(Integer, nullable=False, default=0)
    rating = Column(Integer, nullable=True)
    rated_at = Column(DateTime, nullable=True)
    # 回访: when staff recorded the follow-up call a rating of 1 or 2 asks for.
    followed_up_at = Column(DateTime, nullable=True)
    # The staff queue's order, kept by `_queue_keys` on every write: open tickets first, then
    # by the deadline that comes next (the answer's until answered, then the resolution's).
    queue_rank = Column(Integer, nullable=False, default=0)
    next_deadline = Column(DateTime, nullable=False)

    __table_args__ = (
        Index("ix_tickets_queue", "queue_rank", "next_deadline", "id"),
        Index("ix_tickets_district_queue", "district", "queue_rank", "next_deadline", "id"),
        Index("ix_tickets_worker", "channel", "sender_id"),
        Index("ix_tickets_state_respond_by", "state", "respond_by"),
        Index("ix_tickets_district_state", "district", "state"),
        Index("ix_tickets_unread", "has_unread", "district", "next_deadline", "id"),
    )


# Queue rank by state: what staff still have to do first.
QUEUE_RANKS = {"new": 0, "claimed": 0, "answered": 0, "resolved": 1, "closed": 2}


@event.listens_for(Ticket, "before_insert")
@event.listens_for(Ticket, "before_update")
def _queue_keys(_mapper: Any, _connection: Any, ticket: Ticket) -> None:
    ticket.queue_rank = QUEUE_RANKS.get(ticket.state or "new", 0)
    ticket.next_deadline = ticket.respond_by if ticket.answered_at is None else ticket.resolve_by
    last, seen = ticket.last_worker_message_at, ticket.staff_seen_at
    ticket.has_unread = ticket.queue_rank == 0 and last is not None and (seen is None or last > seen)


class TicketMessage(Base):
    """A line of the ticket's conversation: the worker, staff, the system, or an internal note."""

    __tablename__ = "ticket_messages"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    author = Column(String(10), nullable=False)
    staff_id = Column(ForeignKey("staff_users.id"), nullable=True)
    text = Column(Text, nullable=False, default="")
    attachment_id = Column(ForeignKey("attachments.id"), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class TicketPhone(Base):
    """The last four digits of a phone number the worker wrote in a ticket, for staff search.

    Written with the description and each worker message (`_phone_tails`); a search
    compares these, so the number itself is never read to find a ticket.
    """

    __tablename__ = "ticket_phones"

    last4 = Column(String(4), primary_key=True)
    ticket_id = Column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)


# Authors whose messages may carry the worker's own phone number (not staff: their hotlines).
PHONE_AUTHORS = ("worker", "transcript")


def _store_phone_tails(connection: Any, ticket_id: int, text: Optional[str]) -> None:
    tails = privacy.phone_tails(text)
    if not tails:
        return
    known = set(connection.scalars(select(TicketPhone.last4).where(TicketPhone.ticket_id == ticket_id)))
    rows = [{"last4": tail, "ticket_id": ticket_id} for tail in sorted(tails - known)]
    if rows:
        connection.execute(insert(TicketPhone), rows)


@event.listens_for(Ticket, "after_insert")
def _ticket_phone_tails(_mapper: Any, connection: Any, ticket: Ticket) -> None:
    _store_phone_tails(connection, ticket.id, ticket.description)


@event.listens_for(TicketMessage, "after_insert")
def _message_phone_tails(_mapper: Any, connection: Any, message: TicketMessage) -> None:
    if message.author in PHONE_AUTHORS:
        _store_phone_tails(connection, message.ticket_id, message.text)


class Attachment(Base):
    """A photo sent with a report; kept in the database so a backup holds everything."""

    __tablename__ = "attachments"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True, index=True)
    channel = Column(String(20), nullable=False)
    sender_id = Column(String(100), nullable=False)
    content_type = Column(String(40), nullable=False)
    filename = Column(String(100), nullable=False, default="")
    data = Column(LargeBinary, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class AuditEvent(Base):
    """Who did what, when: every ticket transition and every full view of personal data."""

    __tablename__ = "audit_events"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(60), nullable=False)
    action = Column(String(30), nullable=False)
    ticket_id = Column(ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True, index=True)
    detail = Column(Text, nullable=False, default="")


class OutboxMessage(Base):
    """A message to a worker, written in the same transaction as the change that causes it.

    The delivery worker sends pending rows through the worker's channel and marks
    them sent; `key` is unique, so the same reply is never queued twice.
    """

    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True)
    key = Column(String(80), nullable=False, unique=True)
    ticket_id = Column(ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True, index=True)
    channel = Column(String(20), nullable=False)
    recipient = Column(String(100), nullable=False)
    payload = Column(Text, nullable=False)
    state = Column(String(10), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    last_error = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime, nullable=True)
    recorded_at = Column(DateTime, nullable=True)

    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)


class TicketCounter(Base):
    """The last ticket number given out on a day (numbers restart daily)."""

    __tablename__ = "ticket_counters"

    day = Column(Date, primary_key=True)
    last = Column(Integer, nullable=False, default=0)


class StaffUser(Base):
    """A staff member or admin of the console; staff see only their district."""

    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(40), nullable=False, unique=True)
    display_name = Column(String(40), nullable=False)
    password_hash = Column(String(200), nullable=False)
    role = Column(String(10), nullable=False)
    district = Column(String(20), nullable=True)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # Raised whenever the account's sessions must end (disabled, password set): a session
    # opened under an older epoch is dead, even one a racing login wrote a moment later.
    session_epoch = Column(Integer, nullable=False, default=0, server_default="0")
    # Set when an admin resets the password: until the member sets one of their own, the
    # console shows them nothing but the password page.
    must_change_password = Column(Boolean, nullable=False, default=False, server_default=false())
    last_login_at = Column(DateTime, nullable=True)


class StaffSession(Base):
    """A server-side console session; the cookie holds only a random token."""

    __tablename__ = "staff_sessions"

    token_hash = Column(String(64), primary_key=True)
    user_id = Column(ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    epoch = Column(Integer, nullable=False, default=0, server_default="0")  # the user's session_epoch when opened


class LoginFailures(Base):
    """Recent failed console logins of one account (`account:NAME`) or one address (`address:IP`).

    In the database so that every web worker counts the same failures; the row is
    locked for the length of a login attempt, so parallel guesses wait their turn.
    """

    __tablename__ = "login_failures"

    key = Column(String(120), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    last_failure_at = Column(DateTime, nullable=False, index=True)
    blocked_until = Column(DateTime, nullable=True)


class CannedReply(Base):
    """A reply staff insert with one click."""

    __tablename__ = "canned_replies"

    id = Column(Integer, primary_key=True)
    # The ticket category it answers (an intent such as legal_wage_arrears); none: every ticket.
    category = Column(String(40), nullable=True)
    title = Column(String(40), nullable=False)
    text = Column(Text, nullable=False)


class QueuedReply(Base):
    """A message waiting in a web-chat or REST conversation's queue, read live by the page.

    Written in the same transaction that marks its outbox row sent, with the
    outbox key as its own unique key: a reply lands in the queue exactly once.
    """

    __tablename__ = "reply_queue"

    id = Column(Integer, primary_key=True)
    key = Column(String(80), nullable=False, unique=True)
    channel = Column(String(20), nullable=False)
    recipient = Column(String(100), nullable=False)
    payload = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_reply_queue_conversation", "channel", "recipient", "id"),)


class InboundMessage(Base):
    """A message id a channel delivered, so a redelivered or replayed one is handled once."""

    __tablename__ = "inbound_messages"

    channel = Column(String(20), primary_key=True)
    external_id = Column(String(100), primary_key=True)
    received_at = Column(DateTime, nullable=False, default=utcnow, index=True)
