"""Texts admins edit: legal topics and their sections, community-pass guidance, FAQ entries, topics."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, String, Text

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


class LegalTopic(Base):
    """A legal trouble riders bring: the default one of an intent, or a branch of it.

    A branch (押金 under unpaid wages, 肇事逃逸 under accidents) is chosen when the
    rider's words contain one of its `keywords`. Where the remedies depend on
    whether the rider has a 劳动关系, `asks_relationship` makes the assistant ask.
    """

    __tablename__ = "legal_topics"

    key = Column(String(40), primary_key=True)
    intent = Column(String(40), nullable=False, index=True)
    title = Column(String(60), nullable=False)
    keywords = Column(Text, nullable=False, default="")
    asks_relationship = Column(Boolean, nullable=False, default=False)
    sort = Column(Integer, nullable=False, default=0)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class LegalSection(Base):
    """One part of a topic's answer (summary, steps, evidence, deadlines, where to go)
    for one kind of working relationship (or `any`), with the law it rests on.

    `valid_from` / `valid_until` date statements that change on a known day (a
    province joining 职业伤害保障); `reviewed_on` is when someone last checked it.
    The key is `topic/relationship/aspect/valid_from`, so a CSV re-import updates
    the row it names.
    """

    __tablename__ = "legal_sections"

    key = Column(String(120), primary_key=True)
    topic = Column(String(40), nullable=False, index=True)
    relationship = Column(String(20), nullable=False)
    aspect = Column(String(20), nullable=False)
    text = Column(Text, nullable=False)
    source = Column(Text, nullable=False)
    reviewed_on = Column(Date, nullable=False)
    valid_from = Column(Date, nullable=True)
    valid_until = Column(Date, nullable=True)
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
    """A question, the other ways people ask it, and the answer.

    `district` is empty for an answer that holds city-wide; `policy_document` names the
    document the answer rests on, `valid_until` the day it stops holding (past it, the
    entry is flagged for an admin's review) and `owner` who keeps it current.
    """

    __tablename__ = "faq_entries"

    id = Column(Integer, primary_key=True)
    question = Column(String(200), nullable=False)
    variants = Column(Text, nullable=False, default="")
    answer = Column(Text, nullable=False)
    tags = Column(String(200), nullable=False, default="")
    intent = Column(String(40), nullable=True, index=True)
    district = Column(String(20), nullable=True)
    policy_document = Column(String(200), nullable=False, default="")
    valid_until = Column(Date, nullable=True, index=True)
    owner = Column(String(60), nullable=False, default="")
    is_sample = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
