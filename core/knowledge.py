"""转为知识: the staff answer that closed a ticket becomes an FAQ draft linked to it.

Staff answer the same question again and again; the answer that resolved one
rider's ticket is the start of an FAQ entry that answers the next rider at once.
The draft answers no one until an admin edits and publishes it (core.review).
Personal data stays out: the rider's question and the answer are masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import privacy, tickets
from core.models import FaqDraft, StaffUser, Ticket, TicketMessage

DRAFTED = "knowledge_drafted"
# Only an answer that settled the matter is worth keeping.
SETTLED = (tickets.RESOLVED, tickets.CLOSED)
QUESTION_CHARS = 200


def draft_of(session: Session, ticket: Ticket) -> Optional[FaqDraft]:
    return session.scalars(select(FaqDraft).where(FaqDraft.ticket_id == ticket.id)).first()


def draft_from_ticket(session: Session, ticket: Ticket, staff: StaffUser, now: datetime) -> FaqDraft:
    """The ticket's FAQ draft, made once (a second click finds the first); TicketError if nothing settled it yet."""
    tickets.check_scope(staff, ticket)
    if ticket.state not in SETTLED:
        raise tickets.TicketError("knowledge_needs_resolved")
    existing = draft_of(session, ticket)
    if existing is not None:
        return existing
    answers = list(
        session.scalars(
            select(TicketMessage.text)
            .where(TicketMessage.ticket_id == ticket.id, TicketMessage.author == "staff")
            .order_by(TicketMessage.id)
        )
    )
    if not answers:
        raise tickets.TicketError("knowledge_needs_answer")
    draft = FaqDraft(
        question=privacy.mask_text(ticket.description)[:QUESTION_CHARS],
        answer=privacy.mask_text("\n\n".join(answers)),
        ticket_id=ticket.id,
        created_by=tickets.staff_actor(staff),
        created_at=now,
    )
    session.add(draft)
    session.flush()
    tickets.audit(session, tickets.staff_actor(staff), DRAFTED, ticket, str(draft.id), now)
    return draft
