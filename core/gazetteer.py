"""Turn what a worker says ("英雄中路", "长治县", "屯留") into a point on the map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import geo
from core.models import District, Landmark

# A point farther than this from every district centre is not in the city (长治's counties
# reach about 40 km from their seats).
DISTRICT_REACH_M = 45_000


@dataclass(frozen=True)
class Location:
    """A resolved place: its canonical name, district and WGS-84 point."""

    name: str
    district: str
    lat: float
    lon: float
    is_district: bool


def _surfaces(session: Session) -> List[Tuple[str, Location]]:
    """Every alias of every landmark and district, longest first."""
    found: Dict[str, Location] = {}
    for d in session.scalars(select(District)):
        location = Location(d.name, d.name, d.lat, d.lon, True)
        for alias in [d.name, *filter(None, d.aliases.split("|"))]:
            found.setdefault(alias, location)
    for lm in session.scalars(select(Landmark)):
        location = Location(lm.name, lm.district, lm.lat, lm.lon, False)
        for alias in [lm.name, *filter(None, lm.aliases.split("|"))]:
            found[alias] = location  # a landmark's name beats a district's short form
    return sorted(found.items(), key=lambda item: len(item[0]), reverse=True)


def resolve(session: Session, text: str) -> Optional[Location]:
    """The most specific place named in `text`: the longest alias, a landmark before a district."""
    if not text:
        return None
    best: Optional[Location] = None
    for alias, location in _surfaces(session):
        if alias in text:
            if not location.is_district:
                return location
            best = best or location
    return best


def district_named(session: Session, text: str) -> Optional[str]:
    """Today's name of the district or county named in `text` (by any of its names)."""
    location = resolve(session, text)
    return location.district if location else None


def district_centre(session: Session, name: str) -> Optional[Location]:
    """The centre of a district given by its canonical name."""
    district = session.get(District, name)
    if district is None:
        return None
    return Location(district.name, district.name, district.lat, district.lon, True)


def district_at(session: Session, lat: float, lon: float) -> Optional[str]:
    """The district whose centre is nearest a point in the city; None for a point outside it.

    Good enough to route a report to a district's staff (who can transfer it); not a boundary test.
    """
    nearest = min(
        ((geo.distance_m(lat, lon, d.lat, d.lon), d.name) for d in session.scalars(select(District))), default=None
    )
    return nearest[1] if nearest and nearest[0] <= DISTRICT_REACH_M else None
