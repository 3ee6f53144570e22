"""Editing one content row at a time in the console: FAQ, places, programmes, trainings, legal-aid points.

A form's fields are read here, in plain terms (opening hours from day and time
pickers, amenities from checkboxes, coordinates in either datum), each refused
with its reason in Chinese, beside the field that caused it. Cells are read with
the CSV importer's parsers (`core.content.tables`), so a value is accepted or
refused the same way in both. Every saved change is a revision
(`core.content.revisions`) that one click reverts. Riders' answers read these
tables at question time; the FAQ index follows `FaqEntry.updated_at`, which every
edit moves on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import String, func, or_, select
from sqlalchemy.orm import Session

from core import geo, vocabulary
from core.content import csv_io, revisions, tables
from core.content.tables import CellError
from core.models import ContentRevision, Enrolment, FaqEntry, LegalAidPoint, Place, Programme
from core.opening_hours import DAYS, OpeningHours, OpeningHoursError
from core.places import GRIDS
from core.programmes import CHILDCARE_KINDS, TRAINING_KINDS
from core.search_terms import clean

Form = Mapping[str, Sequence[str]]  # a posted form: every field's values, as the browser sent them
Values = Dict[str, Any]  # model attribute → value to store
Errors = Dict[str, str]  # form field → why it was refused
WGS84, GCJ02 = "wgs84", "gcj02"
DATUMS = (WGS84, GCJ02)
ALWAYS = "24/7"
HOURS_ROWS = 3  # empty picker rows offered below the used ones (a day may have two spans: two rows)
MAX_HOURS_ROWS = 7
LIST_LIMIT = 200
CITY_WIDE = ""
FAQ = "faq"  # the kind FAQ entries are edited (and their revisions kept) as
BASE = "base"  # the form field with the fingerprint of the row as the form was opened
CHANGED_SINCE = (
    "这条内容在您打开之后被别人改过（见修改记录），您的修改没有保存，免得覆盖别人的修改。"
    "请刷新页面，在最新内容上重新修改。"
)


class FieldError(ValueError):
    """A field's value refused; the message is for admins."""


class InvalidForm(ValueError):
    """The form was refused; nothing was written. `errors` maps each field to its reason."""

    def __init__(self, errors: Errors) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


class EditError(LookupError):
    """A row or revision that is not there, or a revert with nothing to undo; `code` names it for the page."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def one(form: Form, name: str) -> str:
    """A field's (first) value, stripped; empty when the form did not send it."""
    values = form.get(name) or [""]
    return str(values[0]).strip()


Reader = Callable[[Form, "Context"], Values]


@dataclass(frozen=True)
class Context:
    """What reading a form needs besides the form: the districts' canonical names."""

    districts: Sequence[str]


@dataclass(frozen=True)
class Field:
    """One thing on the form: its name, its label, how the page shows it and how it is read.

    `attrs` are the model attributes it sets (coordinates set two); `widget` tells
    the template what to draw; `choices` are (value, label) pairs of a select.
    """

    name: str
    label: str
    widget: str
    read: Reader
    attrs: Tuple[str, ...] = ()
    choices: Tuple[Tuple[str, str], ...] = ()
    hint: str = ""
    required: bool = False

    @property
    def targets(self) -> Tuple[str, ...]:
        return self.attrs or (self.name,)


def _limit_of(model: type, attr: str) -> Optional[int]:
    column = model.__table__.columns.get(attr)  # type: ignore[attr-defined]
    return column.type.length if column is not None and isinstance(column.type, String) else None


def cell(parse: Callable[[str], Any]) -> Callable[[str, type], Reader]:
    """A reader of one text box through a CSV cell parser, with the column's length checked."""

    def bind(name: str, model: type) -> Reader:
        def read(form: Form, context: Context) -> Values:
            try:
                value = parse(one(form, name))
            except CellError as error:
                raise FieldError(str(error)) from None
            limit = _limit_of(model, name)
            if isinstance(value, str) and limit is not None and len(value) > limit:
                raise FieldError(f"最多 {limit} 个字，现在 {len(value)} 个")
            return {name: value}

        return read

    return bind


