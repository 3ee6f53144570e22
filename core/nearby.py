"""A rider's questions about stations near them: from where, what is near, open when.

The conversation remembers the last place a rider gave (`Origin`) and the last
list it showed (ids in order); both travel through the dialogue as plain dicts,
so this module turns them back into searches and answers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import gazetteer, geo, places, vocabulary
from core.clock import Clock
from core.models import Place

# Within this distance a rider walks; beyond it, the answer gives kilometres and the e-bike time.
WALKING_M = 1_000
EITHER_HALF = "?"
PARTY_CENTRE = "党群服务中心"
# The district of the city's own 党群服务中心.
CITY_DISTRICT = "潞州区"
NOW = "now"


@dataclass(frozen=True)
class Origin:
    """Where a search starts, and how the rider named it (empty: their shared location)."""

    lat: float
    lon: float
    where: str
    approximate: bool
    district: Optional[str]

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: Any) -> Optional[Origin]:
        """The origin a conversation remembered, or None if it holds none (or a broken one)."""
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                float(value["lat"]),
                float(value["lon"]),
                str(value.get("where") or ""),
                bool(value.get("approximate")),
                value.get("district"),
            )
        except (KeyError, TypeError, ValueError):
            return None


def origin_of(
    session: Session,
    lat: Optional[float] = None,
    lon: Optional[float] = None,
    place: Optional[str] = None,
    district: Optional[str] = None,
) -> Optional[Origin]:
    """The most precise of what the rider gave: coordinates, a street or landmark, a district."""
    if lat is not None and lon is not None:
        return Origin(float(lat), float(lon), "", False, None)
    location = gazetteer.resolve(session, place) if place else None
    if location is None and district:
        location = gazetteer.district_centre(session, district)
    if location is None:
        return None
    return Origin(location.lat, location.lon, location.name, location.is_district, location.district)


@dataclass(frozen=True)
class Listing:
    """Places found for a rider, nearest first, and what the search had to do to find them."""

    hits: Tuple[places.Hit, ...]
    first_radius_m: int

    @property
    def nothing_close(self) -> bool:
        """Even the nearest lies beyond the first radius: the answer says how far it had to look."""
        return bool(self.hits) and self.hits[0].distance_m > self.first_radius_m


def search(
    session: Session,
    origin: Origin,
    clock: Clock,
    amenities: Sequence[str] = (),
    kinds: Sequence[str] = (),
    exclude: Sequence[int] = (),
    limit: int = 3,
) -> Listing:
    """The nearest places open now with every amenity asked for, skipping those already shown."""
    found = places.nearest(
        session,
        origin.lat,
        origin.lon,
        amenity_mask=vocabulary.mask_of(amenities),
        kinds=list(kinds),
        open_at=(clock.local(), clock.utc()),
        limit=limit + len(exclude),
    )
    shown = set(exclude)
    hits = tuple(hit for hit in found.hits if hit.place.id not in shown)[:limit]
    return Listing(hits, places.SEARCH_RADII[0])


def listed(session: Session, ids: Sequence[int], origin: Optional[Origin]) -> List[places.Hit]:
    """The places of an earlier list, in its order, with their distance from the origin."""
    rows = {p.id: p for p in session.scalars(select(Place).where(Place.id.in_(list(ids))))}
    return [_hit(rows[i], origin) for i in ids if i in rows]


def _hit(place: Place, origin: Optional[Origin]) -> places.Hit:
    distance = geo.distance_m(origin.lat, origin.lon, place.lat, place.lon) if origin else 0
    return places.Hit(place, round(distance))


def moment(value: str, clock: Clock) -> Tuple[datetime, datetime]:
    """(local, UTC) time a rider asked about: `now`, `22:00`, or `10:00?` (10:00 or 22:00, the next to come).

    A time already past today means tomorrow's.
    """
    now = clock.local()
    if value == NOW:
        return now, clock.utc()
    either = value.endswith(EITHER_HALF)
    hour, minute = (int(part) for part in value.rstrip(EITHER_HALF).split(":"))
    candidates = [now.replace(hour=hour % 24, minute=minute, second=0, microsecond=0)]
    if either:
        candidates.append(candidates[0] + timedelta(hours=12))
    upcoming = [c if c >= now - timedelta(minutes=30) else c + timedelta(days=1) for c in candidates]
    local = min(upcoming)
    return local, clock.utc() + (local - now)


def amenity_codes(place: Place) -> List[str]:
    return vocabulary.codes_of(place.amenity_mask)


def party_centre(session: Session, district: Optional[str]) -> Optional[Place]:
    """Where to send a rider when nothing near is open: the district's 党群服务中心, else the city's."""
    centres = list(session.scalars(select(Place).where(Place.kind == PARTY_CENTRE).order_by(Place.id)))
    return next((c for c in centres if c.district == district), None) or next(
        (c for c in centres if c.district == CITY_DISTRICT), centres[0] if centres else None
    )
