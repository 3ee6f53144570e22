"""The tables admins import and export, their CSV columns and how each is read.

Each CSV has a header row naming the columns below, by their Chinese header (as
exported) or by their English name (as in the project's own files under content/),
in any order; 编号 (`id`) may be left blank to add a new row. Lists inside a cell are
separated by `|`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Dict, Hashable, Mapping, Optional, Sequence, Tuple

from core import search_terms
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
        part = re.search(r"'(.*)'", str(error))  # the piece it could not read, quoted in the (English) error
        example = "例：Mo-Fr 08:00-20:00; Sa,Su 09:00-17:00（Mo…Su 是周一到周日，off 是休息）"
        raise CellError(f"开放时间看不懂“{part.group(1) if part else value.strip()}”；{example}") from None
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
    """One CSV column: its header, the model attribute, and how to read and write it.

    `name` is the header the project's own files use; `label` is the Chinese header
    admins see in exports and in error messages. An import accepts either.
    """

    name: str
    parse: Callable[[str], Any] = text
    attr: Optional[str] = None
    format: Callable[[Any], str] = show
    required: bool = True
    label: str = ""

    @property
    def attribute(self) -> str:
        return self.attr or self.name

    @property
    def header(self) -> str:
        return self.label or self.name


def folded(value: Any) -> str:
    """A natural-key part compared as admins read it: text without case, width, spaces or punctuation
    (「暖新驿站收费吗？」 and 「暖新驿站 收费吗」 are one question); other values as exported."""
    return search_terms.clean(value) if isinstance(value, str) else show(value)


@dataclass(frozen=True)
class TableSpec:
    """A table as admins see it in CSV.

    `key` names a stored row: a file row whose key cell matches a stored row updates it.
    Where that key is a surrogate id, which rows added by hand leave blank, `natural`
    names what identifies the row to a person (see each table in `table_specs`), so that
    importing the same file twice finds the rows the first import added instead of
    adding them again. Tables without `natural` are keyed by a natural key already.
    """

    name: str
    model: type
    key: str
    columns: Tuple[Column, ...]
    derive: Optional[Callable[[Dict[str, Any]], None]] = None
    importable: bool = True
    title: str = ""
    natural: Tuple[str, ...] = ()

    def header(self) -> Tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def labels(self) -> Tuple[str, ...]:
        """The Chinese headers, in export order."""
        return tuple(c.header for c in self.columns)

    def identity(self, values: Mapping[str, Any]) -> Hashable:
        """What makes a row this row, for `values` of a file row or a stored one."""
        if not self.natural:
            return values.get(self.key)
        return tuple(folded(values.get(attr)) for attr in self.natural)

    def describe(self, values: Mapping[str, Any]) -> str:
        """The row in a few words for the import preview: its natural key's text and dates."""
        parts = [values.get(attr) for attr in self.natural or (self.key,)]
        return " · ".join(show(v) for v in parts if isinstance(v, (str, date)) and str(v))


def _section_key(values: Dict[str, Any]) -> None:
    """A section is named by what it answers: a re-import updates it instead of adding a copy."""
    values["key"] = section_key(values["topic"], values["relationship"], values["aspect"], values.get("valid_from"))


def _place_cells(values: Dict[str, Any]) -> None:
    """The place's key on every grid the nearest search reads."""
    for _, grid, column in GRIDS:
        values[column] = grid.cell_of(values["lat"], values["lon"])


LAT = Column("lat", number_in(*LAT_RANGE), label="纬度")
LON = Column("lon", number_in(*LON_RANGE), label="经度")
ID = Column("id", optional_integer, required=False, label="编号")
IS_SAMPLE = Column("is_sample", boolean, required=False, label="示例数据")


def ticket_category(value: str) -> Optional[str]:
    """A ticket category (see core.tickets.CATEGORIES), or none for every ticket."""
    value = value.strip()
    if value and value not in CATEGORIES:
        raise CellError(f"“{value}”不是工单类别；可选：{'、'.join(CATEGORIES)}，或留空表示所有工单")
    return value or None


def _district_column(districts: Sequence[str]) -> Column:
    return Column("district", one_of(districts), label="区县")


