"""Nearest-place search against the sample content, on SQLite and PostgreSQL."""

import random
from datetime import datetime

from sqlalchemy import select

from core import geo, places, vocabulary
from core.models import Place
from core.services import Services

CENTRE = (36.1955, 113.1160)  # 英雄中路
NOW = (datetime(2026, 11, 26, 14, 0), datetime(2026, 11, 26, 6, 0))


def test_three_nearest_are_sorted_and_within_the_radius(services: Services) -> None:
    with services.session_factory() as session:
        result = places.nearest(session, *CENTRE, open_at=NOW)
    assert len(result.hits) == 3
    distances = [h.distance_m for h in result.hits]
    assert distances == sorted(distances)
    assert all(d <= result.radius_m for d in distances)
    for hit in result.hits:
        assert abs(geo.distance_m(*CENTRE, hit.place.lat, hit.place.lon) - hit.distance_m) <= 1


def test_only_places_with_every_amenity_asked_for(services: Services) -> None:
    mask = vocabulary.mask_of(["battery_charging", "microwave"])
    with services.session_factory() as session:
        result = places.nearest(session, *CENTRE, amenity_mask=mask, open_at=NOW)
    assert result.hits
    assert all(h.place.amenity_mask & mask == mask for h in result.hits)


def test_closed_places_are_left_out_at_night(services: Services) -> None:
    night = (datetime(2026, 11, 26, 2, 30), datetime(2026, 11, 25, 18, 30))
    with services.session_factory() as session:
        result = places.nearest(session, *CENTRE, open_at=night, limit=10)
        assert result.hits
        for hit in result.hits:
            assert places.is_open(hit.place, *night)
            assert hit.place.hours in ("24/7", "Mo-Su 18:00-06:00")


def test_a_temporarily_closed_place_is_never_offered(services: Services) -> None:
    with services.session_factory() as session:
        closed = session.scalars(select(Place).where(Place.closed_until.is_not(None))).first()
        assert closed is not None
        result = places.nearest(session, closed.lat, closed.lon, open_at=NOW, limit=20)
    assert closed.id not in {h.place.id for h in result.hits}


def test_the_radius_widens_when_nothing_is_near(services: Services) -> None:
    far_corner = (36.55, 112.10)  # west of 沁源县, in the hills
    with services.session_factory() as session:
        result = places.nearest(session, *far_corner, open_at=NOW)
    assert result.widened
    assert result.radius_m > places.SEARCH_RADII[0]
    assert result.hits


def test_filter_by_kind_of_place(services: Services) -> None:
    with services.session_factory() as session:
        result = places.nearest(session, *CENTRE, kinds=["司机之家"], radii=(30_000,))
    assert result.hits
    assert {h.place.kind for h in result.hits} == {"司机之家"}


def test_travel_times_on_foot_and_by_e_bike(services: Services) -> None:
    with services.session_factory() as session:
        hit = places.nearest(session, *CENTRE, limit=1).hits[0]
    assert hit.walk_minutes >= hit.ebike_minutes >= 1


def test_the_growing_search_finds_exactly_what_reading_every_place_finds(services: Services) -> None:
    """Against a brute-force search over all places: points in town and out, filters on and off."""
    rng = random.Random(5)
    masks = [0, vocabulary.mask_of(["phone_charging"]), vocabulary.mask_of(["battery_charging", "microwave"])]
    night = (datetime(2026, 11, 26, 2, 30), datetime(2026, 11, 25, 18, 30))
    with services.session_factory() as session:
        everything = list(session.scalars(select(Place)))
        for _ in range(40):
            lat, lon = CENTRE[0] + rng.uniform(-0.6, 0.6), CENTRE[1] + rng.uniform(-0.6, 0.6)
            mask, when = rng.choice(masks), rng.choice([NOW, night])
            result = places.nearest(session, lat, lon, amenity_mask=mask, open_at=when)
            qualifying = sorted(
                (geo.distance_m(lat, lon, p.lat, p.lon), p.id)
                for p in everything
                if p.amenity_mask & mask == mask and places.is_open(p, *when)
            )
            within = [(d, i) for d, i in qualifying if d <= result.radius_m][:3]
            assert [h.place.id for h in result.hits] == [i for _, i in within], (lat, lon, mask, when)
            assert result.radius_m == next(
                (r for r in places.SEARCH_RADII if sum(d <= r for d, _ in qualifying) >= 3), places.SEARCH_RADII[-1]
            )
