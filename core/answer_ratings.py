"""Riders' 👍/👎 on the assistant's answers.

When a channel shows an answer with rating buttons it keeps the answer, the
rider's (masked) question and what produced it: the domain response and, for
an FAQ answer, the entry's id. A rating names that row, and counts only from
the conversation the answer went to, so a guessed id rates nothing. A 👎 puts
the question into the review inbox beside the answer that was rated; changing
it to 👍 takes it out again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import privacy, review, workers
from core.models import InboxMessage, RatedAnswer

UP, DOWN = 1, -1
ANSWER_CHARS = 2000


def offer(
    session: Session,
    worker: workers.WorkerRef,
    question: str,
    answer: str,
    response: Optional[str],
    faq_id: Optional[int],
    now: datetime,
) -> int:
    """Keep an answer the rider may rate; returns the id its rating buttons carry."""
    asked = "" if question.lstrip().startswith("/") else privacy.mask_text(question.strip())[: review.TEXT_CHARS]
    row = RatedAnswer(
        channel=worker.channel,
        sender_id=worker.sender_id,
        question=asked,
        answer=answer[:ANSWER_CHARS],
        response=(response or None) and response[:80],
        faq_id=faq_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def rate(session: Session, answer_id: int, worker: workers.WorkerRef, rating: int, now: datetime) -> bool:
    """Store a rider's 👍 (1) or 👎 (-1); False when the answer is not one this rider was given."""
    if rating not in (UP, DOWN):
        raise ValueError("a rating is 1 or -1")
    row = session.get(RatedAnswer, answer_id)
    if row is None or (row.channel, row.sender_id) != (worker.channel, worker.sender_id):
        return False
    row.rating, row.rated_at = rating, now
    in_inbox = session.scalars(select(InboxMessage.id).where(InboxMessage.answer_id == row.id)).first()
    if rating == UP and in_inbox is not None:
        session.execute(delete(InboxMessage).where(InboxMessage.answer_id == row.id))
    elif rating == DOWN and in_inbox is None:
        text = row.question or row.answer.splitlines()[0]
        item = review.Unanswered(
            text,
            "thumbs_down",
            row.channel,
            district=workers.remembered_district(session, worker),
            answer_id=row.id,
        )
        review.record(session, item, now)
    return True
