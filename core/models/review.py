"""What riders asked that the assistant did not answer well, and how admins dealt with it.

Rider messages that ended in a fallback, an out-of-scope answer, a clarifying
question, a 👎, a repeat or a hand-over are kept masked (`inbox_messages`) and
grouped by similar wording (`inbox_groups`); an admin resolves or ignores a group
as a whole. Answers riders may rate are kept with what produced them
(`rated_answers`). New FAQ entries start as drafts (`faq_drafts`), which the FAQ
retriever never reads, and intent labels wait for the next training
(`labelled_examples`).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, ForeignKey, Integer, SmallInteger, String, Text

from core.models.base import Base, utcnow


class InboxGroup(Base):
    """Messages worded alike; `key` is the normalised text of the first, which new ones are compared with."""

    __tablename__ = "inbox_groups"

    id = Column(Integer, primary_key=True)
    key = Column(String(200), nullable=False, unique=True)
    sample = Column(String(500), nullable=False)
    status = Column(String(10), nullable=False, default="pending", index=True)
    # What an admin did: "variant:<faq id>", "draft:<draft id>", "intent:<name>".
    resolution = Column(String(80), nullable=False, default="")
    first_seen = Column(DateTime, nullable=False, default=utcnow)
    last_seen = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_by = Column(String(60), nullable=False, default="")


class InboxMessage(Base):
    """One rider message and why it is here; its text masked as the staff queue masks it."""

    __tablename__ = "inbox_messages"

    id = Column(Integer, primary_key=True)
    group_id = Column(ForeignKey("inbox_groups.id", ondelete="CASCADE"), nullable=False, index=True)
    text = Column(String(500), nullable=False)
    reason = Column(String(20), nullable=False)
    intent = Column(String(40), nullable=True)
    confidence = Column(Float, nullable=True)
    channel = Column(String(20), nullable=False)
    district = Column(String(20), nullable=True)
    answer_id = Column(ForeignKey("rated_answers.id", ondelete="SET NULL"), nullable=True, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class RatedAnswer(Base):
    """An answer the rider was offered 👍/👎 for, with the response or FAQ entry that produced it."""

    __tablename__ = "rated_answers"

    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    sender_id = Column(String(128), nullable=False)
    question = Column(String(500), nullable=False, default="")
    answer = Column(Text, nullable=False)
    response = Column(String(80), nullable=True)
    faq_id = Column(Integer, nullable=True)
    rating = Column(SmallInteger, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    rated_at = Column(DateTime, nullable=True)


class FaqDraft(Base):
    """A new FAQ entry an admin is still writing; it answers no one until published."""

    __tablename__ = "faq_drafts"

    id = Column(Integer, primary_key=True)
    question = Column(String(200), nullable=False)
    answer = Column(Text, nullable=False, default="")
    intent = Column(String(40), nullable=True)
    group_id = Column(ForeignKey("inbox_groups.id", ondelete="SET NULL"), nullable=True)
    # 转为知识: the resolved ticket whose staff answer this draft started from (one draft a ticket).
    ticket_id = Column(Integer, nullable=True, index=True, unique=True)
    created_by = Column(String(60), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    published_faq_id = Column(Integer, nullable=True)
    published_at = Column(DateTime, nullable=True)


class LabelledExample(Base):
    """A rider's (masked) words labelled with the intent they meant, for the next training."""

    __tablename__ = "labelled_examples"

    id = Column(Integer, primary_key=True)
    text = Column(String(500), nullable=False)
    intent = Column(String(40), nullable=False, index=True)
    group_id = Column(ForeignKey("inbox_groups.id", ondelete="SET NULL"), nullable=True)
    created_by = Column(String(60), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