def _lines(name: str, model: type) -> Reader:
    """Other wordings, one a line: blank lines and repeats dropped."""

    def read(form: Form, context: Context) -> Values:
        seen: Dict[str, str] = {}
        for line in one(form, name).splitlines():
            if line.strip() and clean(line) not in seen:
                seen[clean(line)] = line.strip()
        return {name: "\n".join(seen.values())}

    return read


def _district(optional: bool) -> Callable[[str, type], Reader]:
    def bind(name: str, model: type) -> Reader:
        def read(form: Form, context: Context) -> Values:
            value = one(form, name)
            if optional and value == CITY_WIDE:
                return {name: None}
            if value not in context.districts:
                raise FieldError("请选择一个区县")
            return {name: value}

        return read

    return bind


def _coordinates(form: Form, context: Context) -> Values:
    """Latitude and longitude, typed in WGS-84 (GPS) or GCJ-02 (高德、腾讯地图), stored in WGS-84."""
    numbers: Dict[str, float] = {}
    errors: Errors = {}
    for name, label in (("lat", "纬度"), ("lon", "经度")):
        text = one(form, name)
        try:
            number = float(text)
        except ValueError:
            errors[name] = (
                f"{label}要填数字，例如 {'36.195' if name == 'lat' else '113.117'}" if not text else f"“{text}”不是数字"
            )
            continue
        if not math.isfinite(number):
            errors[name] = f"“{text}”不是数字"
        numbers[name] = number
    if errors:
        raise InvalidForm(errors)
    lat, lon = numbers["lat"], numbers["lon"]
    if one(form, "datum") == GCJ02:
        lat, lon = geo.gcj02_to_wgs84(lat, lon)
    for name, value, bounds in (("lat", lat, tables.LAT_RANGE), ("lon", lon, tables.LON_RANGE)):
        if not bounds[0] <= value <= bounds[1]:
            errors[name] = f"{value:.6f} 不在 {bounds[0]} 到 {bounds[1]} 之间（长治范围；纬度和经度是否填反了？）"
    if errors:
        raise InvalidForm(errors)
    return {"lat": round(lat, 6), "lon": round(lon, 6)}


@dataclass(frozen=True)
class HoursRow:
    """One line of the opening-hours picker: the days it covers and one span of time."""

    days: Tuple[str, ...]
    opens: str
    closes: str


def hours_rows(form: Form) -> List[HoursRow]:
    """The picker's lines as posted (or as `form_of` shows a stored row), plus empty ones to fill."""
    rows = []
    for i in range(MAX_HOURS_ROWS):
        days = tuple(d for d in DAYS if d in (form.get(f"hours_{i}_days") or []))
        opens, closes = one(form, f"hours_{i}_from"), one(form, f"hours_{i}_to")
        if days or opens or closes:
            rows.append(HoursRow(days, opens, closes))
    return rows + [HoursRow((), "", "")] * max(1, HOURS_ROWS - len(rows))


def _hours(form: Form, context: Context) -> Values:
    """Opening hours from the picker, written in the syntax the nearest search reads (`core.opening_hours`)."""
    if one(form, "hours_always") == "1":
        return {"hours": ALWAYS}
    rules = []
    for number, row in enumerate(hours_rows(form), start=1):
        if not (row.days or row.opens or row.closes):
            continue
        if not row.days:
            raise FieldError(f"第 {number} 行没有勾选星期几")
        if not row.opens or not row.closes:
            raise FieldError(f"第 {number} 行请填开门和关门时间")
        rules.append(f"{_day_list(row.days)} {row.opens}-{row.closes}")
    if not rules:
        raise FieldError("请勾选“24小时开放”，或至少填一行：星期几、几点开门、几点关门")
    text = "; ".join(rules)
    try:
        OpeningHours.parse(text)
    except OpeningHoursError:
        raise FieldError("时间要写成 时:分，例如 08:30；关门时间比开门早表示开到次日") from None
    return {"hours": text}


def _day_list(days: Sequence[str]) -> str:
    """Days as the syntax writes them: runs of three or more as a range (Mo-Fr), others listed (Sa,Su)."""
    indexes = sorted(DAYS.index(d) for d in days)
    runs: List[List[int]] = []
    for i in indexes:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = [f"{DAYS[r[0]]}-{DAYS[r[-1]]}" if len(r) >= 3 else ",".join(DAYS[i] for i in r) for r in runs]
    return ",".join(parts)


