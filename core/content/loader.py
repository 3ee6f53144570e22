"""First-run content: the gazetteer, topics, legal guides, FAQ and the sample tables."""

from __future__ import annotations

import csv
import functools
import io
from datetime import date
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.content import sample
from core.content.csv_io import ImportReport, import_bytes
from core.content.tables import table_specs
from core.models import Topic
from core.settings import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content"
# Tables read from files under content/, in dependency order.
FILE_TABLES = (
    ("districts", "gazetteer/districts.csv"),
    ("landmarks", "gazetteer/landmarks.csv"),
    ("topics", "topics.csv"),
    ("legal_topics", "legal_topics.csv"),
    ("legal_sections", "legal_sections.csv"),
    ("faq", "faq.csv"),
    ("canned_replies", "canned_replies.csv"),
)


def read_csv(path: Path) -> List[Dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def to_csv_bytes(header: Sequence[str], rows: Sequence[Dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def district_names(content_dir: Path = CONTENT_DIR) -> List[str]:
    """The city's districts in the shipped gazetteer; read once, as console pages ask several times a request."""
    return list(_district_names(content_dir))


@functools.lru_cache(maxsize=4)
def _district_names(content_dir: Path) -> Tuple[str, ...]:
    return tuple(row["name"] for row in read_csv(content_dir / "gazetteer" / "districts.csv"))


def is_empty(session: Session) -> bool:
    """A database nothing was ever loaded into."""
    return _is_empty(session, Topic)


def load_initial(session: Session, today: date, content_dir: Path = CONTENT_DIR) -> List[ImportReport]:
    """Load everything into an empty database; in an installed one, only tables still empty.

    Admins' edits live in the database, so a table that holds rows is never
    reloaded over them; a table a later migration added starts empty and is
    filled from content/ here. The sample tables are loaded into a new
    database only. Every table goes through the same checks as an admin's CSV import.
    """
    fresh = is_empty(session)
    districts = read_csv(content_dir / "gazetteer" / "districts.csv")
    landmarks = read_csv(content_dir / "gazetteer" / "landmarks.csv")
    specs = table_specs([d["name"] for d in districts])
    reports = [
        import_bytes(session, specs[name], (content_dir / relative).read_bytes())
        for name, relative in FILE_TABLES
        if fresh or _is_empty(session, specs[name].model)
    ]
    if fresh:
        for name, rows in sample.generate(districts, landmarks, today).items():
            reports.append(import_bytes(session, specs[name], to_csv_bytes(specs[name].header(), rows)))
    return reports


def _is_empty(session: Session, model: type) -> bool:
    return session.scalar(select(func.count()).select_from(model)) == 0
