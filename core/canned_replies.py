"""Canned replies: the answers staff pick from instead of typing the same text again."""

from __future__ import annotations

from typing import List, Optional

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from core.models import CannedReply

TITLE_CHARS = 40


def all_by_title(session: Session) -> List[CannedReply]:
    return list(session.scalars(select(CannedReply).order_by(CannedReply.title)))


def for_category(session: Session, category: str) -> List[CannedReply]:
    """The replies for a ticket of this category first, then those for every ticket."""
    query = select(CannedReply).where(or_(CannedReply.category == category, CannedReply.category.is_(None)))
    return list(session.scalars(query.order_by(CannedReply.category.is_(None), CannedReply.title)))


def save(session: Session, title: str, text: str, category: Optional[str] = None) -> None:
    """A new canned reply; an empty title or text is no reply at all and is ignored."""
    title, text = title.strip(), text.strip()
    if title and text:
        session.add(CannedReply(title=title[:TITLE_CHARS], text=text, category=category or None))


def remove(session: Session, reply_id: int) -> None:
    session.execute(delete(CannedReply).where(CannedReply.id == reply_id))
