"""What the city reports: 响应率, 解决率, 满意率, counts over time, and recurring problems.

- 响应率: of the tickets whose answer deadline has passed or that were answered,
  the share answered by the deadline.
- 解决率: of all tickets, the share resolved or closed.
- 满意率: of the rated tickets, the share rated 4 or 5.
"从一件事到一类事": open tickets grouped by kind, district and similar wording
or place, so staff see the recurring problem behind single tickets.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import geo, tickets
from core.models import StaffUser, Ticket
from core.privacy import mask_text
from core.search_terms import clean
from core.ticket_queue import in_scope

SIMILAR_WORDING = 0.3
SAME_PLACE_M = 500


@dataclass(frozen=True)
class Rates:
    tickets: int
    response_rate: Optional[float]
    resolution_rate: Optional[float]
    satisfaction_rate: Optional[float]
    overdue_open: int


def _ratio(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def _in_period(session: Session, viewer: StaffUser, since: datetime, until: datetime) -> List[Ticket]:
    query = in_scope(select(Ticket), viewer).where(Ticket.created_at >= since, Ticket.created_at < until)
    return list(session.scalars(query))


def rates(session: Session, viewer: StaffUser, since: datetime, until: datetime, now: datetime) -> Rates:
    found = _in_period(session, viewer, since, until)
    due = [t for t in found if t.answered_at is not None or t.respond_by <= now]
    on_time = [t for t in due if t.answered_at is not None and t.answered_at <= t.respond_by]
    done = [t for t in found if t.state in (tickets.RESOLVED, tickets.CLOSED)]
    rated = [t for t in found if t.rating is not None]
    satisfied = [t for t in rated if t.rating >= 4]
    overdue = sum(tickets.is_overdue(t, now) for t in found)
    return Rates(
        len(found), _ratio(len(on_time), len(due)), _ratio(len(done), len(found)),
        _ratio(len(satisfied), len(rated)), overdue,
    )  # fmt: skip


def counts(session: Session, viewer: StaffUser, since: datetime, until: datetime, by: str) -> Dict[str, int]:
    """Tickets per category or per district."""
    return dict(Counter(getattr(t, by) for t in _in_period(session, viewer, since, until)).most_common())


def daily(
    session: Session, viewer: StaffUser, since: datetime, until: datetime, by: str
) -> Tuple[List[date], Dict[str, List[int]]]:
    """Per day, the tickets of each category (or district): the series a chart draws."""
    found = _in_period(session, viewer, since, until)
    days = [since.date() + timedelta(days=i) for i in range((until.date() - since.date()).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    series: Dict[str, List[int]] = defaultdict(lambda: [0] * len(days))
    for t in found:
        series[getattr(t, by)][index[t.created_at.date()]] += 1
    return days, dict(series)


@dataclass
class Cluster:
    """Open tickets that look like one problem: same kind, district, and wording or place."""

    category: str
    district: str
    numbers: List[str] = field(default_factory=list)
    ids: List[int] = field(default_factory=list)
    sample: str = ""
    place: str = ""


def _grams(text: str) -> set:
    compact = clean(text)
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def _similar(a: Ticket, b: Ticket, grams: Dict[int, set]) -> bool:
    ga, gb = grams[a.id], grams[b.id]
    if ga and gb and len(ga & gb) / len(ga | gb) >= SIMILAR_WORDING:
        return True
    if a.place_text and a.place_text == b.place_text:
        return True
    if None not in (a.lat, a.lon, b.lat, b.lon):
        return geo.distance_m(a.lat, a.lon, b.lat, b.lon) <= SAME_PLACE_M
    return False


def _linked_groups(members: Sequence[Ticket], grams: Dict[int, set]) -> List[List[Ticket]]:
    """Tickets joined whenever two are similar (union-find, single linkage)."""
    parent = {t.id: t.id for t in members}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(members):
        for b in members[i + 1 :]:
            if _similar(a, b, grams):
                parent[root(b.id)] = root(a.id)
    groups: Dict[int, List[Ticket]] = defaultdict(list)
    for t in members:
        groups[root(t.id)].append(t)
    return list(groups.values())


def clusters(session: Session, viewer: StaffUser, min_size: int = 2) -> List[Cluster]:
    """Groups of at least `min_size` open tickets, biggest first (single linkage)."""
    query = in_scope(select(Ticket), viewer).where(Ticket.state.in_(tickets.OPEN_STATES))
    open_tickets: Sequence[Ticket] = list(session.scalars(query.order_by(Ticket.id)))
    grams = {t.id: _grams(t.description) for t in open_tickets}
    by_group: Dict[Tuple[str, str], List[Ticket]] = defaultdict(list)
    for t in open_tickets:
        by_group[(t.category, t.district)].append(t)
    result = []
    for (category, district), members in by_group.items():
        for group in _linked_groups(members, grams):
            if len(group) < min_size:
                continue
            places = Counter(t.place_text for t in group if t.place_text)
            result.append(
                Cluster(
                    category=category,
                    district=district,
                    numbers=[t.number for t in group],
                    ids=[t.id for t in group],
                    sample=mask_text(group[0].description)[:60],
                    place=places.most_common(1)[0][0] if places else "",
                )
            )
    result.sort(key=lambda c: -len(c.ids))
    return result
