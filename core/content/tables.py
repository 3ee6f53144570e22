"""The tables admins import and export, their CSV columns and how each is read.

Each CSV has a header row with exactly the column names below (order free);
`id` may be left blank to add a new row. Lists inside a cell are separated by `|`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from core.legal import ASPECTS, LEGAL_INTENTS, RELATIONSHIPS, section_key
from core.models import (
    CannedReply,
    District,
    Enrolment,
    FaqEntry,
    Landmark,
    LegalAidPoint,
    LegalSection,
    LegalTopic,
    PassGuide,
    Place,
    Programme,
    Topic,
)
from core.opening_hours import OpeningHours, OpeningHoursError
from core.places import GRIDS
from core.programmes import CHILDCARE_KINDS, TRAINING_KINDS
from core.tickets import CATEGORIES
from core.validation import mask_name, mask_phone
from core.vocabulary import PLACE_KINDS, UnknownAmenity, codes_of, mask_of

# Every point must lie in or near 长治 (catches swapped latitude and longitude).
LAT_RANGE = (35.5, 37.3)
LON_RANGE = (111.8, 114.2)


class CellError(ValueError):
    """A cell that cannot be read; the message says why, in words for admins."""


def text(value: str) -> str:
    return value.strip()


def required_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise CellError("不能为空")
    return value


def optional_text(value: str) -> Optional[str]:
    return value.strip() or None


def integer(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise CellError(f"“{value}”不是整数") from None


def optional_integer(value: str) -> Optional[int]:
    return integer(value) if value.strip() else None


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "是", "y"):
        return True
    if lowered in ("", "0", "false", "no", "否", "n"):
        return False
    raise CellError(f"“{value}”不是是/否（填1或0）")


def number_in(low: float, high: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value.strip())
        except ValueError:
            raise CellError(f"“{value}”不是数字") from None
        if not low <= number <= high:
            raise CellError(f"{number} 不在 {low} 到 {high} 之间（长治范围）")
        return number

    return parse


def a_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CellError(f"“{value}”不是日期（格式 2027-07-01）") from None


def optional_date(value: str) -> Optional[date]:
    return a_date(value) if value.strip() else None


def optional_datetime(value: str) -> Optional[datetime]:
    if not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise CellError(f"“{value}”不是时间（格式 2027-07-01 18:00）") from None


def one_of(choices: Sequence[str]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if value not in choices:
            raise CellError(f"“{value}”不是以下之一：{'、'.join(choices)}")
        return value

    return parse


def hours(value: str) -> str:
    value = value.strip() or "24/7"
    try:
        OpeningHours.parse(value)
    except OpeningHoursError as error:
        raise CellError(f"营业时间看不懂（{error}），例：Mo-Fr 08:00-20:00; Sa,Su 09:00-17:00") from None
    return value


def amenities(value: str) -> int:
    try:
        return mask_of(value.split("|"))
    except UnknownAmenity as error:
        raise CellError(f"不认识的设施代码“{error}”") from None


def phone_text(value: str) -> str:
    value = value.strip()
    if value and not re.fullmatch(r"[0-9\-+() ]{3,30}", value):
        raise CellError(f"“{value}”不像电话号码")
    return value


def show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Column:
    """One CSV column: its header, the model attribute, and how to read and write it."""

    name: str
    parse: Callable[[str], Any] = text
    attr: Optional[str] = None
    format: Callable[[Any], str] = show
    required: bool = True

    @property
    def attribute(self) -> str:
        return self.attr or self.name


@dataclass(frozen=True)
class TableSpec:
    """A table as admins see it in CSV."""

    name: str
    model: type
    key: str
    columns: Tuple[Column, ...]
    derive: Optional[Callable[[Dict[str, Any]], None]] = None
    importable: bool = True

    def header(self) -> Tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _section_key(values: Dict[str, Any]) -> None:
    """A section is named by what it answers: a re-import updates it instead of adding a copy."""
    values["key"] = section_key(values["topic"], values["relationship"], values["aspect"], values.get("valid_from"))


def _place_cells(values: Dict[str, Any]) -> None:
    """The place's key on every grid the nearest search reads."""
    for _, grid, column in GRIDS:
        values[column] = grid.cell_of(values["lat"], values["lon"])


LAT = Column("lat", number_in(*LAT_RANGE))
LON = Column("lon", number_in(*LON_RANGE))
ID = Column("id", optional_integer, required=False)
IS_SAMPLE = Column("is_sample", boolean, required=False)


def ticket_category(value: str) -> Optional[str]:
    """A ticket category (see core.tickets.CATEGORIES), or none for every ticket."""
    value = value.strip()
    if value and value not in CATEGORIES:
        raise CellError(f"“{value}”不是工单类别；可选：{'、'.join(CATEGORIES)}，或留空表示所有工单")
    return value or None


