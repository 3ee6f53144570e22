"""CSV import and export of the content tables, all or nothing.

Files are UTF-8 with a byte-order mark, so Excel opens them with the right
characters. An import reads and checks every row before it writes any; a file
with errors is rejected with each error's line number and nothing changes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, TextIO

from sqlalchemy import delete, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from core import safe_text
from core.content.tables import CellError, TableSpec

# Biggest file accepted; content tables are far smaller.
MAX_BYTES = 20 * 1024 * 1024
# Longest cell kept: a legal section or an FAQ answer is a few hundred characters.
CELL_LIMIT = 10_000


@dataclass(frozen=True)
class RowError:
    """A problem at a line of the file (the header is line 1)."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.line}行" + (f" {self.column}" if self.column else "")
        return f"{where}：{self.message}"


class ImportRejected(Exception):
    """The file was not imported; `errors` lists every problem found."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class ImportReport:
    table: str
    inserted: int
    updated: int
    deleted: int


def export_table(session: Session, spec: TableSpec, out: TextIO) -> int:
    """Write every row of the table as CSV; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(spec.header())
    count = 0
    for obj in session.scalars(select(spec.model).order_by(getattr(spec.model, spec.key))):
        writer.writerow([c.format(getattr(obj, c.attribute)) for c in spec.columns])
        count += 1
    return count


def export_to_file(session: Session, spec: TableSpec, path: Path) -> int:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        return export_table(session, spec, out)


def read_rows(spec: TableSpec, data: bytes) -> List[Dict[str, Any]]:
    """Parse and check a whole file; raises `ImportRejected` listing every problem."""
    if not spec.importable:
        raise ImportRejected([RowError(0, "", f"{spec.name} 只能导出，不能导入")])
    if len(data) > MAX_BYTES:
        raise ImportRejected([RowError(0, "", f"文件超过 {MAX_BYTES // 1024 // 1024} MB")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRejected(
            [RowError(0, "", f"不是 UTF-8 编码（{error.reason}），请在 Excel 另存为“CSV UTF-8”")]
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    errors: List[RowError] = []
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise ImportRejected([RowError(1, "", f"表头读不出来：{error}")]) from None
    missing = [c.name for c in spec.columns if c.required and c.name not in header]
    unknown = [h for h in header if h not in spec.header()]
    if missing:
        errors.append(RowError(1, "", f"缺少列：{'、'.join(missing)}"))
    if unknown:
        errors.append(RowError(1, "", f"不认识的列：{'、'.join(unknown)}"))
    if errors:
        raise ImportRejected(errors)
    rows: List[Dict[str, Any]] = []
    seen: Dict[Any, int] = {}
    try:
        for raw in reader:
            line = reader.line_num
            if None in raw:
                errors.append(RowError(line, "", "这一行的格子比表头多"))
                continue
            values: Dict[str, Any] = {}
            for column in spec.columns:
                if column.name not in header:
                    continue
                cell = raw.get(column.name)
                if cell is None:
                    errors.append(RowError(line, column.name, "这一行的格子比表头少"))
                    continue
                cell = safe_text.clean(cell, CELL_LIMIT)
                try:
                    values[column.attribute] = column.parse(cell)
                except CellError as error:
                    errors.append(RowError(line, column.name, str(error)))
            if len(values) < len([c for c in spec.columns if c.name in header]):
                continue
            if spec.derive is not None:
                spec.derive(values)
            key = values.get(spec.key)
            if key is not None:
                if key in seen:
                    errors.append(RowError(line, spec.key, f"和第{seen[key]}行重复"))
                seen[key] = line
            rows.append(values)
    except csv.Error as error:
        errors.append(RowError(reader.line_num, "", f"CSV 格式错误：{error}"))
    if errors:
        raise ImportRejected(errors)
    return rows


def write_rows(
    session: Session, spec: TableSpec, rows: Iterable[Dict[str, Any]], replace: bool = False
) -> ImportReport:
    """Upsert checked rows by the table's key; with `replace`, delete rows not in the file."""
    model = spec.model
    key_attr = getattr(model, spec.key)
    # A blank primary key (an emptied `id` cell) names no row: it never overwrites the stored one.
    primary = {column.key for column in sa_inspect(model).primary_key}
    inserted = updated = 0
    kept = []
    for values in rows:
        key = values.get(spec.key)
        existing = session.scalars(select(model).where(key_attr == key)).one_or_none() if key is not None else None
        if existing is None:
            obj = model(**{k: v for k, v in values.items() if v is not None or k != spec.key})
            session.add(obj)
            inserted += 1
        else:
            for attr, value in values.items():
                if value is None and attr in primary:
                    continue
                setattr(existing, attr, value)
            obj = existing
            updated += 1
        session.flush()
        kept.append(getattr(obj, spec.key))
    deleted = 0
    if replace:
        result = session.execute(
            delete(model).where(key_attr.not_in(kept)).execution_options(synchronize_session=False)
        )
        deleted = result.rowcount or 0
    return ImportReport(spec.name, inserted, updated, deleted)


def import_bytes(session: Session, spec: TableSpec, data: bytes, replace: bool = False) -> ImportReport:
    """Check the whole file, then write it in the caller's transaction."""
    return write_rows(session, spec, read_rows(spec, data), replace=replace)
