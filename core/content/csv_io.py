"""CSV import and export of the content tables: previewed, idempotent, all or nothing.

Exports are UTF-8 with a byte-order mark and Chinese headers, so Excel opens them
with the right characters. Imports read UTF-8 (with or without the mark) and
GBK/GB18030, which Excel on Chinese Windows writes as "CSV (逗号分隔)"; the English
column names of the project's own files are read too.

An import is planned before it is written (`plan_import`): every row is read and
checked, and matched to a stored row by its key, or, where the key is a blank or
unknown id, by the table's natural key (`TableSpec.natural`), so importing the same
file twice adds nothing the second time. A file with errors is rejected whole with
each error's row as Excel numbers it (the header is row 1) and the column's Chinese
header, and nothing changes. The plan says what will be added, changed (field by
field) and removed, and carries a digest of the table it was made against:
`confirm_import` writes it only if the table still has that digest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Hashable, Iterator, List, Optional, Sequence, TextIO, Tuple

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core import safe_text
from core.content.revisions import Snapshot, snapshot
from core.content.tables import CellError, Column, TableSpec

# Told of each row an import adds, changes or removes: (row, before, after); None where it did not exist.
OnChange = Callable[[Any, Optional[Snapshot], Optional[Snapshot]], None]

# Biggest file accepted; content tables are far smaller.
MAX_BYTES = 20 * 1024 * 1024
# Longest cell kept: a legal section or an FAQ answer is a few hundred characters.
CELL_LIMIT = 10_000
# Tried in turn: UTF-8 (Excel's "CSV UTF-8" adds the mark), then GB18030, a superset of
# the GBK that Excel writes on Chinese Windows. Chinese text in GBK is almost never valid UTF-8.
ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class RowError:
    """A problem at a row of the file, numbered as Excel shows it (the header is row 1; 0: the whole file)."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.line:
            return self.message
        where = f"第{self.line}行" + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.message}"


class ImportRejected(Exception):
    """The file was not imported; `errors` lists every problem found."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = list(errors)


class ImportStale(Exception):
    """The table changed after the preview was made: writing it now would not write what was shown."""


@dataclass(frozen=True)
class ImportReport:
    table: str
    inserted: int
    updated: int
    deleted: int
    unchanged: int = 0


@dataclass(frozen=True)
class FileRow:
    """A checked row of the file: its row number as Excel shows it and the model's values."""

    row: int
    values: Dict[str, Any]


@dataclass(frozen=True)
class FieldChange:
    column: str  # the Chinese header
    before: str
    after: str


@dataclass(frozen=True)
class RowChange:
    """A row the import adds, changes or removes; `row` is 0 for a stored row the file lacks."""

    row: int
    label: str
    fields: Tuple[FieldChange, ...] = ()


@dataclass
class ImportPlan:
    """What importing a file would do to a table, and the table's digest when planned."""

    table: str
    title: str
    added: List[RowChange]
    changed: List[RowChange]
    removed: List[RowChange]
    unchanged: int
    digest: str
    _inserts: List[Dict[str, Any]] = field(default_factory=list, repr=False)
    _updates: List[Tuple[Any, Dict[str, Any]]] = field(default_factory=list, repr=False)
    _deletes: List[Any] = field(default_factory=list, repr=False)

    @property
    def empty(self) -> bool:
        """The file holds exactly what the table holds."""
        return not (self.added or self.changed or self.removed)


def export_table(session: Session, spec: TableSpec, out: TextIO) -> int:
    """Write every row of the table as CSV under the Chinese headers; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(spec.labels())
    count = 0
    for cells in _exported(spec, _stored(session, spec)):
        writer.writerow(cells)
        count += 1
    return count


def export_to_file(session: Session, spec: TableSpec, path: Path) -> int:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        return export_table(session, spec, out)


def table_digest(session: Session, spec: TableSpec) -> str:
    """A digest of what an export of the table holds: equal digests, equal tables."""
    return _digest(spec, _stored(session, spec))


def _stored(session: Session, spec: TableSpec, lock: bool = False) -> List[Any]:
    """Every stored row; with `lock`, no one else writes the table until this transaction ends."""
    if lock:
        _lock_table(session, spec)
    return list(session.scalars(select(spec.model).order_by(getattr(spec.model, spec.key))))


def _lock_table(session: Session, spec: TableSpec) -> None:
    """Make the rows read next the rows written over: a confirmation compares the table with its preview.

    SQLite's write transactions exclude each other already (core.db takes the lock at
    BEGIN). On PostgreSQL, row locks would not stop another admin's new row; this lock
    waits for every open writer of the table, and the next statement sees what they committed.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        table = bind.dialect.identifier_preparer.format_table(sa_inspect(spec.model).local_table)
        session.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))