def table_specs(districts: Sequence[str]) -> Dict[str, TableSpec]:
    """Every table, with districts checked against the given canonical names.

    The natural keys of the tables keyed by a surrogate id, and why:
    - places: district, name, address and coordinates. A chain's branches share a name
      within a district (83 such pairs among the 997 sample places), the address tells
      them apart, and where it names only the street, the pin does.
    - legal-aid points: district and name (a name says the kind: 潞州区法律援助中心).
    - programmes: district, title, start date and ages. The same title runs every summer
      and for several age groups at once (a 3–6 and a 6–12 class from the same day);
      the venue may move without making it another programme.
    - FAQ: the question, folded (see `folded`), as riders would type it.
    - canned replies: the title, by which staff pick one.
    """
    district = _district_column(districts)
    address = Column("address", label="地址")
    specs = [
        TableSpec(
            "districts",
            District,
            "name",
            (
                Column("name", required_text, label="名称"),
                Column("aliases", label="别名"),
                LAT,
                LON,
            ),
            title="区县",
        ),
        TableSpec(
            "landmarks",
            Landmark,
            "name",
            (
                ID,
                Column("name", required_text, label="名称"),
                Column("aliases", label="别名"),
                Column("kind", one_of(("street", "landmark", "town")), label="类型"),
                district,
                LAT,
                LON,
            ),
            title="地名",
        ),
        TableSpec(
            "places",
            Place,
            "id",
            (
                ID,
                Column("kind", one_of(PLACE_KINDS), label="类型"),
                Column("name", required_text, label="名称"),
                address,
                district,
                Column("street", required=False, label="街道"),
                LAT,
                LON,
                Column("hours", hours, label="开放时间"),
                Column(
                    "amenities",
                    amenities,
                    attr="amenity_mask",
                    format=lambda m: "|".join(codes_of(m or 0)),
                    label="设施",
                ),
                Column("phone", phone_text, required=False, label="电话"),
                Column("operator", required=False, label="运营单位"),
                Column("closed_until", optional_datetime, required=False, label="暂停开放至"),
                Column("closure_note", required=False, label="暂停说明"),
                IS_SAMPLE,
            ),
            derive=_place_cells,
            title="站点",
            natural=("district", "name", "address", "lat", "lon"),
        ),
        TableSpec(
            "legal_aid_points",
            LegalAidPoint,
            "id",
            (
                ID,
                district,
                Column("kind", one_of(("法律援助中心", "司法所", "职工服务站")), label="类型"),
                Column("name", required_text, label="名称"),
                address,
                Column("services", label="服务内容"),
                Column("hours", label="开放时间"),
                Column("phone", phone_text, label="电话"),
                LAT,
                LON,
                IS_SAMPLE,
            ),
            title="法律援助点",
            natural=("district", "name"),
        ),
        TableSpec(
            "legal_topics",
            LegalTopic,
            "key",
            (
                Column("key", required_text, label="代码"),
                Column("intent", one_of(LEGAL_INTENTS), label="意图"),
                Column("title", required_text, label="标题"),
                Column("keywords", label="关键词"),
                Column("asks_relationship", boolean, label="询问用工关系"),
                Column("sort", integer, label="排序"),
            ),
            title="法律话题",
        ),
        TableSpec(
            "legal_sections",
            LegalSection,
            "key",
            (
                Column("topic", required_text, label="话题"),
                Column("relationship", one_of(RELATIONSHIPS), label="用工关系"),
                Column("aspect", one_of(ASPECTS), label="方面"),
                Column("text", required_text, label="正文"),
                Column("source", required_text, label="依据"),
                Column("reviewed_on", a_date, label="审核日期"),
                Column("valid_from", optional_date, required=False, label="生效日期"),
                Column("valid_until", optional_date, required=False, label="失效日期"),
            ),
            derive=_section_key,
            title="法律指引",
        ),
        TableSpec(
            "pass_guides",
            PassGuide,
            "district",
            (
                district,
                Column("how_to_apply", required_text, label="办理方法"),
                Column("honoured_at", label="适用范围"),
                Column("contact", label="联系方式"),
                IS_SAMPLE,
            ),
            title="通行证指引",
        ),
        TableSpec(
            "programmes",
            Programme,
            "id",
            (
                ID,
                Column("kind", one_of(CHILDCARE_KINDS + TRAINING_KINDS), label="类型"),
                Column("title", required_text, label="名称"),
                Column("topic", required=False, label="主题"),
                district,
                Column("venue", required_text, label="场地"),
                address,
                Column("age_min", optional_integer, required=False, label="最小年龄"),
                Column("age_max", optional_integer, required=False, label="最大年龄"),
                Column("start_date", a_date, label="开始日期"),
                Column("end_date", a_date, label="结束日期"),
                Column("schedule", label="时间安排"),
                Column("capacity", integer, label="名额"),
                Column("fee", label="费用"),
                Column("signup_deadline", a_date, label="报名截止"),
                Column("signup_opens", optional_date, required=False, label="报名开始"),
                Column("description", required=False, label="介绍"),
                IS_SAMPLE,
            ),
            title="托管与培训",
            natural=("district", "title", "start_date", "age_min", "age_max"),
        ),
        TableSpec(
            "faq",
            FaqEntry,
            "id",
            (
                ID,
                Column("question", required_text, label="问题"),
                Column("variants", label="其他问法"),
                Column("answer", required_text, label="答案"),
                Column("tags", label="标签"),
                Column("intent", optional_text, required=False, label="意图"),
                IS_SAMPLE,
            ),
            title="常见问题",
            natural=("question",),
        ),
        TableSpec(
            "canned_replies",
            CannedReply,
            "id",
            (
                ID,
                Column("category", ticket_category, required=False, label="工单类别"),
                Column("title", required_text, label="标题"),
                Column("text", required_text, label="回复内容"),
            ),
            title="快捷回复",
            natural=("title",),
        ),
        TableSpec(
            "topics",
            Topic,
            "intent",
            (
                Column("intent", required_text, label="意图"),
                Column("label", required_text, label="名称"),
                Column("ticket_category", one_of(("urgent", "ordinary", "complex")), label="工单时限类别"),
                Column("clarifiable", boolean, label="可追问"),
            ),
            title="问题类别",
        ),
        TableSpec(
            "enrolments",
            Enrolment,
            "id",
            (
                ID,
                Column("programme_id", integer, label="项目编号"),
                Column("status", label="状态"),
                Column("channel", label="渠道"),
                Column("participant_name", attr="participant_name", format=mask_name, label="孩子姓名"),
                Column("participant_age", optional_integer, label="孩子年龄"),
                Column("phone", format=mask_phone, label="监护人电话"),
                Column("created_at", optional_datetime, label="报名时间"),
            ),
            importable=False,
            title="报名记录",
        ),
    ]
    return {spec.name: spec for spec in specs}
