"""Things with seats that a worker signs up for: childcare, camps, training, lectures."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)

from core.models.base import Base, utcnow


class Programme(Base):
    """A summer day-care, camp, after-school class, training course or 暖新讲堂 lecture."""

    __tablename__ = "programmes"

    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    title = Column(String(100), nullable=False)
    topic = Column(String(40), nullable=False, default="")
    district = Column(String(20), nullable=False)
    venue = Column(String(100), nullable=False)
    address = Column(String(200), nullable=False, default="")
    age_min = Column(Integer, nullable=True)
    age_max = Column(Integer, nullable=True)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    schedule = Column(String(100), nullable=False, default="")
    capacity = Column(Integer, nullable=False)
    fee = Column(String(40), nullable=False, default="免费")
    signup_deadline = Column(Date, nullable=False)
    # Sign-up for a seasonal programme opens some weeks ahead; empty means open already.
    signup_opens = Column(Date, nullable=True)
    description = Column(Text, nullable=False, default="")
    is_sample = Column(Boolean, nullable=False, default=False)

    __table_args__ = (Index("ix_programmes_kind_district", "kind", "district"),)


class Enrolment(Base):
    """One participant's place (or place on the waiting list) in a programme.

    For a child, the name, age and guardian's phone are sensitive personal
    information (PIPL art. 28, 31): stored only with consent, and wiped by
    `core.enrolments.anonymise_finished` after the retention period.
    """

    __tablename__ = "enrolments"

    id = Column(Integer, primary_key=True)
    programme_id = Column(ForeignKey("programmes.id", ondelete="CASCADE"), nullable=False)
    status = Column(String(12), nullable=False)
    channel = Column(String(20), nullable=False)
    sender_id = Column(String(100), nullable=False)
    participant_name = Column(String(40), nullable=True)
    participant_age = Column(Integer, nullable=True)
    phone = Column(String(20), nullable=True)
    consent_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    cancelled_at = Column(DateTime, nullable=True)
    anonymised_at = Column(DateTime, nullable=True)

    __table_args__ = (
        Index("ix_enrolments_programme_status", "programme_id", "status"),
        Index("ix_enrolments_sender", "channel", "sender_id"),
    )