def _exported(spec: TableSpec, rows: List[Any]) -> Iterator[List[str]]:
    for obj in rows:
        yield [c.format(getattr(obj, c.attribute)) for c in spec.columns]


def _digest(spec: TableSpec, rows: List[Any]) -> str:
    hasher = hashlib.sha256()
    for cells in _exported(spec, rows):
        hasher.update(json.dumps(cells, ensure_ascii=False).encode())
        hasher.update(b"\n")
    return hasher.hexdigest()


def decode(data: bytes) -> str:
    """The file's text, in the first of `ENCODINGS` that reads it whole."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding).lstrip("\ufeff")  # GB18030 has a byte-order mark of its own
        except UnicodeDecodeError:
            continue
    advice = "请在 Excel 里另存为“CSV UTF-8（逗号分隔）”再导入"
    raise ImportRejected([RowError(0, "", f"文件的编码认不出：不是 UTF-8，也不是 GBK/GB18030。{advice}")])


def read_rows(spec: TableSpec, data: bytes) -> List[FileRow]:
    """Parse and check a whole file; raises `ImportRejected` listing every problem."""
    if not spec.importable:
        raise ImportRejected([RowError(0, "", f"“{spec.title or spec.name}”只能导出，不能导入")])
    if len(data) > MAX_BYTES:
        raise ImportRejected([RowError(0, "", f"文件超过 {MAX_BYTES // 1024 // 1024} MB")])
    records = csv.reader(io.StringIO(decode(data), newline=""))
    try:
        header = next(records, [])
    except csv.Error as error:
        raise ImportRejected([RowError(1, "", f"表头读不出来：{_csv_problem(error)}")]) from None
    columns = _header_columns(spec, header)
    rows: List[FileRow] = []
    errors: List[RowError] = []
    number = 1
    try:
        for record in records:
            number += 1
            values = _read_record(spec, columns, number, record, errors)
            if values is not None:
                rows.append(FileRow(number, values))
    except csv.Error as error:
        errors.append(RowError(number + 1, "", f"CSV 格式错误：{_csv_problem(error)}"))
    if errors:
        raise ImportRejected(errors)
    return rows


def _csv_problem(error: csv.Error) -> str:
    """What the csv module's complaint means, in Chinese (it has only these two for the reader we use)."""
    if "NUL" in str(error):
        return "文件里有空字符（NUL），不像是表格文件"
    return f"有一格超过 {csv.field_size_limit()} 个字，多半是有个引号没有配对"


def _header_columns(spec: TableSpec, header: List[str]) -> List[Optional[Column]]:
    """The column under each header cell (None: a blank header, as Excel leaves past the last column)."""
    known: Dict[str, Column] = {}
    for column in spec.columns:
        known[column.name] = known[column.header] = column
    found: List[Optional[Column]] = []
    errors: List[RowError] = []
    unknown: List[str] = []
    for cell in header:
        under = known.get(cell.strip())
        if cell.strip() and under is None:
            unknown.append(cell.strip())
        elif under is not None and under in found:
            errors.append(RowError(1, under.header, "这一列出现了两次"))
        found.append(under)
    missing = [c.header for c in spec.columns if c.required and c not in found]
    if missing:
        errors.append(RowError(1, "", f"缺少列：{'、'.join(missing)}"))
    if unknown:
        errors.append(RowError(1, "", f"不认识的列：{'、'.join(unknown)}；可用的列：{'、'.join(spec.labels())}"))
    if errors:
        raise ImportRejected(errors)
    return found


