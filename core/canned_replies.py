"""Canned replies: the answers staff pick from instead of typing the same text again."""

from __future__ import annotations

from typing import List

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.models import CannedReply

TITLE_CHARS = 40


def all_by_title(session: Session) -> List[CannedReply]:
    return list(session.scalars(select(CannedReply).order_by(CannedReply.title)))


def save(session: Session, title: str, text: str) -> None:
    """A new canned reply; an empty title or text is no reply at all and is ignored."""
    title, text = title.strip(), text.strip()
    if title and text:
        session.add(CannedReply(title=title[:TITLE_CHARS], text=text))


def remove(session: Session, reply_id: int) -> None:
    session.execute(delete(CannedReply).where(CannedReply.id == reply_id))
