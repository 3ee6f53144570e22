"""Answers about stations near a rider: the origin, more of the list, a time asked about (core.nearby)."""

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core import nearby
from core.clock import Clock
from core.services import Services
from tests.conftest import FIXED_UTC

# Thursday 2026-11-26 14:00 in 长治.
CLOCK = Clock(ZoneInfo("Asia/Shanghai"), FIXED_UTC)


def test_coordinates_before_a_place_before_a_district(services: Services) -> None:
    shared = services.read(lambda s: nearby.origin_of(s, 36.2, 113.1, "英雄中路", "屯留区"))
    street = services.read(lambda s: nearby.origin_of(s, None, None, "英雄中路", "屯留区"))
    district = services.read(lambda s: nearby.origin_of(s, district="屯留区"))
    assert (shared.lat, shared.where, shared.approximate) == (36.2, "", False)
    assert (street.where, street.district, street.approximate) == ("英雄中路", "潞州区", False)
    assert (district.where, district.approximate) == ("屯留区", True)
    assert services.read(lambda s: nearby.origin_of(s, place="火星基地")) is None


def test_an_origin_survives_the_conversation_as_a_dict() -> None:
    origin = nearby.Origin(36.1, 113.1, "英雄中路", False, "潞州区")
    assert nearby.Origin.from_dict(origin.as_dict()) == origin
    assert nearby.Origin.from_dict({"lat": "x"}) is None and nearby.Origin.from_dict(None) is None


def test_more_places_skip_those_already_shown(services: Services) -> None:
    origin = services.read(lambda s: nearby.origin_of(s, place="英雄中路"))
    first = services.read(lambda s: nearby.search(s, origin, CLOCK))
    shown = [hit.place.id for hit in first.hits]
    more = services.read(lambda s: nearby.search(s, origin, CLOCK, exclude=shown))
    assert len(first.hits) == len(more.hits) == 3
    assert not {hit.place.id for hit in more.hits} & set(shown)
    assert more.hits[0].distance_m >= first.hits[-1].distance_m


def test_a_search_that_had_to_go_far_says_so(services: Services) -> None:
    origin = nearby.Origin(36.05, 113.05, "上党区", True, "上党区")
    near = services.read(lambda s: nearby.search(s, origin, CLOCK, kinds=["司机之家"]))
    remote = nearby.Origin(36.2, 112.7, "屯留和沁源之间的山里", False, None)
    far = services.read(lambda s: nearby.search(s, remote, CLOCK))
    assert near.hits and not near.nothing_close
    assert far.hits and far.nothing_close and far.hits[0].distance_m > far.first_radius_m


def test_the_list_comes_back_in_its_order_with_distances(services: Services) -> None:
    origin = services.read(lambda s: nearby.origin_of(s, place="英雄中路"))
    first = services.read(lambda s: nearby.search(s, origin, CLOCK))
    ids = [hit.place.id for hit in reversed(first.hits)]
    again = services.read(lambda s: nearby.listed(s, [*ids, 10**9], origin))
    assert [hit.place.id for hit in again] == ids
    assert [hit.distance_m for hit in again] == [hit.distance_m for hit in reversed(first.hits)]


@pytest.mark.parametrize(
    ("value", "local"),
    [
        ("now", datetime(2026, 11, 26, 14, 0)),
        ("22:00", datetime(2026, 11, 26, 22, 0)),
        ("09:00", datetime(2026, 11, 27, 9, 0)),  # past today: tomorrow's
        ("10:00?", datetime(2026, 11, 26, 22, 0)),  # 十点 in the afternoon: this evening
        ("03:00?", datetime(2026, 11, 26, 15, 0)),  # 三点 at 14:00: this afternoon
        ("01:00?", datetime(2026, 11, 27, 1, 0)),  # 一点 at 14:00: tonight (13:00 has passed)
    ],
)
def test_the_moment_asked_about(value: str, local: datetime) -> None:
    found, utc = nearby.moment(value, CLOCK)
    assert found == local
    assert utc == FIXED_UTC + (local - datetime(2026, 11, 26, 14, 0))


def test_the_moment_just_past_is_still_today() -> None:
    clock = replace(CLOCK, fixed_utc=datetime(2026, 11, 26, 6, 20))  # 14:20
    assert nearby.moment("14:00", clock)[0] == datetime(2026, 11, 26, 14, 0)


def test_the_party_centre_of_the_district_else_the_citys(services: Services) -> None:
    own = services.read(lambda s: nearby.party_centre(s, "襄垣县"))
    city = services.read(lambda s: nearby.party_centre(s, "屯留区"))
    assert own.district == "襄垣县" and own.kind == "党群服务中心"
    assert city.district == nearby.CITY_DISTRICT
