"""The assistant's buttons on every channel: choices (a payload) and links (a URL).

A choice sends its payload back as the rider's message; a link opens a map
or dials a number. Channels that cannot show buttons list the choices as
numbered lines, and a lone digit then picks one (`pick`); links become what
the channel can open.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

Button = Dict[str, Any]
WEB_SCHEMES = ("https://", "http://")


def choices(buttons: Optional[Sequence[Button]]) -> List[Button]:
    """The buttons that answer with a payload, in order."""
    return [b for b in buttons or [] if b.get("payload")]


def links(buttons: Optional[Sequence[Button]], schemes: Sequence[str] = WEB_SCHEMES) -> List[Button]:
    """The buttons that open a URL of one of `schemes` (web pages by default; `tel:` where dialling works)."""
    return [b for b in buttons or [] if str(b.get("url") or "").startswith(tuple(schemes))]


def is_digit_choice(text: str) -> bool:
    """A lone digit 1–9: what a rider types to pick a numbered choice."""
    digit = text.strip()
    return len(digit) == 1 and digit.isdigit() and digit != "0"


def pick(buttons: Optional[Sequence[Button]], text: str) -> Optional[str]:
    """The payload a lone digit picks: the choice whose title starts with it (`5 很满意`), else the n-th."""
    if not is_digit_choice(text):
        return None
    digit = text.strip()
    options = choices(buttons)
    titled = [b for b in options if str(b.get("title") or "").split(" ", 1)[0] == digit]
    if titled:
        return str(titled[0]["payload"])
    index = int(digit)
    return str(options[index - 1]["payload"]) if index <= len(options) else None


def last_buttons(events: Sequence[Any]) -> List[Button]:
    """The buttons of the assistant's latest message in a conversation's events (Rasa event objects)."""
    for event in reversed(events):
        if getattr(event, "type_name", None) == "bot":
            return list((getattr(event, "data", None) or {}).get("buttons") or [])
    return []
