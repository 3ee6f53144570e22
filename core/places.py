"""Nearest-place search: grid-cell ranges, amenity bits, open-now, a growing radius."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from core import geo
from core.models import Place
from core.opening_hours import OpeningHours, OpeningHoursError

# Radii a worker is told about, tried in turn until enough places are found (metres).
SEARCH_RADII = (1_000, 3_000, 10_000, 30_000)
# The search grows by these steps, so that each read holds few more places than it needs:
# on a dense street the first one; out of town no step reaches far into a dense centre.
STEPS = tuple(int(km * 1000) for km in (0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 7, 10, 12.5, 15, 17.5, 20, 25, 30))
# Up to this radius the street grid is read (under thirty ranges), beyond it the town grid.
STREET_RADIUS_M = 3_000
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
    distance (exact enough within a city) from its covering index and hands
    them over a batch at a time; the exact distance decides, and opening hours
    are read and checked here, where they can be parsed, for near ones only.
    """
    query = select(Place.id, Place.lat, Place.lon).where(_cells_within(lat, lon, radius))
    if amenity_mask:
        query = query.where(Place.amenity_mask.op("&")(amenity_mask) == amenity_mask)
    if kinds:
        query = query.where(Place.kind.in_(list(kinds)))
    scale = math.cos(math.radians(lat))
    dlat, dlon = Place.lat - lat, (Place.lon - lon) * scale
    query = query.order_by(dlat * dlat + dlon * dlon, Place.id)
    chosen: List[Tuple[int, int]] = []
    candidates = 0
    for offset in itertools.count(0, BATCH):
        rows = session.execute(query.limit(BATCH).offset(offset)).all()
        candidates += len(rows)
        near, beyond = [], False
        for row in rows:
            distance = geo.distance_m(lat, lon, row.lat, row.lon)
            if distance <= radius:
                near.append((row.id, round(distance)))
            elif distance > radius * _ORDER_SLACK:
                beyond = True  # this row and every later one lie further out
                break
        chosen += _open_now(session, near, open_at)
        if beyond or len(chosen) >= limit or len(rows) < BATCH:
            break
    return sorted(chosen, key=lambda found: found[1])[:limit], candidates


def _open_now(
    session: Session, found: List[Tuple[int, int]], open_at: Optional[Tuple[datetime, datetime]]
) -> List[Tuple[int, int]]:
    """The places among `found` that are open at `open_at` (all of them when it is None)."""
    if open_at is None or not found:
        return found
    query = select(Place.id, Place.hours, Place.closed_until).where(Place.id.in_([i for i, _ in found]))
    open_ids = {row.id for row in session.execute(query) if _open(row.hours, row.closed_until, *open_at)}
    return [f for f in found if f[0] in open_ids]


def _cells_within(lat: float, lon: float, radius: int) -> TextClause:
    """The cells that meet the circle, on the grid that suits its radius, as one condition.

    A range per row of the grid: a few on the street grid near by, a few dozen
    on the town grid across town. Built as expressions with two bound
    parameters each, a hundred ranges cost the search ten times what the
    database spends on it; the bounds are integers computed here, so writing
    them into the SQL is safe.
    """
    grid, column = (geo.STREET_GRID, Place.street_cell) if radius <= STREET_RADIUS_M else (geo.TOWN_GRID, Place.cell)
    name = f"{Place.__tablename__}.{column.key}"
    either = " OR ".join(f"{name} BETWEEN {int(a)} AND {int(b)}" for a, b in grid.ranges_within(lat, lon, radius))
    return text(f"({either})")  # a text clause is not parenthesised for the AND that follows


def _open(hours_text: str, closed_until: Optional[datetime], local_now: datetime, utc_now: datetime) -> bool:
    if closed_until is not None and closed_until > utc_now:
        return False
    hours = opening_hours(hours_text)
    return hours is not None and hours.is_open(local_now)


def is_open(place: Place, local_now: datetime, utc_now: datetime) -> bool:
    """Open at `local_now` and not temporarily closed at `utc_now`."""
    return _open(place.hours, place.closed_until, local_now, utc_now)
