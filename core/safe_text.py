"""Text from outside made safe once, where it enters: every channel, the console, the CSV importer.

A lone surrogate (`"\\ud800"` is valid JSON) cannot be encoded as UTF-8, so the
first database write of a conversation holding one failed, and Rasa's tracker
store took the failure for a missing schema and stopped the server. NUL cannot be
stored in PostgreSQL text. Other control characters and endless input only make
trouble further in. None of them carries meaning for a rider's question.
"""

from __future__ import annotations

import unicodedata
from typing import Any

# A rider's message is a few sentences; a pasted story a few hundred characters.
MESSAGE_LIMIT = 2_000
# Nested JSON deeper than this is refused before anything walks it.
JSON_DEPTH_LIMIT = 20
_KEPT_CONTROLS = {"\n", "\t"}


def clean(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` without lone surrogates and control characters (line breaks and tabs stay),
    carriage returns as line breaks, cut to `limit` characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(ch for ch in text if _allowed(ch))
    return kept[:limit]


def _allowed(ch: str) -> bool:
    if ch in _KEPT_CONTROLS:
        return True
    category = unicodedata.category(ch)
    return category not in ("Cs", "Cc") and ch not in ("\u2028", "\u2029")


class TooDeep(ValueError):
    """JSON nested deeper than `JSON_DEPTH_LIMIT`."""


def clean_json(value: Any, limit: int = MESSAGE_LIMIT, depth: int = 0) -> Any:
    """A JSON value with every string (keys included) cleaned; raises `TooDeep` past the depth limit."""
    if depth > JSON_DEPTH_LIMIT:
        raise TooDeep(f"nested deeper than {JSON_DEPTH_LIMIT}")
    if isinstance(value, str):
        return clean(value, limit)
    if isinstance(value, dict):
        return {clean(str(k), limit): clean_json(v, limit, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v, limit, depth + 1) for v in value]
    return value
