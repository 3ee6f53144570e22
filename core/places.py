"""Nearest-place search: grid-cell ranges, amenity bits, open-now, a growing radius."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import geo, vocabulary
from core.models import Place
from core.opening_hours import OpeningHours, OpeningHoursError

# Radii a worker is told about, tried in turn until enough places are found (metres).
SEARCH_RADII = (1_000, 3_000, 10_000, 30_000)
# The search grows by these steps, so that each read holds few more places than it needs:
# on a dense street the first one; out of town no step reaches far into a dense centre.
STEPS = tuple(int(km * 1000) for km in (0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 7, 10, 12.5, 15, 17.5, 20, 25, 30))
# A step reads the cells of the finest grid that covers its circle with at most about
# 350 of them (radius up to, grid, column): few enough for either database to look
# each up in its index, where a long list would make PostgreSQL read the whole table.
# The importer (core.content.tables) writes every place's key for each of them.
GRIDS = (
    (2_000, geo.STREET_GRID, "street_cell"),
    (10_000, geo.TOWN_GRID, "cell"),
    (math.inf, geo.COUNTY_GRID, "county_cell"),
)
# Candidates handed over at a time, nearest first; most searches need one batch.
BATCH = 24
# Within a city the equirectangular order the database sorts by and the exact distance
# differ by far less than this factor, so a row beyond it ends the reading.
_ORDER_SLACK = 1.01
WALK_M_PER_MIN = 80
EBIKE_M_PER_MIN = 250


@dataclass(frozen=True)
class Hit:
    """A place with its distance from the worker and the travel times."""

    place: Place
    distance_m: int

    @property
    def walk_minutes(self) -> int:
        return max(1, round(self.distance_m / WALK_M_PER_MIN))

    @property
    def ebike_minutes(self) -> int:
        return max(1, round(self.distance_m / EBIKE_M_PER_MIN))


@dataclass(frozen=True)
class SearchResult:
    """The best places, the radius that found them, and whether it had to widen."""

    hits: Tuple[Hit, ...]
    radius_m: int
    widened: bool


@lru_cache(maxsize=4096)
def opening_hours(text: str) -> Optional[OpeningHours]:
    """Parsed hours, cached by text; None when the text cannot be read."""
    try:
        return OpeningHours.parse(text)
    except OpeningHoursError:
        return None


def nearest(
    session: Session,
    lat: float,
    lon: float,
    *,
    amenity_mask: int = 0,
    kinds: Sequence[str] = (),
    open_at: Optional[Tuple[datetime, datetime]] = None,
    limit: int = 3,
    radii: Sequence[int] = SEARCH_RADII,
) -> SearchResult:
    """The `limit` nearest places with every amenity in the mask.

    `open_at` is (local time, UTC time) to keep only places open then. The
    search grows from a few hundred metres through the radii a worker is told
    about; `radius_m` is the radius that found them and `widened` says the
    first was not enough. Every place within a step's radius lies in the
    circle it reads, so once a step finds `limit` places they are the nearest.
    Where a circle holds no candidate at all (out of town), the next step
    read is at least twice as wide: empty country costs a few reads, not one
    per step.
    """
    chosen: List[Tuple[int, int]] = []
    steps = sorted({*(r for r in STEPS if r < radii[-1]), *radii})
    reached = skip_below = 0
    for reached in steps:
        if reached < skip_below:
            continue
        chosen, candidates = _nearest_ids(session, lat, lon, reached, amenity_mask, kinds, open_at, limit)
        if len(chosen) >= limit:
            break
        skip_below = min(2 * reached, steps[-1]) if candidates == 0 else 0
    radius = next(r for r in radii if r >= reached)
    places = {p.id: p for p in session.scalars(select(Place).where(Place.id.in_([i for i, _ in chosen])))}
    hits = tuple(Hit(places[i], d) for i, d in chosen if i in places)
    return SearchResult(hits, radius, radius != radii[0])


def _nearest_ids(
    session: Session,
    lat: float,
    lon: float,
    radius: int,
    amenity_mask: int,
    kinds: Sequence[str],
    open_at: Optional[Tuple[datetime, datetime]],
    limit: int,
) -> Tuple[List[Tuple[int, int]], int]:
    """(id, distance) of the nearest qualifying places within `radius`, nearest first,
    and how many candidates the circle's cells gave (0: nothing of the kind near).

    The database orders the candidates of the circle by an equirectangular
    distance (exact enough within a city) from a covering index and hands
    them over a batch at a time; the exact distance decides, and the opening
    hours, also in the index, are checked here, where they can be parsed.
    """
    query = _circle_query(lat, lon, radius, amenity_mask, kinds)
    connection = session.connection()
    chosen: List[Tuple[int, int]] = []
    candidates = 0
    for offset in itertools.count(0, BATCH):
        rows = connection.exec_driver_sql(f"{query} LIMIT {BATCH} OFFSET {offset}").all()
        candidates += len(rows)
        beyond = False
        for row in rows:
            distance = geo.distance_m(lat, lon, row.lat, row.lon)
            if distance > radius * _ORDER_SLACK:
                beyond = True  # this row and every later one lie further out
                break
            if distance <= radius and (open_at is None or _open(row.hours, _as_datetime(row.closed_until), *open_at)):
                chosen.append((row.id, round(distance)))
        if beyond or len(chosen) >= limit or len(rows) < BATCH:
            break
    return sorted(chosen, key=lambda found: found[1])[:limit], candidates


def _as_datetime(value: Union[datetime, str, None]) -> Optional[datetime]:
    """A timestamp read by plain SQL: PostgreSQL's driver gives a datetime, SQLite's the text SQLAlchemy wrote."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _circle_query(lat: float, lon: float, radius: int, amenity_mask: int, kinds: Sequence[str]) -> str:
    """SQL for the candidates in the cells that meet the circle, nearest first.

    The cells are those of the grid that suits the radius (`GRIDS`), each
    looked up in a covering index: a list of keys reads no table row, where
    ranges joined by OR read one per candidate on both databases. The
    statement is plain SQL because a search runs it up to a dozen times and
    SQLAlchemy's building and caching of it cost seven times what the
    database spends; every value written into it is a number computed here
    or a kind of place from the vocabulary.
    """
    unknown = set(kinds) - set(vocabulary.PLACE_KINDS)
    if unknown:
        raise ValueError(f"unknown kinds of place: {sorted(unknown)}")
    grid, column = next((grid, column) for reach, grid, column in GRIDS if radius <= reach)
    where = [f"{column} IN ({', '.join(str(int(cell)) for cell in grid.cells_within(lat, lon, radius))})"]
    if amenity_mask:
        where.append(f"(amenity_mask & {int(amenity_mask)}) = {int(amenity_mask)}")
    if kinds:
        where.append("kind IN ({})".format(", ".join(f"'{kind}'" for kind in kinds)))
    lat, lon, squeeze = float(lat), float(lon), math.cos(math.radians(lat)) ** 2
    distance = f"(lat - {lat!r}) * (lat - {lat!r}) + (lon - {lon!r}) * (lon - {lon!r}) * {squeeze!r}"
    columns = "id, lat, lon, hours, closed_until"
    return f"SELECT {columns} FROM {Place.__tablename__} WHERE {' AND '.join(where)} ORDER BY {distance}, id"


def _open(hours_text: str, closed_until: Optional[datetime], local_now: datetime, utc_now: datetime) -> bool:
    if closed_until is not None and closed_until > utc_now:
        return False
    hours = opening_hours(hours_text)
    return hours is not None and hours.is_open(local_now)


def is_open(place: Place, local_now: datetime, utc_now: datetime) -> bool:
    """Open at `local_now` and not temporarily closed at `utc_now`."""
    return _open(place.hours, place.closed_until, local_now, utc_now)
