"""Opening hours in a small, admin-friendly subset of OpenStreetMap's syntax.

Examples: ``24/7``; ``Mo-Fr 08:00-20:00; Sa,Su 09:00-17:00``; ``Mo-Su 20:00-06:00``
(overnight: open from 20:00 until 06:00 the next morning); ``Mo-Sa 08:00-12:00,14:00-18:00``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Tuple

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
DAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_RULE = re.compile(r"^\s*([A-Za-z,\-]+)\s+(.+?)\s*$")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class OpeningHoursError(ValueError):
    """The text is not in the supported syntax."""


@dataclass(frozen=True)
class OpeningHours:
    """Per weekday (0 = Monday), the intervals in minutes after midnight.

    An interval may end after 1440: it runs past midnight into the next day.
    """

    always: bool
    intervals: Tuple[Tuple[Tuple[int, int], ...], ...]
    source: str

    @classmethod
    def parse(cls, text: str) -> OpeningHours:
        text = (text or "").strip()
        if text in ("24/7", "Mo-Su 00:00-24:00"):
            return cls(True, tuple(((0, 1440),) for _ in DAYS), text)
        days: Dict[int, List[Tuple[int, int]]] = {d: [] for d in range(7)}
        if not text:
            raise OpeningHoursError("empty opening hours")
        for rule in text.split(";"):
            if not rule.strip():
                continue
            match = _RULE.match(rule)
            if not match:
                raise OpeningHoursError(f"cannot read '{rule.strip()}'")
            for day in _days(match.group(1)):
                if match.group(2).strip().lower() == "off":
                    days[day] = []
                    continue
                for span in match.group(2).split(","):
                    days[day].append(_minutes(span.strip()))
        return cls(False, tuple(tuple(sorted(days[d])) for d in range(7)), text)

    def is_open(self, at: datetime) -> bool:
        """Open at this local time (overnight intervals of the previous day count)."""
        if self.always:
            return True
        minute = at.hour * 60 + at.minute
        today = at.weekday()
        if any(start <= minute < end for start, end in self.intervals[today]):
            return True
        yesterday = (today - 1) % 7
        return any(end > 1440 and minute < end - 1440 for _, end in self.intervals[yesterday])

    def describe(self) -> str:
        """Chinese text such as ``周一至周五 08:00-20:00；周六、周日 09:00-17:00``."""
        if self.always:
            return "24小时"
        groups: List[Tuple[List[int], Tuple[Tuple[int, int], ...]]] = []
        for day, spans in enumerate(self.intervals):
            if groups and groups[-1][1] == spans and groups[-1][0][-1] == day - 1:
                groups[-1][0].append(day)
            else:
                groups.append(([day], spans))
        parts = []
        for group_days, spans in groups:
            if not spans:
                continue
            label = (
                f"{DAY_LABELS[group_days[0]]}至{DAY_LABELS[group_days[-1]]}"
                if len(group_days) > 2
                else "、".join(DAY_LABELS[d] for d in group_days)
            )
            parts.append(f"{label} " + "，".join(_span_text(s) for s in spans))
        return "；".join(parts) if parts else "暂停开放"


def _days(text: str) -> List[int]:
    result: List[int] = []
    for part in text.split(","):
        if "-" in part:
            first, last = part.split("-", 1)
            a, b = _day(first), _day(last)
            result.extend(range(a, b + 1) if a <= b else list(range(a, 7)) + list(range(0, b + 1)))
        else:
            result.append(_day(part))
    return result


def _day(text: str) -> int:
    try:
        return DAYS.index(text.strip().capitalize())
    except ValueError:
        raise OpeningHoursError(f"unknown day '{text}'") from None


def _minutes(span: str) -> Tuple[int, int]:
    match = _RANGE.match(span)
    if not match:
        raise OpeningHoursError(f"cannot read time range '{span}'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        raise OpeningHoursError(f"no such time in '{span}'")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        end += 1440
    return start, end


def _span_text(span: Tuple[int, int]) -> str:
    start, end = span
    overnight = "次日" if end > 1440 else ""
    end = end - 1440 if end > 1440 else end
    return f"{_clock(start)}-{overnight}{_clock(end)}"


def _clock(minutes: int) -> str:
    return (datetime.min + timedelta(minutes=minutes)).strftime("%H:%M") if minutes < 1440 else "24:00"