def _same_hours(old: str, new: str) -> bool:
    """Two texts that open and close at the same times (the picker writes its own spelling)."""
    try:
        return OpeningHours.parse(old).intervals == OpeningHours.parse(new).intervals
    except OpeningHoursError:
        return False


def _amenities(form: Form, context: Context) -> Values:
    try:
        return {"amenity_mask": vocabulary.mask_of(form.get("amenities") or [])}
    except vocabulary.UnknownAmenity as error:
        raise FieldError(f"没有“{error}”这项设施") from None


def _text(name: str, label: str, model: type, required: bool = False, widget: str = "text", hint: str = "") -> Field:
    parse = tables.required_text if required else tables.text
    return Field(name, label, widget, cell(parse)(name, model), required=required, hint=hint)


def _choice(name: str, label: str, model: type, choices: Sequence[Tuple[str, str]]) -> Field:
    read = cell(tables.one_of([value for value, _ in choices]))(name, model)
    return Field(name, label, "select", read, choices=tuple(choices), required=True)


def _date(name: str, label: str, model: type, required: bool = False, hint: str = "") -> Field:
    parse = tables.a_date if required else tables.optional_date
    return Field(name, label, "date", cell(parse)(name, model), required=required, hint=hint)


def _number(name: str, label: str, model: type, required: bool = False) -> Field:
    parse = tables.integer if required else tables.optional_integer
    return Field(name, label, "number", cell(parse)(name, model), required=required)


def _phone(model: type) -> Field:
    return Field("phone", "电话", "text", cell(tables.phone_text)("phone", model))


def _district_field(model: type, optional: bool = False) -> Field:
    label = "区县（不选表示全市）" if optional else "区县"
    return Field("district", label, "district", _district(optional)("district", model), required=not optional)


def _coordinates_field() -> Field:
    hint = (
        "这里无法加载地图，请填数字：在高德或腾讯地图上取的点选 GCJ-02，"
        "GPS 或手机定位取的点选 WGS-84。保存时一律换算成 WGS-84。"
    )
    return Field("coordinates", "位置", "coordinates", _coordinates, attrs=("lat", "lon"), hint=hint, required=True)


def _check_order(first: str, last: str, reason: str) -> Callable[[Values], Optional[Tuple[str, str]]]:
    """A check that `first` is not after `last` (dates, ages), blamed on `last`."""

    def check(values: Values) -> Optional[Tuple[str, str]]:
        a, b = values.get(first), values.get(last)
        return (last, reason) if a is not None and b is not None and a > b else None

    return check


def _check_not_negative(name: str) -> Callable[[Values], Optional[Tuple[str, str]]]:
    def check(values: Values) -> Optional[Tuple[str, str]]:
        value = values.get(name)
        return (name, "不能是负数") if value is not None and value < 0 else None

    return check


@dataclass(frozen=True)
class Kind:
    """A kind of content the console edits: its table, form, list columns, search and filters.

    `subkinds` limits a table shared by two kinds (childcare programmes and trainings)
    to the values of its `kind` column that belong here, with their Chinese names.
    """

    name: str
    title: str
    model: type
    fields: Tuple[Field, ...]
    listed: Tuple[str, ...]
    searched: Tuple[str, ...]
    subkinds: Tuple[Tuple[str, str], ...] = ()
    checks: Tuple[Callable[[Values], Optional[Tuple[str, str]]], ...] = ()
    labels: Dict[str, str] = field(default_factory=dict)

    def label_of(self, attr: str) -> str:
        """The Chinese name of a model attribute, as the form calls it."""
        return self.labels.get(attr) or next((f.label for f in self.fields if attr in f.targets), attr)

    def field_of(self, attr: str) -> str:
        """The form field that sets a model attribute (where its refusal is shown)."""
        return next((f.name for f in self.fields if attr in f.targets), attr)


PLACE_KIND_CHOICES = tuple((k, k) for k in vocabulary.PLACE_KINDS)
PROGRAMME_LABELS = {
    "summer_daycare": "暑期托管",
    "summer_camp": "夏令营",
    "after_school": "课后托管",
    "training": "技能培训",
    "lecture": "暖新讲堂",
}
AID_POINT_KINDS = (("法律援助中心", "法律援助中心"), ("司法所", "司法所"), ("职工服务站", "职工服务站"))


