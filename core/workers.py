"""What the assistant remembers of a worker: today, the district they work in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy.orm import Session

from core.models import WorkerProfile


@dataclass(frozen=True)
class WorkerRef:
    """A worker as the channels know them: the channel's name and its sender id."""

    channel: str
    sender_id: str


def remembered_district(session: Session, worker: WorkerRef) -> Optional[str]:
    profile = session.get(WorkerProfile, (worker.channel, worker.sender_id))
    return profile.district if profile else None


def remember_district(session: Session, worker: WorkerRef, district: str) -> None:
    profile = session.get(WorkerProfile, (worker.channel, worker.sender_id))
    if profile is None:
        session.add(WorkerProfile(channel=worker.channel, sender_id=worker.sender_id, district=district))
    else:
        profile.district = district
