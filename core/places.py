"""Nearest-place search: grid-cell index, amenity bits, open-now, widening radius."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import geo
from core.models import Place
from core.opening_hours import OpeningHours, OpeningHoursError

# Radii tried in turn until enough places are found (metres).
SEARCH_RADII = (1_000, 3_000, 10_000, 30_000)
# Above this radius a bounding box reads fewer index entries than a list of cells.
MAX_CELL_RADIUS = 10_000
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

    `open_at` is (local time, UTC time) to keep only places open then. Radii are
    tried in turn; `widened` says the first radius was not enough. Candidates
    are read as bare columns and only the winners are loaded as objects, so the
    cost stays small where places are dense.
    """
    chosen: List[Tuple[int, int]] = []
    radius = radii[0]
    for radius in radii:
        chosen = _nearest_ids(session, lat, lon, radius, amenity_mask, kinds, open_at, limit)
        if len(chosen) >= limit:
            break
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
) -> List[Tuple[int, int]]:
    """(id, distance) of the nearest qualifying places within `radius`, nearest first."""
    query = select(Place.id, Place.lat, Place.lon, Place.hours, Place.closed_until)
    if radius <= MAX_CELL_RADIUS:
        query = query.where(Place.cell.in_(list(geo.cells_around(lat, lon, radius))))
    else:
        lat_min, lat_max, lon_min, lon_max = geo.bounding_box(lat, lon, radius)
        query = query.where(Place.lat.between(lat_min, lat_max), Place.lon.between(lon_min, lon_max))
    if amenity_mask:
        query = query.where(Place.amenity_mask.op("&")(amenity_mask) == amenity_mask)
    if kinds:
        query = query.where(Place.kind.in_(list(kinds)))
    scale = math.cos(math.radians(lat))
    candidates = []
    for row in session.execute(query):
        # Equirectangular distance orders candidates; haversine measures the winners.
        dy, dx = row.lat - lat, (row.lon - lon) * scale
        candidates.append((dy * dy + dx * dx, row))
    candidates.sort(key=lambda c: c[0])
    chosen: List[Tuple[int, int]] = []
    for _, row in candidates:
        distance = geo.distance_m(lat, lon, row.lat, row.lon)
        if distance > radius:
            continue
        if open_at is not None and not _open(row.hours, row.closed_until, *open_at):
            continue
        chosen.append((row.id, round(distance)))
        if len(chosen) == limit:
            break
    return chosen


def _open(hours_text: str, closed_until: Optional[datetime], local_now: datetime, utc_now: datetime) -> bool:
    if closed_until is not None and closed_until > utc_now:
        return False
    hours = opening_hours(hours_text)
    return hours is not None and hours.is_open(local_now)


def is_open(place: Place, local_now: datetime, utc_now: datetime) -> bool:
    """Open at `local_now` and not temporarily closed at `utc_now`."""
    return _open(place.hours, place.closed_until, local_now, utc_now)
