"""Reading the ordinals and clock times a rider uses to point back at the last answer.

`第二个怎么走`, `最后那家电话多少`, `晚上十点还开吗`, `半夜12点半呢`: plain functions over
text, used by `nlu.followup_extractor` and tested on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

NOW = "now"
# Suffix of a clock time read without a part of the day: `十点` may be 10:00 or 22:00.
EITHER_HALF = "?"
LAST = -1
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUMBER = r"[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3}"

ORDINAL = re.compile(
    rf"第\s*({NUMBER})\s*(?:个|家|条|项|处|站)?|(最后|倒数第一)(?:一|那)?(?:个|家|处)?|(头)(?:一|那)(?:个|家)"
)
PERIODS = {
    "凌晨": "early",
    "早上": "am",
    "早晨": "am",
    "上午": "am",
    "中午": "noon",
    "下午": "pm",
    "傍晚": "pm",
    "晚上": "pm",
    "夜里": "night",
    "夜间": "night",
    "半夜": "night",
    "后半夜": "early",
}
PERIOD = "|".join(sorted(PERIODS, key=len, reverse=True))
CLOCK = re.compile(
    rf"({PERIOD})?\s*({NUMBER})\s*(?:点|时|:|：)\s*(半|一刻|三刻|[0-5]?[0-9](?:分)?)?|(?<![天个])(半夜|夜里|晚上)(?=还|开|关)"
)
# A bare period stands for a typical moment of it.
PERIOD_ALONE = {"early": 3 * 60, "am": 9 * 60, "noon": 12 * 60, "pm": 19 * 60, "night": 23 * 60}


@dataclass(frozen=True)
class Cue:
    """A match: where it is in the text and its value."""

    start: int
    end: int
    value: object


def number(text: str) -> Optional[int]:
    """`12`, `十二`, `二十`, `两` as an integer; None for anything else."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return DIGITS[text] if len(text) == 1 else None
    tens, _, units = text.partition("十")
    if "十" in units:
        return None
    tens_value = DIGITS.get(tens) if tens else 1
    units_value = DIGITS.get(units) if units else 0
    if tens_value is None or units_value is None:
        return None
    return tens_value * 10 + units_value


def ordinals(text: str) -> Iterator[Cue]:
    """`第二个` → 2, `最后那家` → -1 (the last), `头一个` → 1."""
    for match in ORDINAL.finditer(text):
        if match.group(1):
            value = number(match.group(1))
            if value is None or value < 1:
                continue
        else:
            value = LAST if match.group(2) else 1
        yield Cue(match.start(), match.end(), value)


def clock_times(text: str) -> Iterator[Cue]:
    """`晚上十点` → "22:00", `十点` → "10:00?" (or 22:00), `半夜还开吗` → "23:00".

    A part of the day alone counts only right before 还/开/关 (`晚上还开吗`), not in a
    story (`早上送单时…`); "now" needs no cue of its own: a question about opening
    without a time is about now.
    """
    for match in CLOCK.finditer(text):
        if match.group(4):
            yield Cue(match.start(), match.end(), _format(PERIOD_ALONE[PERIODS[match.group(4)]]))
            continue
        hour = number(match.group(2))
        if hour is None or hour > 24 or _a_little(match):
            continue
        minutes = _minutes(match.group(3) or "")
        if minutes is None:
            continue
        period = PERIODS.get(match.group(1) or "")
        value = _format((_in_period(hour, period) % 24) * 60 + minutes)
        # Without a part of the day, 1 to 11 o'clock may be morning or evening.
        yield Cue(match.start(), match.end(), value + EITHER_HALF if period is None and 0 < hour < 12 else value)


def _a_little(match: re.Match) -> bool:
    """`近一点的`, `快一点`: 一点 meaning "a little", not one o'clock."""
    return match.group(2) == "一" and not match.group(1) and not match.group(3)


def _minutes(text: str) -> Optional[int]:
    text = text.rstrip("分")
    named = {"": 0, "半": 30, "一刻": 15, "三刻": 45}
    if text in named:
        return named[text]
    value = int(text) if text.isdigit() else None
    return value if value is not None and value < 60 else None


def _in_period(hour: int, period: Optional[str]) -> int:
    """A 12-hour clock hour read in its part of the day (`晚上十点` is 22:00)."""
    if period in ("pm", "night") and hour < 12:
        return hour + 12 if not (period == "night" and hour <= 4) else hour
    if period == "noon" and hour < 6:
        return hour + 12
    if period in ("pm", "night", "early") and hour == 12:
        return 0
    return hour


def _format(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
