"""Every admin edit of a content row, with the row before and after it, for the diff view and revert."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Text

from core.models.base import Base, utcnow


class ContentRevision(Base):
    """One change of one row of a content kind (`core.content.editing.KINDS`).

    `before` and `after` are the row's columns as JSON (null: the row did not
    exist); a revert is a revision of its own, naming the one it undid.
    """

    __tablename__ = "content_revisions"

    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    row_id = Column(Integer, nullable=False)
    action = Column(String(10), nullable=False)
    actor = Column(String(60), nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)
    before = Column(Text, nullable=True)
    after = Column(Text, nullable=True)
    reverts_id = Column(Integer, nullable=True)

    __table_args__ = (
        Index("ix_content_revisions_kind_row", "kind", "row_id", "id"),
        Index("ix_content_revisions_at", "at"),
    )