def _read_record(
    spec: TableSpec, columns: List[Optional[Column]], number: int, record: List[str], errors: List[RowError]
) -> Optional[Dict[str, Any]]:
    """The values of one record, or None when it is blank (Excel's empty rows) or has errors (added to `errors`)."""
    if not any(cell.strip() for cell in record):
        return None
    if any(cell.strip() for column, cell in zip(columns, record, strict=False) if column is None) or (
        any(cell.strip() for cell in record[len(columns) :])
    ):
        errors.append(RowError(number, "", "这一行的格子比表头多"))
        return None
    values: Dict[str, Any] = {}
    before = len(errors)
    for position, column in enumerate(columns):
        if column is None:
            continue
        if position >= len(record):
            unpaired = any("\n" in cell for cell in record)  # the rest of the file read as one quoted cell
            hint = "（是不是有个引号没有配对？）" if unpaired else ""
            errors.append(RowError(number, column.header, f"这一行的格子比表头少{hint}"))
            break
        try:
            values[column.attribute] = column.parse(safe_text.clean(record[position], CELL_LIMIT))
        except CellError as error:
            errors.append(RowError(number, column.header, str(error)))
    if len(errors) > before:
        return None
    if spec.derive is not None:
        spec.derive(values)
    return values


def plan_import(
    session: Session, spec: TableSpec, data: bytes, replace: bool = False, lock: bool = False
) -> ImportPlan:
    """What importing `data` would add, change and (with `replace`) remove; writes nothing.

    Raises `ImportRejected` for a file with errors, and for rows that would leave two
    rows with one natural key: two rows of the file, or a row of the file and a stored
    row it does not update. `lock` holds the stored rows until the transaction ends.
    """
    rows = read_rows(spec, data)
    stored = _stored(session, spec, lock)
    targets, errors = _match(spec, rows, stored)
    errors += _collisions(spec, rows, stored, targets, replace)
    if errors:
        first = {e.line: e for e in reversed(errors)}  # one reason a row is refused is enough
        raise ImportRejected(sorted(first.values(), key=lambda e: e.line))
    primary = _primary_keys(spec)
    plan = ImportPlan(spec.name, spec.title, [], [], [], 0, _digest(spec, stored))
    for file_row, target in zip(rows, targets, strict=True):
        label = spec.describe(file_row.values)
        if target is None:
            plan.added.append(RowChange(file_row.row, label))
            plan._inserts.append({k: v for k, v in file_row.values.items() if v is not None or k not in primary})
            continue
        fields = tuple(_changed_fields(spec, target, file_row.values, primary))
        if fields:
            plan.changed.append(RowChange(file_row.row, label, fields))
            plan._updates.append((target, file_row.values))
        else:
            plan.unchanged += 1
    if replace:
        kept = {id(t) for t in targets if t is not None}
        for obj in stored:
            if id(obj) not in kept:
                plan.removed.append(RowChange(0, spec.describe(_values_of(spec, obj))))
                plan._deletes.append(obj)
    return plan


def _primary_keys(spec: TableSpec) -> set:
    """Primary-key attributes: never overwritten by an import (a blank or foreign id names no row)."""
    return {column.key for column in sa_inspect(spec.model).primary_key}


def _values_of(spec: TableSpec, obj: Any) -> Dict[str, Any]:
    names = {spec.key, *spec.natural}
    return {name: getattr(obj, name) for name in names}


def _match(spec: TableSpec, rows: List[FileRow], stored: List[Any]) -> Tuple[List[Any], List[RowError]]:
    """The stored row each file row updates (None: it adds one), and rows that cannot be matched.

    First by key (an id naming a stored row wins, so an edited question stays its row),
    then the rest by natural key among the stored rows no key claimed.
    """
    by_key = {getattr(obj, spec.key): obj for obj in stored}
    by_identity: Dict[Hashable, List[Any]] = defaultdict(list)
    for obj in stored:
        by_identity[spec.identity(_values_of(spec, obj))].append(obj)
    targets: List[Any] = [by_key.get(r.values.get(spec.key)) for r in rows]
    claimed: Dict[int, int] = {}
    errors: List[RowError] = []
    for file_row, target in zip(rows, targets, strict=True):
        if target is not None:
            errors += _claim(claimed, target, file_row)
    for index, file_row in enumerate(rows):
        if targets[index] is not None or not spec.natural:
            continue
        free = [obj for obj in by_identity.get(spec.identity(file_row.values), []) if id(obj) not in claimed]
        if len(free) > 1:
            ids = "、".join(str(getattr(obj, spec.key)) for obj in free)
            advice = "请在「编号」列填上要更新的那一条"
            errors.append(RowError(file_row.row, "", f"表里已有 {len(free)} 条相同的记录（编号 {ids}），{advice}"))
        elif free:
            targets[index] = free[0]
            errors += _claim(claimed, free[0], file_row)
    return targets, errors


