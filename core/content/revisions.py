"""Content revisions: a row's columns before and after each console edit, as JSON.

A snapshot holds every column but `updated_at`: the database write sets it after
the snapshot is taken, so a snapshot would hold the time of the change before, and
a revert must never set it back (a revert is a change: the FAQ index's version,
`core.faq._version`, follows the newest change).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import Date, DateTime, select
from sqlalchemy.orm import Session

from core.models import ContentRevision

Snapshot = Dict[str, Any]
NOT_SNAPSHOT = {"updated_at"}
CREATED, UPDATED, REVERTED, IMPORTED = "created", "updated", "reverted", "imported"


def snapshot(row: Any) -> Snapshot:
    """The row's columns as stored, dates and times as ISO text."""
    values: Snapshot = {}
    for column in row.__table__.columns:
        if column.key in NOT_SNAPSHOT:
            continue
        value = getattr(row, column.key)
        values[column.key] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return values


def digest(values: Snapshot) -> str:
    """A short fingerprint of a snapshot: a form carries the one it was opened on, to notice a change since."""
    return hashlib.sha256(json.dumps(values, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]


def restored(model: type, values: Snapshot) -> Snapshot:
    """A snapshot's values as the model's columns take them (ISO text back into dates and times)."""
    columns = model.__table__.columns  # type: ignore[attr-defined]
    result: Snapshot = {}
    for key, value in values.items():
        if key not in columns or key in NOT_SNAPSHOT:
            continue
        kind = columns[key].type
        if isinstance(value, str) and isinstance(kind, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(kind, Date):
            value = date.fromisoformat(value)
        result[key] = value
    return result


def record(
    session: Session,
    kind: str,
    row_id: int,
    action: str,
    actor: str,
    now: datetime,
    before: Optional[Snapshot],
    after: Optional[Snapshot],
    reverts_id: Optional[int] = None,
) -> ContentRevision:
    """Keep one change; the caller has made it in the same transaction."""
    revision = ContentRevision(
        kind=kind,
        row_id=row_id,
        action=action,
        actor=actor,
        at=now,
        before=None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
        after=None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
        reverts_id=reverts_id,
    )
    session.add(revision)
    session.flush()
    return revision


def before_of(revision: ContentRevision) -> Optional[Snapshot]:
    return None if revision.before is None else json.loads(revision.before)


def after_of(revision: ContentRevision) -> Optional[Snapshot]:
    return None if revision.after is None else json.loads(revision.after)


@dataclass(frozen=True)
class Change:
    """One column a revision changed: its stored values before and after."""

    attr: str
    before: Any
    after: Any


def changes(revision: ContentRevision) -> List[Change]:
    """The columns that differ between before and after, in the row's column order."""
    before, after = before_of(revision) or {}, after_of(revision) or {}
    keys = list(after) + [k for k in before if k not in after]
    return [Change(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def history(session: Session, kind: str, row_id: int, limit: int = 50) -> Sequence[ContentRevision]:
    """A row's revisions, newest first."""
    query = (
        select(ContentRevision)
        .where(ContentRevision.kind == kind, ContentRevision.row_id == row_id)
        .order_by(ContentRevision.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def recent(session: Session, limit: int = 20) -> Sequence[ContentRevision]:
    """The newest revisions of every kind, for the editing start page."""
    return list(session.scalars(select(ContentRevision).order_by(ContentRevision.id.desc()).limit(limit)))