def _district_column(districts: Sequence[str]) -> Column:
    return Column("district", one_of(districts))


def table_specs(districts: Sequence[str]) -> Dict[str, TableSpec]:
    """Every table, with districts checked against the given canonical names."""
    district = _district_column(districts)
    specs = [
        TableSpec(
            "districts",
            District,
            "name",
            (Column("name", required_text), Column("aliases"), LAT, LON),
        ),
        TableSpec(
            "landmarks",
            Landmark,
            "name",
            (
                ID,
                Column("name", required_text),
                Column("aliases"),
                Column("kind", one_of(("street", "landmark", "town"))),
                district,
                LAT,
                LON,
            ),
        ),
        TableSpec(
            "places",
            Place,
            "id",
            (
                ID,
                Column("kind", one_of(PLACE_KINDS)),
                Column("name", required_text),
                Column("address"),
                district,
                Column("street", required=False),
                LAT,
                LON,
                Column("hours", hours),
                Column("amenities", amenities, attr="amenity_mask", format=lambda m: "|".join(codes_of(m or 0))),
                Column("phone", phone_text, required=False),
                Column("operator", required=False),
                Column("closed_until", optional_datetime, required=False),
                Column("closure_note", required=False),
                IS_SAMPLE,
            ),
            derive=_place_cells,
        ),
        TableSpec(
            "legal_aid_points",
            LegalAidPoint,
            "id",
            (
                ID,
                district,
                Column("kind", one_of(("法律援助中心", "司法所", "职工服务站"))),
                Column("name", required_text),
                Column("address"),
                Column("services"),
                Column("hours"),
                Column("phone", phone_text),
                LAT,
                LON,
                IS_SAMPLE,
            ),
        ),
        TableSpec(
            "legal_topics",
            LegalTopic,
            "key",
            (
                Column("key", required_text),
                Column("intent", one_of(LEGAL_INTENTS)),
                Column("title", required_text),
                Column("keywords"),
                Column("asks_relationship", boolean),
                Column("sort", integer),
            ),
        ),
        TableSpec(
            "legal_sections",
            LegalSection,
            "key",
            (
                Column("topic", required_text),
                Column("relationship", one_of(RELATIONSHIPS)),
                Column("aspect", one_of(ASPECTS)),
                Column("text", required_text),
                Column("source", required_text),
                Column("reviewed_on", a_date),
                Column("valid_from", optional_date, required=False),
                Column("valid_until", optional_date, required=False),
            ),
            derive=_section_key,
        ),
        TableSpec(
            "pass_guides",
            PassGuide,
            "district",
            (district, Column("how_to_apply", required_text), Column("honoured_at"), Column("contact"), IS_SAMPLE),
        ),
        TableSpec(
            "programmes",
            Programme,
            "id",
            (
                ID,
                Column("kind", one_of(CHILDCARE_KINDS + TRAINING_KINDS)),
                Column("title", required_text),
                Column("topic", required=False),
                district,
                Column("venue", required_text),
                Column("address"),
                Column("age_min", optional_integer, required=False),
                Column("age_max", optional_integer, required=False),
                Column("start_date", a_date),
                Column("end_date", a_date),
                Column("schedule"),
                Column("capacity", integer),
                Column("fee"),
                Column("signup_deadline", a_date),
                Column("signup_opens", optional_date, required=False),
                Column("description", required=False),
                IS_SAMPLE,
            ),
        ),
        TableSpec(
            "faq",
            FaqEntry,
            "id",
            (
                ID,
                Column("question", required_text),
                Column("variants"),
                Column("answer", required_text),
                Column("tags"),
                Column("intent", optional_text, required=False),
                IS_SAMPLE,
            ),
        ),
        TableSpec(
            "canned_replies",
            CannedReply,
            "id",
            (
                ID,
                Column("category", ticket_category, required=False),
                Column("title", required_text),
                Column("text", required_text),
            ),
        ),
        TableSpec(
            "topics",
            Topic,
            "intent",
            (
                Column("intent", required_text),
                Column("label", required_text),
                Column("ticket_category", one_of(("urgent", "ordinary", "complex"))),
                Column("clarifiable", boolean),
            ),
        ),
        TableSpec(
            "enrolments",
            Enrolment,
            "id",
            (
                ID,
                Column("programme_id", integer),
                Column("status"),
                Column("channel"),
                Column("participant_name", attr="participant_name", format=mask_name),
                Column("participant_age", optional_integer),
                Column("phone", format=mask_phone),
                Column("created_at", optional_datetime),
            ),
            importable=False,
        ),
    ]
    return {spec.name: spec for spec in specs}