def _programme_kind(name: str, title: str, kinds: Sequence[str]) -> Kind:
    subkinds = tuple((k, PROGRAMME_LABELS[k]) for k in kinds)
    m = Programme
    return Kind(
        name,
        title,
        m,
        (
            _choice("kind", "类型", m, subkinds),
            _text("title", "名称", m, required=True),
            _text("topic", "主题", m),
            _district_field(m),
            _text("venue", "场地", m, required=True),
            _text("address", "地址", m),
            _number("age_min", "最小年龄", m),
            _number("age_max", "最大年龄", m),
            _date("start_date", "开始日期", m, required=True),
            _date("end_date", "结束日期", m, required=True),
            _text("schedule", "时间安排", m, hint="例如：工作日 16:30-18:30"),
            _number("capacity", "名额", m, required=True),
            _text("fee", "费用", m),
            _date("signup_opens", "报名开始", m, hint="不填表示已经可以报名"),
            _date("signup_deadline", "报名截止", m, required=True),
            _text("description", "介绍", m, widget="textarea"),
        ),
        listed=("title", "kind", "district", "start_date", "signup_deadline"),
        searched=("title", "venue", "topic", "address"),
        subkinds=subkinds,
        checks=(
            _check_order("start_date", "end_date", "结束日期不能早于开始日期"),
            _check_order("age_min", "age_max", "最大年龄不能小于最小年龄"),
            _check_order("signup_opens", "signup_deadline", "报名截止不能早于报名开始"),
            _check_not_negative("capacity"),
            _check_not_negative("age_min"),
        ),
    )


KINDS: Dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            FAQ,
            "常见问题",
            FaqEntry,
            (
                _text("question", "问题", FaqEntry, required=True),
                Field("variants", "其他问法（一行一个）", "textarea", _lines("variants", FaqEntry)),
                _text("answer", "答案", FaqEntry, required=True, widget="textarea"),
                _district_field(FaqEntry, optional=True),
                _text(
                    "policy_document", "依据的政策文件", FaqEntry, hint="例如：长治市新就业形态劳动者暖新驿站建设指引"
                ),
                _date(
                    "valid_until", "有效期至", FaqEntry, hint="过了这一天，这条问答会标出来请人复核；不填表示长期有效"
                ),
                _text("owner", "负责人", FaqEntry),
                _text("tags", "标签", FaqEntry),
            ),
            listed=("question", "district", "valid_until", "owner"),
            searched=("question", "variants", "answer", "policy_document", "owner"),
            labels={"intent": "意图", "is_sample": "示例数据"},
        ),
        Kind(
            "places",
            "站点",
            Place,
            (
                _choice("kind", "类型", Place, PLACE_KIND_CHOICES),
                _text("name", "名称", Place, required=True),
                _text("address", "地址", Place),
                _district_field(Place),
                _text("street", "街道", Place),
                _coordinates_field(),
                Field("hours", "开放时间", "hours", _hours, required=True),
                Field("amenities", "设施", "amenities", _amenities, attrs=("amenity_mask",)),
                _phone(Place),
                _text("operator", "运营单位", Place),
                Field(
                    "closed_until",
                    "暂停开放至",
                    "datetime",
                    cell(tables.optional_datetime)("closed_until", Place),
                    hint="装修等临时关闭时填写；不填表示正常开放",
                ),
                _text("closure_note", "暂停说明", Place),
            ),
            listed=("name", "kind", "district", "hours"),
            searched=("name", "address", "street", "operator"),
            subkinds=PLACE_KIND_CHOICES,
            labels={"cell": "网格", "street_cell": "网格", "county_cell": "网格", "is_sample": "示例数据"},
        ),
        _programme_kind("programmes", "托管与夏令营", CHILDCARE_KINDS),
        _programme_kind("trainings", "培训与讲堂", TRAINING_KINDS),
        Kind(
            "legal_aid",
            "法律援助点",
            LegalAidPoint,
            (
                _district_field(LegalAidPoint),
                _choice("kind", "类型", LegalAidPoint, AID_POINT_KINDS),
                _text("name", "名称", LegalAidPoint, required=True),
                _text("address", "地址", LegalAidPoint),
                _text("services", "服务内容", LegalAidPoint, widget="textarea"),
                _text("hours", "开放时间", LegalAidPoint, hint="照原样告诉骑手，例如：周一至周五 8:30-17:30"),
                _phone(LegalAidPoint),
                _coordinates_field(),
            ),
            listed=("name", "kind", "district", "phone"),
            searched=("name", "address", "services"),
            subkinds=AID_POINT_KINDS,
            labels={"is_sample": "示例数据"},
        ),
    )
}


