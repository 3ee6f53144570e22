"""Reading what people type into form fields: ages, mobile numbers, names, record ids, coordinates."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Optional, Tuple

# The largest id a database column holds (SQLite and PostgreSQL BIGINT).
MAX_ID = 2**63 - 1

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHINESE_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,10}$|^[A-Za-z][A-Za-z .'-]{1,29}$")
_NAME_PREFIXES = ("孩子叫", "小孩叫", "我叫", "名字叫", "姓名是", "名字是", "叫")


def chinese_number(text: str) -> Optional[int]:
    """Value of a Chinese numeral up to 99 (七, 十二, 二十, 两)."""
    if not text or any(ch not in _DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return _DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


def parse_age(text: str) -> Optional[int]:
    """The first whole number of years in `text` ("8岁", "七岁半", "孩子十岁了")."""
    text = unicodedata.normalize("NFKC", text or "")
    digits = re.search(r"\d{1,3}", text)
    if digits:
        return int(digits.group())
    for match in _CHINESE_NUMBER.finditer(text):
        value = chinese_number(match.group())
        if value is not None:
            return value
    return None


def parse_mobile(text: str) -> Optional[str]:
    """An 11-digit mainland mobile number, with spaces and dashes allowed inside."""
    compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text or ""))
    match = _MOBILE.search(compact)
    return match.group(1) if match else None


def parse_name(text: str) -> Optional[str]:
    """A person's name as typed, without lead-ins such as 孩子叫."""
    name = unicodedata.normalize("NFKC", text or "").strip().strip("。.!！，,")
    for prefix in _NAME_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :].strip()
            break
    return name if _NAME.match(name) else None


def mask_phone(phone: Optional[str]) -> str:
    """138****5678: enough to recognise, not enough to call."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_name(name: Optional[str]) -> str:
    """王*明 / 王*: the family name and the last character only."""
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*"


def record_id(value: object) -> Optional[int]:
    """A record id from a path, a form or a button payload; None for anything that cannot be one.

    Payloads can be typed by hand (`/enrol{"programme_id": "x"}`), so nothing here trusts them.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value if value is not None else "")
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)) or int(text) > MAX_ID:
        return None  # the length first: int() refuses strings of over 4,300 digits
    return int(text)


def whole_number(value: object) -> Optional[int]:
    """A slot's number (6.0, "6") as an int; None for no number, "abc", NaN or infinity."""
    try:
        return int(float(str(value)))
    except (TypeError, ValueError, OverflowError):
        return None


def coordinates(lat: object, lon: object) -> Optional[Tuple[float, float]]:
    """A shared location's latitude and longitude; None unless both are finite numbers on the globe.

    They reach the slots from a channel's location message or a hand-typed payload
    (`/share_location{"latitude": "abc"}`), so nothing here trusts them.
    """
    values = []
    for value in (lat, lon):
        if isinstance(value, bool):
            return None
        try:
            number = float(str(value))
        except (TypeError, ValueError, OverflowError):
            return None
        if not math.isfinite(number):
            return None
        values.append(number)
    if abs(values[0]) > 90 or abs(values[1]) > 180:
        return None
    return values[0], values[1]
