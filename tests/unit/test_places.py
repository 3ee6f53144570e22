"""Nearest-place search against the sample content, on SQLite and PostgreSQL."""

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

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


# Found by bench/mutation.py: the work a search does, travel times, grids, boundaries ----------


def reads_of(services: Services, monkeypatch, lat: float, lon: float, **kw):
    """(radius, candidates, chosen) of each circle read, and (grid column, LIMIT … OFFSET …) of each statement."""
    calls, statements = [], []
    read = places._nearest_ids

    def counted(session, lat, lon, radius, *args):
        found = read(session, lat, lon, radius, *args)
        calls.append((radius, found[1], len(found[0])))
        return found

    def statement(_conn, _cursor, sql, *_):
        if " FROM places WHERE " in sql and "LIMIT" in sql:
            statements.append((sql.split(" WHERE ")[1].split(" IN ")[0], sql.rsplit("LIMIT", 1)[1].strip()))

    monkeypatch.setattr(places, "_nearest_ids", counted)
    event.listen(services.engine, "before_cursor_execute", statement)
    try:
        with services.session_factory() as session:
            result = places.nearest(session, lat, lon, **kw)
    finally:
        event.remove(services.engine, "before_cursor_execute", statement)
    return result, calls, statements


def test_a_search_in_town_reads_one_small_circle_once(sqlite_services: Services, monkeypatch) -> None:
    result, calls, statements = reads_of(sqlite_services, monkeypatch, *CENTRE, open_at=NOW)
    assert len(result.hits) == 3 and (result.radius_m, result.widened) == (1000, False)
    assert calls == [(250, 19, 3)] and statements == [("street_cell", "24 OFFSET 0")]


def test_empty_country_is_crossed_in_doubling_steps_on_ever_coarser_grids(
    sqlite_services: Services, monkeypatch
) -> None:
    result, calls, statements = reads_of(sqlite_services, monkeypatch, 36.55, 112.10, open_at=NOW)
    assert (result.radius_m, result.widened, len(result.hits)) == (30000, True, 3)
    assert [c[0] for c in calls] == [250, 500, 1000, 2000, 4000, 10000, 20000, 25000]
    assert [c[1] for c in calls] == [0, 0, 0, 0, 0, 0, 24, 24]
    assert [s[0] for s in statements] == ["street_cell"] * 4 + ["cell"] * 2 + ["county_cell"] * 2
    assert all(s[1] == "24 OFFSET 0" for s in statements)  # each circle ended within its first batch


def test_a_search_that_filters_many_out_reads_on_batch_by_batch(sqlite_services: Services, monkeypatch) -> None:
    night = (datetime(2026, 11, 26, 2, 30), datetime(2026, 11, 25, 18, 30))
    result, calls, statements = reads_of(sqlite_services, monkeypatch, *CENTRE, open_at=night, limit=10)
    assert len(result.hits) == 10 and result.radius_m == 1000
    assert calls == [(250, 19, 4), (500, 44, 10)]
    assert statements == [
        ("street_cell", "24 OFFSET 0"),
        ("street_cell", "24 OFFSET 0"),
        ("street_cell", "24 OFFSET 24"),
    ]


def test_the_radii_told_and_the_steps_between_them() -> None:
    assert places.SEARCH_RADII == (1_000, 3_000, 10_000, 30_000)
    assert places.STEPS == (250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 7000, 10000, 12500, 15000, 17500, 20000,
                            25000, 30000)  # fmt: skip
    assert places.BATCH == 24


@pytest.mark.parametrize(
    ("radius", "column"),
    [(250, "street_cell"), (2000, "street_cell"), (2001, "cell"), (10000, "cell"), (10001, "county_cell")],
)
def test_each_radius_reads_the_grid_that_suits_it(radius: int, column: str) -> None:
    sql = places._circle_query(*CENTRE, radius, 0, ())
    assert sql.split(" WHERE ")[1].startswith(f"{column} IN (")
    cells = sql.split(" IN (", 1)[1].split(")", 1)[0].split(", ")
    assert all(cell.lstrip("-").isdigit() for cell in cells) and 1 < len(cells) <= 400


def test_an_unknown_kind_of_place_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kinds of place"):
        places._circle_query(*CENTRE, 1000, 0, ("不存在的地方",))


@pytest.mark.parametrize(
    ("metres", "walk", "ebike"), [(0, 1, 1), (80, 1, 1), (900, 11, 4), (2000, 25, 8), (2380, 30, 10), (3260, 41, 13)]
)
def test_travel_minutes_at_eighty_metres_on_foot_and_two_hundred_fifty_by_e_bike(
    metres: int, walk: int, ebike: int
) -> None:
    hit = places.Hit(Place(), metres)
    assert (hit.walk_minutes, hit.ebike_minutes) == (walk, ebike)


def test_a_place_closed_until_now_is_open_again() -> None:
    local, utc = NOW
    place = Place(hours="24/7", closed_until=utc)
    assert places.is_open(place, local, utc) is True
    place.closed_until = utc + timedelta(seconds=1)
    assert places.is_open(place, local, utc) is False
    assert places.is_open(Place(hours="not hours at all", closed_until=None), local, utc) is False


def test_several_kinds_of_place_are_all_searched(services: Services) -> None:
    with services.session_factory() as session:
        result = places.nearest(session, *CENTRE, kinds=["司机之家", "暖新驿站"], limit=40, radii=(30_000,))
    assert {h.place.kind for h in result.hits} == {"司机之家", "暖新驿站"}
