"""Masking personal data for lists and exports; the full text only on a ticket page."""

from __future__ import annotations

import re
from typing import Optional

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_LONG_NUMBER = re.compile(r"(?<!\d)(\d{3})\d{4,}(\d{2})(?!\d)")
_NAME_AFTER = re.compile(r"(我叫|名字叫|姓名|孩子叫|本人)([\u4e00-\u9fff])[\u4e00-\u9fff]{1,3}")


def mask_text(text: Optional[str]) -> str:
    """Phone, ID-card and other long numbers, and names after 我叫/孩子叫, masked."""
    if not text:
        return ""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)[-1]}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LONG_NUMBER.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _NAME_AFTER.sub(lambda m: f"{m.group(1)}{m.group(2)}**", text)


def mask_sender(sender_id: str) -> str:
    """Enough of a sender id to tell two apart, not enough to find the person."""
    if len(sender_id) <= 6:
        return sender_id[:2] + "****"
    return f"{sender_id[:3]}****{sender_id[-3:]}"


def coarse_point(lat: Optional[float], lon: Optional[float]) -> str:
    """A shared location rounded to about a kilometre, for lists."""
    if lat is None or lon is None:
        return ""
    return f"{lat:.2f}, {lon:.2f}"
