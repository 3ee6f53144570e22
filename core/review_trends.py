"""What riders ask and we fail at: the review inbox over time, by district and hour, and 每月一题.

The inbox (core.review) is worked group by group; this is its view from above. A
topic that keeps coming back month after month is a task for the city, not one more
FAQ variant: the month's top unresolved groups are listed for an admin to turn into
a content task (an FAQ draft) or route into a ticket category (labelled examples
of that category's intent for the next training), both through core.review.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Dict, List, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import review
from core.clock import Clock
from core.models import InboxGroup, InboxMessage

TOP_TOPICS = 10
UNKNOWN_DISTRICT = ""


@dataclass(frozen=True)
class Trends:
    """Inbox messages in a span of local days."""

    days: List[date]
    # Per reason (core.review.REASONS), a count for each of `days`.
    daily: Dict[str, List[int]]
    by_district: List[Tuple[str, int]]
    # 24 counts, by the local hour the rider wrote.
    by_hour: List[int]
    total: int


@dataclass(frozen=True)
class MonthlyTopic:
    """An unresolved group among the month's most frequent."""

    group_id: int
    sample: str
    count: int
    # Its districts in the month, the most frequent first (UNKNOWN_DISTRICT: not known).
    districts: List[str]
    first_seen: datetime
    last_seen: datetime


def trends(session: Session, first: date, last: date, clock: Clock) -> Trends:
    """The inbox's messages from local day `first` to `last`, both included."""
    since, until = clock.start_of_day(first), clock.start_of_day(last + timedelta(days=1))
    rows = session.execute(
        select(InboxMessage.created_at, InboxMessage.reason, InboxMessage.district).where(
            InboxMessage.created_at >= since, InboxMessage.created_at < until
        )
    ).all()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    index = {day: n for n, day in enumerate(days)}
    daily: Dict[str, List[int]] = defaultdict(lambda: [0] * len(days))
    hours = [0] * 24
    districts: Counter = Counter()
    for created_at, reason, district in rows:
        local = clock.to_local(created_at)
        daily[reason][index[local.date()]] += 1
        hours[local.hour] += 1
        districts[district or UNKNOWN_DISTRICT] += 1
    ordered = {reason: daily[reason] for reason in review.REASONS if reason in daily}
    return Trends(days, ordered, districts.most_common(), hours, len(rows))


def monthly_top(session: Session, month: date, clock: Clock, limit: int = TOP_TOPICS) -> List[MonthlyTopic]:
    """每月一题: the pending groups with the most messages in `month` (its first day), most first."""
    since = clock.start_of_day(month.replace(day=1))
    until = clock.start_of_day(next_month(month))
    in_month = (InboxMessage.created_at >= since, InboxMessage.created_at < until)
    counted = (
        select(InboxMessage.group_id, func.count().label("n"))
        .where(*in_month)
        .group_by(InboxMessage.group_id)
        .subquery()
    )
    top = session.execute(
        select(InboxGroup, counted.c.n)
        .join(counted, counted.c.group_id == InboxGroup.id)
        .where(InboxGroup.status == review.PENDING)
        .order_by(counted.c.n.desc(), InboxGroup.id)
        .limit(limit)
    ).all()
    where: Dict[int, Counter] = defaultdict(Counter)
    if top:
        for group_id, district, n in session.execute(
            select(InboxMessage.group_id, InboxMessage.district, func.count())
            .where(*in_month, InboxMessage.group_id.in_([group.id for group, _ in top]))
            .group_by(InboxMessage.group_id, InboxMessage.district)
        ):
            where[group_id][district or UNKNOWN_DISTRICT] += n
    return [
        MonthlyTopic(
            group.id,
            group.sample,
            n,
            [d for d, _ in where[group.id].most_common()],
            group.first_seen,
            group.last_seen,
        )
        for group, n in top
    ]


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)