def kind_of(name: str) -> Kind:
    found = KINDS.get(name)
    if found is None:
        raise EditError("no_such_kind")
    return found


def read(kind: Kind, form: Form, context: Context) -> Values:
    """The form's values for the model, or `InvalidForm` with every field's reason."""
    values: Values = {}
    errors: Errors = {}
    for item in kind.fields:
        try:
            values.update(item.read(form, context))
        except FieldError as error:
            errors[item.name] = str(error)
        except InvalidForm as refused:
            errors.update(refused.errors)
    for check in kind.checks:
        found = check(values)
        if found and found[0] not in errors:
            errors[kind.field_of(found[0])] = found[1]
    if errors:
        raise InvalidForm(errors)
    places = tables.table_specs(()).get("places") if kind.model is Place else None
    if places is not None and places.derive is not None:
        places.derive(values)  # the grid keys of the nearest search, as the CSV import writes them
    return values


def _refuse_same_question(session: Session, kind: Kind, values: Values, row_id: Optional[int]) -> None:
    """One question, one entry: two would split its answers, and the CSV import tells entries apart by it."""
    if kind.model is not FaqEntry:
        return
    wanted = clean(values["question"])
    others = select(FaqEntry.id, FaqEntry.question).where(FaqEntry.id != row_id if row_id is not None else True)
    for other_id, question in session.execute(others):
        if clean(question) == wanted:
            raise InvalidForm({"question": f"已有同样的问题（问答 #{other_id}）。请改那一条，或把这句加为它的其他问法"})


def _in_kind(kind: Kind, row: Any) -> bool:
    return not kind.subkinds or kind.model is not Programme or row.kind in dict(kind.subkinds)


def kind_of_row(row: Any) -> Optional[Kind]:
    """The kind a row is edited as (a programme's by its subkind); None for a table the console does not edit."""
    return next((k for k in KINDS.values() if isinstance(row, k.model) and _in_kind(k, row)), None)


def import_history(session: Session, actor: str, now: datetime) -> csv_io.OnChange:
    """What a CSV import tells of each row it adds, changes or removes, kept as that row's revision
    (so its history shows it, with the diff and one-click revert of a console edit)."""

    def record(row: Any, before: Optional[revisions.Snapshot], after: Optional[revisions.Snapshot]) -> None:
        kind = kind_of_row(row)
        if kind is not None and before != after:
            revisions.record(session, kind.name, row.id, revisions.IMPORTED, actor, now, before, after)

    return record


def row_of(session: Session, kind: Kind, row_id: int) -> Any:
    """The row, if it belongs to this kind (a training is no childcare programme)."""
    row = session.get(kind.model, row_id)
    if row is None or not _in_kind(kind, row):
        raise EditError("no_such_row")
    return row


def save(
    session: Session, kind: Kind, row_id: int, form: Form, context: Context, actor: str, now: datetime
) -> Optional[int]:
    """Store the form on the row; the revision's id, or None when nothing changed.

    Refused (`InvalidForm`) before anything is written, also when the row changed since
    the form was opened (its `base` fingerprint): two admins never overwrite each other unseen.
    """
    row = row_of(session, kind, row_id)
    opened_on = one(form, BASE)
    if opened_on and opened_on != revisions.digest(revisions.snapshot(row)):
        raise InvalidForm({BASE: CHANGED_SINCE})
    values = read(kind, form, context)
    _refuse_same_question(session, kind, values, row_id)
    if kind.model is Place and _same_hours(row.hours, values["hours"]):
        values["hours"] = row.hours  # the admin changed nothing there: no revision for a respelling
    return change(session, kind, row, values, revisions.UPDATED, actor, now)


