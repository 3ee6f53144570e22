"""A small, known map for the station tests: the sample's places replaced by a handful near 英雄中路."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional

from sqlalchemy import delete
from sqlalchemy.orm import Session

from core import geo, vocabulary
from core.models import Place
from core.places import GRIDS
from core.services import Services

# 英雄中路 in content/gazetteer/landmarks.csv.
ORIGIN = (36.1955, 113.1160)
M_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class Known:
    id: int
    name: str
    lat: float
    lon: float
    phone: str
    address: str

    def distance_from(self, lat: float, lon: float) -> int:
        return round(geo.distance_m(lat, lon, self.lat, self.lon))


def north_of_origin(metres: float) -> tuple:
    return ORIGIN[0] + metres / M_PER_DEGREE_LAT, ORIGIN[1]


def add_place(
    session: Session,
    name: str,
    kind: str,
    metres_north: float,
    amenities: List[str],
    hours: str = "24/7",
    phone: str = "0355-1234567",
    district: str = "潞州区",
    closed_until: Optional[datetime] = None,
) -> Known:
    lat, lon = north_of_origin(metres_north)
    place = Place(
        kind=kind,
        name=name,
        address=f"{district}英雄中路{int(metres_north)}号",
        district=district,
        street="英雄中路",
        lat=lat,
        lon=lon,
        hours=hours,
        amenity_mask=vocabulary.mask_of(amenities),
        phone=phone,
        closed_until=closed_until,
        **{column: grid.cell_of(lat, lon) for _, grid, column in GRIDS},
    )
    session.add(place)
    session.flush()
    return Known(place.id, name, lat, lon, phone, place.address)


def small_map(core: Services) -> Dict[str, Known]:
    """Only these places: three open ones within 3 km, a closed one next door, the city's 党群服务中心."""

    def build(session: Session) -> Dict[str, Known]:
        session.execute(delete(Place))
        return {
            "closed": add_place(
                session,
                "暖新驿站·装修中",
                "暖新驿站",
                100,
                list(vocabulary.AMENITIES),
                closed_until=datetime(2030, 1, 1),
            ),
            "near": add_place(
                session, "暖新驿站·英雄中路", "暖新驿站", 300, ["drinking_water", "phone_charging", "microwave"]
            ),
            "day": add_place(
                session, "司机之家·英雄中路", "司机之家", 700, ["drinking_water", "toilet"], "Mo-Su 08:00-20:00", ""
            ),
            "far": add_place(
                session,
                "王记面馆（爱心商户）",
                "爱心商户",
                2_500,
                ["drinking_water", "phone_charging", "seats", "toilet", "microwave", "wifi"],
            ),
            "centre": add_place(
                session,
                "长治市党群服务中心",
                "党群服务中心",
                20_000,
                ["drinking_water", "microwave"],
                "Mo-Su 08:00-21:00",
                "0355-2100000",
            ),
        }

    return core.transaction(build)
