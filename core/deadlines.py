"""How long staff have to answer and to resolve each class of ticket.

Defaults follow the 12345 hotline practice: urgent safety reports answered within
2 hours; ordinary requests answered within 24 hours and resolved within 7 days;
complex ones resolved within 15 days. `TICKET_DEADLINES` overrides them, e.g.
``urgent=2h/24h,ordinary=24h/7d,complex=24h/15d``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Dict, Tuple

Deadlines = Dict[str, Tuple[timedelta, timedelta]]
DEFAULT = "urgent=2h/24h,ordinary=24h/7d,complex=24h/15d"
_SPAN = re.compile(r"^(\d+)([hd])$")


def parse(text: str = DEFAULT) -> Deadlines:
    """Parse `class=respond/resolve` pairs; raises ValueError on anything else."""
    result: Deadlines = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, spans = part.partition("=")
        respond, _, resolve = spans.partition("/")
        result[name.strip()] = (_span(respond), _span(resolve))
    for required in ("urgent", "ordinary", "complex"):
        if required not in result:
            raise ValueError(f"TICKET_DEADLINES lacks '{required}'")
    return result


def _span(text: str) -> timedelta:
    match = _SPAN.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a span such as 24h or 7d")
    value, unit = int(match.group(1)), match.group(2)
    return timedelta(hours=value) if unit == "h" else timedelta(days=value)