def change(
    session: Session,
    kind: Kind,
    row: Any,
    values: Values,
    action: str,
    actor: str,
    now: datetime,
    reverts: Optional[int] = None,
) -> Optional[int]:
    """Set `values` on the row, kept as a revision; its id, or None when nothing changed."""
    before = revisions.snapshot(row)
    for attr, value in values.items():
        setattr(row, attr, value)
    after = revisions.snapshot(row)
    if after == before:
        session.expire(row)
        return None
    session.flush()
    return revisions.record(session, kind.name, row.id, action, actor, now, before, after, reverts).id


def revision_of(session: Session, revision_id: int) -> ContentRevision:
    found = session.get(ContentRevision, revision_id)
    if found is None or found.kind not in KINDS:
        raise EditError("no_such_revision")
    return found


def create(session: Session, kind: Kind, form: Form, context: Context, actor: str, now: datetime) -> Tuple[int, int]:
    """A new row from the form, live at once; (its id, its revision's id). Refused like an edit."""
    values = read(kind, form, context)
    _refuse_same_question(session, kind, values, None)
    row, revision_id = add(session, kind, values, revisions.CREATED, actor, now)
    return row.id, revision_id


def add(
    session: Session, kind: Kind, values: Values, action: str, actor: str, now: datetime,
    reverts: Optional[int] = None,
) -> Tuple[Any, int]:  # fmt: skip
    """A new row of `values`, kept as a revision; (the row, the revision's id)."""
    row = kind.model(**values)
    session.add(row)
    session.flush()
    revision = revisions.record(session, kind.name, row.id, action, actor, now, None, revisions.snapshot(row), reverts)
    return row, revision.id


def _remove(session: Session, kind: Kind, row: Any, actor: str, now: datetime, reverts: int) -> int:
    """Undoing a creation: the row goes, kept in the revision; a programme someone signed up for stays."""
    if kind.model is Programme and session.scalar(
        select(func.count(Enrolment.id)).where(Enrolment.programme_id == row.id)
    ):
        raise EditError("has_enrolments")
    before = revisions.snapshot(row)
    session.delete(row)
    session.flush()
    return revisions.record(session, kind.name, before["id"], revisions.REVERTED, actor, now, before, None, reverts).id


def _restore(session: Session, kind: Kind, values: revisions.Snapshot, actor: str, now: datetime, reverts: int) -> int:
    """Undoing a removal: the row comes back as it was, under its own id."""
    return add(session, kind, revisions.restored(kind.model, values), revisions.REVERTED, actor, now, reverts)[1]


def revert(session: Session, revision_id: int, actor: str, now: datetime) -> int:
    """Undo one revision: the columns it changed go back to their values before it.

    Columns edited since by a later revision and not touched by this one stay as
    they are; undoing a creation removes the row, undoing that brings it back. The
    revert is a revision of its own (and can be reverted in turn).
    """
    undone = revision_of(session, revision_id)
    kind = KINDS[undone.kind]
    row = session.get(kind.model, undone.row_id)
    before = revisions.before_of(undone)
    if before is None:
        if row is None:
            raise EditError("nothing_to_revert")
        return _remove(session, kind, row, actor, now, undone.id)
    if row is None:
        if revisions.after_of(undone) is not None:
            raise EditError("no_such_row")
        return _restore(session, kind, before, actor, now, undone.id)
    values = revisions.restored(kind.model, {c.attr: before.get(c.attr) for c in revisions.changes(undone)})
    new_id = change(session, kind, row, values, revisions.REVERTED, actor, now, reverts=undone.id)
    if new_id is None:
        raise EditError("nothing_to_revert")
    return new_id


