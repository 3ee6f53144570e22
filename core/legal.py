"""Legal first steps (texts admins edit), chosen by topic and working relationship, and the
nearest legal-aid point."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Dict, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import geo
from core.models import District, LegalAidPoint, LegalSection, LegalTopic

LEGAL_INTENTS = (
    "legal_wage_arrears",
    "legal_work_injury",
    "legal_traffic_accident",
    "legal_platform_dispute",
    "legal_labor_contract",
    "legal_social_insurance",
    "legal_aid_general",
)
# The kinds of working relationship a rider can be in, as they answer the question:
# 专送/站点招的, 众包/自己注册接单, 跟公司签了合同, 不清楚. `any` rows hold for all of them.
RELATIONSHIPS = ("dedicated", "crowd", "contract", "unknown", "any")
ANY = "any"
UNKNOWN = "unknown"
# The parts of an answer: the first screen holds the summary and the steps; the rest are buttons.
ASPECTS = ("summary", "steps", "evidence", "deadlines", "where")
FIRST_SCREEN = ("summary", "steps")
# Kinds of legal-aid point, best first when several serve a district.
AID_POINT_KINDS = ("法律援助中心", "司法所", "职工服务站")


def section_key(topic: str, relationship: str, aspect: str, valid_from: Optional[date] = None) -> str:
    """The natural key of a section: what it answers, and from when."""
    return "/".join((topic, relationship, aspect, valid_from.isoformat() if valid_from else ""))


@dataclass(frozen=True)
class Answer:
    """A topic's answer for one relationship on one day: each aspect's text, and the law behind it."""

    topic: str
    title: str
    texts: Dict[str, str]
    sources: Dict[str, str]

    def text(self, aspect: str) -> str:
        return self.texts.get(aspect, "")


def topic_for(session: Session, intent: str, text: str) -> Optional[LegalTopic]:
    """The intent's branch whose keyword the rider used (the longest match wins), else its default topic."""
    topics = list(session.scalars(select(LegalTopic).where(LegalTopic.intent == intent).order_by(LegalTopic.sort)))
    matches = [
        (len(word), -t.sort, t) for t in topics for word in t.keywords.split("|") if word.strip() and word in text
    ]
    if matches:
        return max(matches, key=lambda m: (m[0], m[1]))[2]
    default = intent.removeprefix("legal_")
    return next((t for t in topics if t.key == default), topics[0] if topics else None)


def topic_named(session: Session, key: str) -> Optional[LegalTopic]:
    return session.get(LegalTopic, key)


def answer(session: Session, topic: LegalTopic, relationship: Optional[str], today: date) -> Answer:
    """Every aspect of a topic for the rider's relationship (else `unknown`), falling back to `any`.

    Only sections valid today count; of several, the one that became valid last wins.
    """
    wanted = relationship if relationship in RELATIONSHIPS else UNKNOWN
    rows = [
        s
        for s in session.scalars(select(LegalSection).where(LegalSection.topic == topic.key))
        if (s.valid_from is None or s.valid_from <= today) and (s.valid_until is None or today < s.valid_until)
    ]
    texts: Dict[str, str] = {}
    sources: Dict[str, str] = {}
    for aspect in ASPECTS:
        chosen = _best(rows, aspect, wanted if topic.asks_relationship else ANY)
        if chosen is not None:
            texts[aspect], sources[aspect] = chosen.text, chosen.source
    return Answer(topic.key, topic.title, texts, sources)


def _best(rows: Sequence[LegalSection], aspect: str, relationship: str) -> Optional[LegalSection]:
    for wanted in dict.fromkeys((relationship, ANY)):
        found = [s for s in rows if s.aspect == aspect and s.relationship == wanted]
        if found:
            return max(found, key=lambda s: s.valid_from or date.min)
    return None


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
