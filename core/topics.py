"""Topics: the label people see for each intent, and its ticket category."""

from __future__ import annotations

from typing import Dict, List, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Topic


def labels(session: Session) -> Dict[str, str]:
    """Label of every intent."""
    return {t.intent: t.label for t in session.scalars(select(Topic))}


def category_labels(session: Session, categories: Sequence[str]) -> Dict[str, str]:
    """Label of each of `categories` (the ticket categories) that has a topic, in the order given."""
    found = {t.intent: t.label for t in session.scalars(select(Topic).where(Topic.intent.in_(categories)))}
    return {intent: found[intent] for intent in categories if intent in found}


def clarification_choices(session: Session, ranked_intents: Sequence[str], limit: int = 3) -> List[Topic]:
    """The likeliest intents worth offering as buttons, in ranking order."""
    topics = {t.intent: t for t in session.scalars(select(Topic).where(Topic.clarifiable.is_(True)))}
    return [topics[i] for i in ranked_intents if i in topics][:limit]


def ticket_category(session: Session, intent: str) -> str:
    """`urgent`, `ordinary` or `complex`: which deadlines a ticket of this intent gets."""
    topic = session.get(Topic, intent)
    return topic.ticket_category if topic else "ordinary"