def form_of(kind: Kind, row: Any) -> Dict[str, List[str]]:
    """A stored row as the form shows it: every field's values as text, in the form's own terms."""
    values: Dict[str, List[str]] = {}
    for column in kind.model.__table__.columns:  # type: ignore[attr-defined]
        if column.key not in revisions.NOT_SNAPSHOT:
            values[column.key] = [_shown(getattr(row, column.key))]
    values["datum"] = [WGS84]
    values[BASE] = [revisions.digest(revisions.snapshot(row))]
    if kind.model is Place:
        values["amenities"] = vocabulary.codes_of(row.amenity_mask or 0)
        values.update(_hours_form(row.hours))
    return values


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _hours_form(text: str) -> Dict[str, List[str]]:
    """Stored opening hours as picker lines: days with the same spans share a line, one line per span."""
    try:
        hours = OpeningHours.parse(text)
    except OpeningHoursError:
        return {}
    if hours.always:
        return {"hours_always": ["1"]}
    groups: Dict[Tuple[Tuple[int, int], ...], List[str]] = {}
    for day, spans in zip(DAYS, hours.intervals, strict=True):
        if spans:
            groups.setdefault(spans, []).append(day)
    form: Dict[str, List[str]] = {}
    lines = [(days, span) for spans, days in groups.items() for span in spans][:MAX_HOURS_ROWS]
    for i, (days, (start, end)) in enumerate(lines):
        form[f"hours_{i}_days"] = list(days)
        form[f"hours_{i}_from"] = [_clock(start)]
        form[f"hours_{i}_to"] = [_clock(end - 1440 if end > 1440 else end)]
    return form


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Filters:
    """What the list shows: words to search for, a district, a subkind, only FAQ past their date."""

    words: str = ""
    district: str = ""
    subkind: str = ""
    expired_only: bool = False


def listing(session: Session, kind: Kind, filters: Filters, today: date) -> List[Any]:
    """The rows of a kind that match the filters, by id, at most `LIST_LIMIT`."""
    model: Any = kind.model
    query = select(model)
    if kind.model is Programme:
        query = query.where(model.kind.in_([k for k, _ in kind.subkinds]))
    if filters.words:
        pattern = "%" + filters.words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(getattr(model, attr).ilike(pattern, escape="\\") for attr in kind.searched)))
    if filters.district:
        query = query.where(model.district == filters.district)
    if filters.subkind and filters.subkind in dict(kind.subkinds):
        query = query.where(model.kind == filters.subkind)
    if filters.expired_only and kind.model is FaqEntry:
        query = query.where(model.valid_until < today)
    return list(session.scalars(query.order_by(model.id).limit(LIST_LIMIT)))


def expired_faqs(session: Session, today: date) -> List[FaqEntry]:
    """FAQ entries past their valid-until date: still answered, and flagged for an admin's review."""
    query = select(FaqEntry).where(FaqEntry.valid_until < today).order_by(FaqEntry.valid_until, FaqEntry.id)
    return list(session.scalars(query))


def expired_count(session: Session, today: date) -> int:
    """How many FAQ entries wait for review, for the flag in every admin page's header."""
    return session.scalar(select(func.count(FaqEntry.id)).where(FaqEntry.valid_until < today)) or 0


def is_expired(entry: FaqEntry, today: date) -> bool:
    return entry.valid_until is not None and entry.valid_until < today


def shown_value(kind: Kind, attr: str, value: Any) -> str:
    """A stored value (as a snapshot holds it) in words for the list and the diff view."""
    if value is None or value == "":
        return "（空）"
    if attr == "amenity_mask":
        labels = vocabulary.amenity_labels()
        return "、".join(labels.get(c, c) for c in vocabulary.codes_of(int(value))) or "（无）"
    if attr == "hours" and kind.model is Place:
        try:
            return OpeningHours.parse(str(value)).describe()
        except OpeningHoursError:
            return str(value)
    if attr == "kind" and kind.subkinds:
        return dict(kind.subkinds).get(str(value), str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


@dataclass(frozen=True)
class ShownChange:
    """One changed column of a revision, in words."""

    label: str
    before: str
    after: str


def diff(revision: ContentRevision) -> List[ShownChange]:
    """What a revision changed, in the form's words; grid keys follow the coordinates and are not shown."""
    kind = KINDS[revision.kind]
    hidden = {column for _, _, column in GRIDS}
    return [
        ShownChange(kind.label_of(c.attr), shown_value(kind, c.attr, c.before), shown_value(kind, c.attr, c.after))
        for c in revisions.changes(revision)
        if c.attr not in hidden
    ]


def title_of(kind: Kind, row: Any) -> str:
    """The row in a few words: an FAQ's question, else its name or title."""
    return str(getattr(row, "question", None) or getattr(row, "name", None) or getattr(row, "title", ""))
