"""Uploaded CSV files kept between an import's preview and the admin's 确认导入.

The preview page carries only a random token; the file itself, its digest and the
digest of the table the preview was made against wait here, in a private folder
under var/, so every web worker of the machine finds them. A confirmation reads the
very bytes that were previewed (checked against their digest) and is refused once
the table has changed (`core.content.csv_io.confirm_import`). Staged files expire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

from core.settings import private_dir, private_file

LIFETIME = timedelta(hours=1)
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


@dataclass(frozen=True)
class StagedImport:
    """A previewed file waiting for confirmation, and what the preview was made against."""

    table: str
    replace: bool
    table_digest: str
    user_id: int
    data: bytes


class StagedImports:
    """Staged files, one JSON file per token in `folder`."""

    def __init__(self, folder: Path, lifetime: timedelta = LIFETIME) -> None:
        self.folder = folder
        self.lifetime = lifetime

    def put(self, staged: StagedImport, now: datetime) -> str:
        """Keep `staged` and return its token; files past their lifetime are removed first."""
        private_dir(self.folder)
        self._expire(now)
        token = secrets.token_urlsafe(32)
        record = {
            "table": staged.table,
            "replace": staged.replace,
            "table_digest": staged.table_digest,
            "user_id": staged.user_id,
            "staged_at": now.isoformat(),
            "data_digest": hashlib.sha256(staged.data).hexdigest(),
            "data": base64.b64encode(staged.data).decode(),
        }
        private_file(self._path(token)).write_text(json.dumps(record), encoding="utf-8")
        return token

    def get(self, token: str, user_id: int, now: datetime) -> Optional[StagedImport]:
        """The file staged under `token` by `user_id`; None if unknown, expired, another's or altered."""
        path = self._path(token) if TOKEN.fullmatch(token or "") else None
        if path is None or not path.is_file():
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
        data = base64.b64decode(record["data"])
        if (
            record["user_id"] != user_id
            or now - datetime.fromisoformat(record["staged_at"]) > self.lifetime
            or hashlib.sha256(data).hexdigest() != record["data_digest"]
        ):
            return None
        return StagedImport(record["table"], record["replace"], record["table_digest"], user_id, data)

    def discard(self, token: str) -> None:
        if TOKEN.fullmatch(token or ""):
            self._path(token).unlink(missing_ok=True)

    def _path(self, token: str) -> Path:
        return self.folder / f"{token}.json"

    def _expire(self, now: datetime) -> None:
        for path in self.folder.glob("*.json"):
            try:
                staged_at = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["staged_at"])
            except (OSError, ValueError, KeyError):
                continue  # being written by another worker, or not ours
            if now - staged_at > self.lifetime:
                path.unlink(missing_ok=True)
