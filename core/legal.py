"""Legal first steps (texts admins edit) and the nearest legal-aid point."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import geo
from core.models import District, LegalAidPoint, LegalGuide

LEGAL_INTENTS = (
    "legal_wage_arrears",
    "legal_work_injury",
    "legal_traffic_accident",
    "legal_platform_dispute",
    "legal_labor_contract",
    "legal_social_insurance",
    "legal_aid_general",
)
# Kinds of legal-aid point, best first when several serve a district.
AID_POINT_KINDS = ("法律援助中心", "司法所", "职工服务站")


def guide(session: Session, intent: str) -> Optional[LegalGuide]:
    """The guide for a legal intent, or the general one when it is missing."""
    return session.get(LegalGuide, intent) or session.get(LegalGuide, "legal_aid_general")


def nearest_aid_point(
    session: Session,
    district: Optional[str] = None,
    lat: Optional[float] = None,
    lon: Optional[float] = None,
) -> Optional[LegalAidPoint]:
    """The closest point to a location; else the district's legal-aid centre; else the city's."""
    points = list(session.scalars(select(LegalAidPoint)))
    if not points:
        return None
    if lat is None or lon is None:
        centre = session.get(District, district) if district else None
        if centre is None:
            return _best_in(points, district) or _best_in(points, "潞州区") or points[0]
        lat, lon = centre.lat, centre.lon
    if district:
        in_district = [p for p in points if p.district == district]
        points = in_district or points
    return min(points, key=lambda p: geo.distance_m(lat, lon, p.lat, p.lon))


def _best_in(points: list, district: Optional[str]) -> Optional[LegalAidPoint]:
    candidates = [p for p in points if p.district == district]
    candidates.sort(key=lambda p: AID_POINT_KINDS.index(p.kind) if p.kind in AID_POINT_KINDS else 99)
    return candidates[0] if candidates else None
