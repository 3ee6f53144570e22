"""What the assistant remembers of a worker across conversations."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String

from core.models.base import Base, utcnow


class WorkerProfile(Base):
    """Keyed by channel and sender, so a new Rasa session keeps the worker's district."""

    __tablename__ = "worker_profiles"

    channel = Column(String(20), primary_key=True)
    sender_id = Column(String(100), primary_key=True)
    district = Column(String(20), nullable=True)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