def _claim(claimed: Dict[int, int], target: Any, file_row: FileRow) -> List[RowError]:
    if id(target) in claimed:
        return [RowError(file_row.row, "", f"和第{claimed[id(target)]}行是同一条记录")]
    claimed[id(target)] = file_row.row
    return []


def _collisions(
    spec: TableSpec, rows: List[FileRow], stored: List[Any], targets: List[Any], replace: bool
) -> List[RowError]:
    """Added rows, and rows whose natural key the import changes, that would share it with another row.

    Rows that keep their natural key are left alone: duplicates already stored are not
    this import's doing, and must not stop an unchanged export from going back in.
    """
    keeps = [
        t is not None and spec.identity(_values_of(spec, t)) == spec.identity(r.values)
        for r, t in zip(rows, targets, strict=True)
    ]
    owner: Dict[Hashable, int] = {}
    for file_row, kept_key in zip(rows, keeps, strict=True):
        if kept_key:
            owner.setdefault(spec.identity(file_row.values), file_row.row)
    matched = {id(t) for t in targets if t is not None}
    untouched: Dict[Hashable, List[Any]] = defaultdict(list)
    for obj in stored if not replace else []:
        if id(obj) not in matched:
            untouched[spec.identity(_values_of(spec, obj))].append(obj)
    errors: List[RowError] = []
    for file_row, kept_key in zip(rows, keeps, strict=True):
        if kept_key:
            continue
        identity, label = spec.identity(file_row.values), spec.describe(file_row.values)
        if identity in owner:
            errors.append(RowError(file_row.row, "", f"和第{owner[identity]}行重复（{label}）"))
        owner.setdefault(identity, file_row.row)
        for obj in untouched.get(identity, []):
            number = getattr(obj, spec.key)
            errors.append(RowError(file_row.row, "", f"导入后会和表里编号 {number} 的记录重复（{label}）"))
    return errors


def _changed_fields(spec: TableSpec, obj: Any, values: Dict[str, Any], primary: set) -> Iterator[FieldChange]:
    for column in spec.columns:
        attr = column.attribute
        if attr not in values or attr in primary:
            continue
        before, after = column.format(getattr(obj, attr)), column.format(values[attr])
        if before != after:
            yield FieldChange(column.header, before, after)


def apply(session: Session, spec: TableSpec, plan: ImportPlan, on_change: Optional[OnChange] = None) -> ImportReport:
    """Write a plan made in this session: removals, then changes, then additions (each told to `on_change`)."""
    primary = _primary_keys(spec)
    removed = [(obj, snapshot(obj) if on_change else None) for obj in plan._deletes]
    for obj, _ in removed:
        session.delete(obj)
    session.flush()
    changed = []
    for obj, values in plan._updates:
        before = snapshot(obj) if on_change else None
        for attr, value in values.items():
            if attr not in primary:
                setattr(obj, attr, value)
        changed.append((obj, before))
    session.flush()
    added = [spec.model(**values) for values in plan._inserts]
    session.add_all(added)
    session.flush()
    if on_change:
        for obj, before in removed:
            on_change(obj, before, None)
        for obj, before in changed:
            on_change(obj, before, snapshot(obj))
        for obj in added:
            on_change(obj, None, snapshot(obj))
    return ImportReport(spec.name, len(plan.added), len(plan.changed), len(plan.removed), plan.unchanged)


def confirm_import(
    session: Session, spec: TableSpec, data: bytes, replace: bool, digest: str, on_change: Optional[OnChange] = None
) -> ImportReport:
    """Write the import previewed against a table of `digest`; `ImportStale` if the table changed since."""
    plan = plan_import(session, spec, data, replace, lock=True)
    if plan.digest != digest:
        raise ImportStale(spec.name)
    return apply(session, spec, plan, on_change)


def import_bytes(session: Session, spec: TableSpec, data: bytes, replace: bool = False) -> ImportReport:
    """Check the whole file, then write it in the caller's transaction (no preview: the CLI, first-run content)."""
    return apply(session, spec, plan_import(session, spec, data, replace, lock=True))
