"""The assistant's buttons on every channel: choices (a payload) and links (a URL).

A choice sends its payload back as the rider's message; a link opens a map
or dials a number. Channels that cannot show buttons list the choices as
numbered lines, and a lone digit then picks one (`pick`); links become what
the channel can open.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

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


def numbered(buttons: Optional[Sequence[Button]]) -> List[Tuple[str, str, str]]:
    """The choices as (number, label, payload), as a channel without buttons lists them.

    Choices whose titles already start with their own distinct digits (`5 很满意` … `1 很不满意`)
    keep them, so the number shown is the number meant; others are numbered 1, 2, 3 in order.
    """
    options = choices(buttons)
    heads = [str(b.get("title") or "").split(" ", 1) for b in options]
    own = all(len(h) == 2 and is_digit_choice(h[0]) for h in heads) and len({h[0] for h in heads}) == len(heads)
    if own and options:
        return [(head[0], head[1], str(b["payload"])) for head, b in zip(heads, options, strict=True)]
    return [(str(n), str(b.get("title") or ""), str(b["payload"])) for n, b in enumerate(options, 1)]


def pick(buttons: Optional[Sequence[Button]], text: str) -> Optional[str]:
    """The payload of the choice a lone digit names, as `numbered` shows them."""
    if not is_digit_choice(text):
        return None
    return next((payload for number, _, payload in numbered(buttons) if number == text.strip()), None)


def last_buttons(events: Sequence[Any]) -> List[Button]:
    """The buttons of the assistant's latest message in a conversation's events (Rasa event objects)."""
    for event in reversed(events):
        if getattr(event, "type_name", None) == "bot":
            return list((getattr(event, "data", None) or {}).get("buttons") or [])
    return []
