"""Signing up for a programme: capacity, waiting list, cancellation, retention of child data.

A booking counts the confirmed places and inserts in one transaction, after
locking the programme row (PostgreSQL `FOR UPDATE`; SQLite takes its write lock
at BEGIN, see `core.db`), so two workers can never both take the last place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.models import Enrolment, Programme
from core.programmes import CANCELLED, CONFIRMED, WAITLISTED, is_childcare, is_open_for_signup
from core.validation import mask_name
from core.workers import WorkerRef


@dataclass(frozen=True)
class Applicant:
    """Who is signed up, and by whom; `consent_at` is required for a child."""

    worker: WorkerRef
    name: str
    phone: str
    age: Optional[int] = None
    consent_at: Optional[datetime] = None


@dataclass(frozen=True)
class BookingResult:
    """`confirmed`, `waitlisted`, `not_open` (sign-up opens later), `closed`, `duplicate` or `unknown`."""

    outcome: str
    programme: Optional[Programme] = None
    enrolment: Optional[Enrolment] = None
    waitlist_position: int = 0


class ConsentRequired(ValueError):
    """A child's data may only be stored with the guardian's consent."""


def book(session: Session, programme_id: int, applicant: Applicant, today: date, now: datetime) -> BookingResult:
    """Take a place if one is free, else a place on the waiting list."""
    programme = session.scalars(select(Programme).where(Programme.id == programme_id).with_for_update()).one_or_none()
    if programme is None:
        return BookingResult("unknown")
    if programme.signup_deadline < today:
        return BookingResult("closed", programme)
    if not is_open_for_signup(programme, today):
        return BookingResult("not_open", programme)
    if is_childcare(programme) and applicant.consent_at is None:
        raise ConsentRequired(programme.title)
    duplicate = session.scalars(
        select(Enrolment).where(
            Enrolment.programme_id == programme.id,
            Enrolment.channel == applicant.worker.channel,
            Enrolment.sender_id == applicant.worker.sender_id,
            Enrolment.participant_name == applicant.name,
            Enrolment.status != CANCELLED,
        )
    ).first()
    if duplicate is not None:
        return BookingResult("duplicate", programme, duplicate)
    confirmed = session.scalar(
        select(func.count(Enrolment.id)).where(Enrolment.programme_id == programme.id, Enrolment.status == CONFIRMED)
    )
    status = CONFIRMED if confirmed < programme.capacity else WAITLISTED
    enrolment = Enrolment(
        programme_id=programme.id,
        status=status,
        channel=applicant.worker.channel,
        sender_id=applicant.worker.sender_id,
        participant_name=applicant.name,
        participant_age=applicant.age,
        phone=applicant.phone,
        consent_at=applicant.consent_at,
        created_at=now,
    )
    session.add(enrolment)
    session.flush()
    position = _waitlist_position(session, enrolment) if status == WAITLISTED else 0
    return BookingResult(status, programme, enrolment, position)


def _waitlist_position(session: Session, enrolment: Enrolment) -> int:
    return session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.programme_id == enrolment.programme_id,
            Enrolment.status == WAITLISTED,
            Enrolment.id <= enrolment.id,
        )
    )


def of_worker(session: Session, worker: WorkerRef) -> List[Enrolment]:
    """The worker's active enrolments, newest first."""
    return list(
        session.scalars(
            select(Enrolment)
            .where(
                Enrolment.channel == worker.channel,
                Enrolment.sender_id == worker.sender_id,
                Enrolment.status != CANCELLED,
            )
            .order_by(Enrolment.id.desc())
        )
    )


@dataclass(frozen=True)
class Listed:
    """A sign-up as the worker sees it in their list: the participant's name masked."""

    id: int
    programme: str
    name: str
    status: str


def listing(session: Session, worker: WorkerRef) -> List[Listed]:
    """The worker's active sign-ups with their programmes' titles, newest first."""
    active = of_worker(session, worker)
    ids = {e.programme_id for e in active}
    titles = dict(session.execute(select(Programme.id, Programme.title).where(Programme.id.in_(ids))).all())
    return [Listed(e.id, titles.get(e.programme_id, ""), mask_name(e.participant_name), e.status) for e in active]


@dataclass(frozen=True)
class Cancellation:
    """The cancelled enrolment and, if any, who moved up from the waiting list."""

    cancelled: Enrolment
    programme: Programme
    promoted: Optional[Enrolment]


def cancel(session: Session, enrolment_id: int, worker: WorkerRef, now: datetime) -> Optional[Cancellation]:
    """Cancel an enrolment of this worker; the first on the waiting list takes the place."""
    enrolment = session.get(Enrolment, enrolment_id)
    if (
        enrolment is None
        or enrolment.status == CANCELLED
        or (enrolment.channel, enrolment.sender_id) != (worker.channel, worker.sender_id)
    ):
        return None
    programme = session.scalars(select(Programme).where(Programme.id == enrolment.programme_id).with_for_update()).one()
    freed_place = enrolment.status == CONFIRMED
    enrolment.status = CANCELLED
    enrolment.cancelled_at = now
    _wipe(enrolment, now)
    promoted = None
    if freed_place:
        promoted = session.scalars(
            select(Enrolment)
            .where(Enrolment.programme_id == programme.id, Enrolment.status == WAITLISTED)
            .order_by(Enrolment.id)
        ).first()
        if promoted is not None:
            promoted.status = CONFIRMED
    session.flush()
    return Cancellation(enrolment, programme, promoted)


def anonymise_finished(session: Session, today: date, retention_days: int, now: datetime) -> int:
    """Erase participants' personal data once their programme ended `retention_days` ago.

    Keeps the row (numbers for statistics) but not who it was.
    """
    cutoff = today - timedelta(days=retention_days)
    ended = select(Programme.id).where(Programme.end_date < cutoff)
    result = session.execute(
        update(Enrolment)
        .where(Enrolment.programme_id.in_(ended), Enrolment.anonymised_at.is_(None))
        .values(participant_name=None, participant_age=None, phone=None, anonymised_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _wipe(enrolment: Enrolment, now: datetime) -> None:
    enrolment.participant_name = None
    enrolment.participant_age = None
    enrolment.phone = None
    enrolment.anonymised_at = now
