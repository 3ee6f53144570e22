import itertools
import random
from urllib.parse import parse_qs, urlparse

import pytest

from core import geo


def test_distance_between_two_known_points() -> None:
    # 长治站 to 八一广场, about 2.2 km apart.
    d = geo.distance_m(36.1865, 113.1410, 36.1925, 113.1175)
    assert 2000 < d < 2400


def test_gcj02_offsets_points_in_china_by_hundreds_of_metres_and_round_trips() -> None:
    lat, lon = 36.1953, 113.1163
    glat, glon = geo.wgs84_to_gcj02(lat, lon)
    offset = geo.distance_m(lat, lon, glat, glon)
    assert 100 < offset < 800
    back = geo.gcj02_to_wgs84(glat, glon)
    assert geo.distance_m(lat, lon, *back) < 0.5


def test_gcj02_leaves_points_outside_china_alone() -> None:
    assert geo.wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)


def test_map_link_carries_gcj02_coordinates() -> None:
    link = geo.amap_link(36.1953, 113.1163, "潞州区")
    query = parse_qs(urlparse(link).query)
    lon, lat = (float(v) for v in query["position"][0].split(","))
    assert (lat, lon) == pytest.approx(geo.wgs84_to_gcj02(36.1953, 113.1163), abs=1e-6)
    assert query["coordinate"] == ["gaode"]


def test_the_cells_of_a_circle_hold_every_point_in_it_and_leave_out_the_corners() -> None:
    rng = random.Random(3)
    cases = [(36.19, 113.11, 250), (36.19, 113.11, 1000), (36.8, 112.9, 30_000)]
    for (lat, lon, radius), grid in itertools.product(cases, [geo.STREET_GRID, geo.TOWN_GRID, geo.COUNTY_GRID]):
        cells = set(grid.cells_within(lat, lon, radius))
        inside = corners = 0
        for _ in range(2000):
            point = (lat + rng.uniform(-1, 1) * radius / 100_000, lon + rng.uniform(-1, 1) * radius / 80_000)
            covered = grid.cell_of(*point) in cells
            if geo.distance_m(lat, lon, *point) <= radius:
                inside += 1
                assert covered, (lat, lon, radius, point)
            elif geo.distance_m(lat, lon, *point) > 1.5 * radius:
                corners += not covered
        assert inside > 500
        assert corners > 0 or radius < 10 * grid.degrees * 111_000  # wide circles leave out the corners
