"""Texts admins edit: legal guides, community-pass guidance, FAQ entries, topics."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Text

from core.models.base import Base, utcnow


class Topic(Base):
    """What a worker can ask about: one per intent, with the label people see.

    Used for the buttons of a clarifying question, ticket categories and metrics.
    """

    __tablename__ = "topics"

    intent = Column(String(40), primary_key=True)
    label = Column(String(40), nullable=False)
    ticket_category = Column(String(20), nullable=False, default="ordinary")
    clarifiable = Column(Boolean, nullable=False, default=True)


class LegalGuide(Base):
    """First steps for one legal intent: evidence, where to go, deadlines, the law."""

    __tablename__ = "legal_guides"

    intent = Column(String(40), primary_key=True)
    title = Column(String(60), nullable=False)
    steps = Column(Text, nullable=False)
    evidence = Column(Text, nullable=False, default="")
    deadlines = Column(Text, nullable=False, default="")
    where_to_go = Column(Text, nullable=False, default="")
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class PassGuide(Base):
    """How riders of a district get into residential compounds."""

    __tablename__ = "pass_guides"

    district = Column(String(20), primary_key=True)
    how_to_apply = Column(Text, nullable=False)
    honoured_at = Column(Text, nullable=False, default="")
    contact = Column(String(100), nullable=False, default="")
    is_sample = Column(Boolean, nullable=False, default=False)


class FaqEntry(Base):
    """A question, the other ways people ask it, and the answer."""

    __tablename__ = "faq_entries"

    id = Column(Integer, primary_key=True)
    question = Column(String(200), nullable=False)
    variants = Column(Text, nullable=False, default="")
    answer = Column(Text, nullable=False)
    tags = Column(String(200), nullable=False, default="")
    intent = Column(String(40), nullable=True, index=True)
    is_sample = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
