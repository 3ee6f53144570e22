from datetime import datetime

import pytest

from core.opening_hours import OpeningHours, OpeningHoursError

THURSDAY = datetime(2026, 11, 26)


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return THURSDAY.replace(day=26 + day_offset, hour=hour, minute=minute)


def test_always_open() -> None:
    assert OpeningHours.parse("24/7").is_open(at(0, 3))
    assert OpeningHours.parse("24/7").describe() == "24小时"


def test_weekday_and_weekend_rules() -> None:
    hours = OpeningHours.parse("Mo-Fr 08:00-20:00; Sa,Su 09:00-17:00")
    assert hours.is_open(at(0, 8))
    assert not hours.is_open(at(0, 20))
    assert not hours.is_open(at(2, 8, 30))  # Saturday
    assert hours.is_open(at(2, 9))
    assert hours.describe() == "周一至周五 08:00-20:00；周六、周日 09:00-17:00"


def test_overnight_hours_run_into_the_next_morning() -> None:
    hours = OpeningHours.parse("Mo-Su 18:00-06:00")
    assert hours.is_open(at(0, 23, 30))
    assert hours.is_open(at(1, 5, 59))
    assert not hours.is_open(at(1, 6))
    assert not hours.is_open(at(1, 12))
    assert "次日06:00" in hours.describe()


def test_a_day_off_and_split_hours() -> None:
    hours = OpeningHours.parse("Mo-Sa 08:00-12:00,14:00-18:00; Su off")
    assert hours.is_open(at(0, 11))
    assert not hours.is_open(at(0, 13))
    assert not hours.is_open(at(3, 11))  # Sunday


@pytest.mark.parametrize("text", ["", "always", "Mo-Fr 8-20", "Xx 08:00-10:00", "Mo 25:00-26:00"])
def test_unreadable_hours_are_rejected(text: str) -> None:
    with pytest.raises(OpeningHoursError):
        OpeningHours.parse(text)
