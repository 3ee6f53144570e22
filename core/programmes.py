"""Finding programmes: childcare for workers' children, training and lectures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Enrolment, Programme

CHILDCARE_KINDS = ("summer_daycare", "summer_camp", "after_school")
TRAINING_KINDS = ("training", "lecture")
CONFIRMED = "confirmed"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class ProgrammeView:
    """A programme with the number of places still free."""

    programme: Programme
    places_left: int


def by_id(session: Session, programme_id: int) -> Optional[Programme]:
    return session.get(Programme, programme_id)


def places_taken(session: Session, programme_ids: Sequence[int]) -> Dict[int, int]:
    """Confirmed enrolments per programme."""
    if not programme_ids:
        return {}
    rows = session.execute(
        select(Enrolment.programme_id, func.count(Enrolment.id))
        .where(Enrolment.programme_id.in_(list(programme_ids)), Enrolment.status == CONFIRMED)
        .group_by(Enrolment.programme_id)
    )
    return {programme_id: count for programme_id, count in rows}


def _with_places(session: Session, programmes: List[Programme]) -> List[ProgrammeView]:
    taken = places_taken(session, [p.id for p in programmes])
    return [ProgrammeView(p, max(0, p.capacity - taken.get(p.id, 0))) for p in programmes]


def childcare_for(session: Session, district: str, age: int, today: date, limit: int = 5) -> List[ProgrammeView]:
    """Open childcare programmes of a district that take a child of this age, soonest first."""
    query = (
        select(Programme)
        .where(
            Programme.kind.in_(CHILDCARE_KINDS),
            Programme.district == district,
            Programme.age_min <= age,
            Programme.age_max >= age,
            Programme.signup_deadline >= today,
        )
        .order_by(Programme.start_date, Programme.id)
        .limit(limit)
    )
    return _with_places(session, list(session.scalars(query)))


def upcoming_training(
    session: Session, today: date, district: Optional[str] = None, limit: int = 5
) -> List[ProgrammeView]:
    """Training courses and lectures still open for sign-up; the district's first."""
    query = select(Programme).where(Programme.kind.in_(TRAINING_KINDS), Programme.signup_deadline >= today)
    programmes = list(session.scalars(query.order_by(Programme.start_date, Programme.id)))
    if district:
        programmes.sort(key=lambda p: p.district != district)
    return _with_places(session, programmes[:limit])


def is_childcare(programme: Programme) -> bool:
    return programme.kind in CHILDCARE_KINDS


def is_open_for_signup(programme: Programme, today: date) -> bool:
    """Sign-up has opened (or never had an opening day) and its deadline has not passed."""
    return (programme.signup_opens is None or programme.signup_opens <= today) and programme.signup_deadline >= today


def views_of(session: Session, ids: Sequence[int]) -> List[ProgrammeView]:
    """The programmes of an earlier list, in its order."""
    found = {p.id: p for p in session.scalars(select(Programme).where(Programme.id.in_(list(ids))))}
    return _with_places(session, [found[i] for i in ids if i in found])


def more_like(session: Session, query: Dict[str, Any], shown: Sequence[int], today: date) -> List[ProgrammeView]:
    """More programmes of the kind a list showed (childcare of a district and age, or training), not yet shown."""
    limit = len(shown) + 5
    if query.get("childcare"):
        views = childcare_for(session, str(query.get("district")), int(query.get("age") or 0), today, limit)
    else:
        views = upcoming_training(session, today, query.get("district"), limit)
    return [v for v in views if v.programme.id not in set(shown)][:5]
