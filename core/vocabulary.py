"""Amenities and kinds of place: fixed codes here, Chinese labels in content/vocabulary/.

An amenity's bit in `Place.amenity_mask` is its index in `AMENITIES`; append new
codes at the end so stored masks keep their meaning.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, Iterable, List

from core.settings import PROJECT_ROOT

AMENITIES = (
    "drinking_water",
    "phone_charging",
    "battery_charging",
    "microwave",
    "toilet",
    "seats",
    "air_conditioning",
    "heating",
    "first_aid",
    "repair_tools",
    "umbrella",
    "wifi",
)
PLACE_KINDS = ("暖新驿站", "司机之家", "党群服务中心", "爱心商户", "友好场景")
VOCABULARY_DIR = PROJECT_ROOT / "content" / "vocabulary"


class UnknownAmenity(ValueError):
    """An amenity code not in `AMENITIES`."""


def mask_of(codes: Iterable[str]) -> int:
    """The bit mask of a set of amenity codes."""
    mask = 0
    for code in codes:
        code = code.strip()
        if not code:
            continue
        if code not in AMENITIES:
            raise UnknownAmenity(code)
        mask |= 1 << AMENITIES.index(code)
    return mask


def codes_of(mask: int) -> List[str]:
    """The amenity codes set in a mask, in `AMENITIES` order."""
    return [code for i, code in enumerate(AMENITIES) if mask & (1 << i)]


def amenity_labels(path: Path = VOCABULARY_DIR / "amenities.csv") -> Dict[str, str]:
    """Chinese label of each amenity code."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["name"]: row["label"] for row in csv.DictReader(handle)}
