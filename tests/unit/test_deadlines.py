from datetime import timedelta

import pytest

from core import deadlines


def test_defaults_follow_the_12345_practice() -> None:
    assert deadlines.parse() == {
        "urgent": (timedelta(hours=2), timedelta(hours=24)),
        "ordinary": (timedelta(hours=24), timedelta(days=7)),
        "complex": (timedelta(hours=24), timedelta(days=15)),
    }


@pytest.mark.parametrize("text", ["urgent=2h/1d", "urgent=2x/1d,ordinary=1d/7d,complex=1d/15d", "nonsense"])
def test_bad_configuration_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        deadlines.parse(text)


def test_spaces_around_names_spans_and_commas_are_allowed() -> None:
    rules = deadlines.parse(" urgent = 1h / 12h , ordinary=2d/ 10d, ,complex= 3d/30d ")
    assert rules == {
        "urgent": (timedelta(hours=1), timedelta(hours=12)),
        "ordinary": (timedelta(days=2), timedelta(days=10)),
        "complex": (timedelta(days=3), timedelta(days=30)),
    }
