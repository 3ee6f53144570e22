"""The current time, in UTC for storage and in the city's zone for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Clock:
    """Tells the time; tests pass a fixed `now` instead of patching."""

    zone: ZoneInfo
    fixed_utc: datetime | None = None

    @classmethod
    def for_zone(cls, name: str) -> Clock:
        return cls(ZoneInfo(name))

    def utc(self) -> datetime:
        """Naive UTC, as stored."""
        if self.fixed_utc is not None:
            return self.fixed_utc
        return datetime.now(timezone.utc).replace(tzinfo=None)

    def local(self) -> datetime:
        """Naive local wall time of the city."""
        return self.to_local(self.utc())

    def today(self) -> date:
        return self.local().date()

    def to_local(self, utc: datetime) -> datetime:
        return utc.replace(tzinfo=timezone.utc).astimezone(self.zone).replace(tzinfo=None)

    def start_of_day(self, day: date) -> datetime:
        """Naive UTC of the local midnight that begins `day`."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        return midnight.astimezone(timezone.utc).replace(tzinfo=None)
