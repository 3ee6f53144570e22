"""Clean-up of what riders type or dictate, with a map back to the original offsets.

Kept free of Rasa so it can be tested and reused alone. Every output character
remembers the index of the input character it came from, so entity annotations
in training data can follow the text through the clean-up.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

# Categories removed outright: controls, format characters (zero-width joiners,
# direction marks), private use, unassigned, surrogates, and symbols (emoji).
_DROPPED_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs", "So", "Sk", "Me", "Mn"}
_KEEP_WHITESPACE = {"\t", "\n", "\r", "\x0b", "\x0c"}


@dataclass(frozen=True)
class Normalized:
    """Normalised text and, for each of its characters, the index it came from."""

    text: str
    origin: Tuple[int, ...]

    def span(self, start: int, end: int) -> Optional[Tuple[int, int]]:
        """Map an original [start, end) span onto the normalised text; None if it vanished."""
        inside = [i for i, o in enumerate(self.origin) if start <= o < end]
        if not inside:
            return None
        return inside[0], inside[-1] + 1


class TextNormalizer:
    """Normalise text in a fixed order.

    1. NFKC: full-width letters, digits and punctuation become half-width.
    2. Corrections: known typing and voice-input slips, longest match first
       (also maps a few meaningful emoji to words before emoji are dropped).
    3. Drop control characters, emoji and other symbols.
    4. Collapse runs of punctuation to their first mark, and runs of spaces to one.
    """

    def __init__(self, corrections: Optional[Dict[str, str]] = None) -> None:
        self._corrections = {
            unicodedata.normalize("NFKC", wrong): right for wrong, right in (corrections or {}).items()
        }
        alternatives = sorted(self._corrections, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(a) for a in alternatives)) if alternatives else None

    def normalize(self, text: str) -> Normalized:
        chars, origin = self._nfkc(text)
        chars, origin = self._correct(chars, origin)
        chars, origin = self._drop_symbols(chars, origin)
        chars, origin = self._collapse(chars, origin)
        return Normalized("".join(chars), tuple(origin))

    @staticmethod
    def _nfkc(text: str) -> Tuple[List[str], List[int]]:
        chars: List[str] = []
        origin: List[int] = []
        for index, char in enumerate(text):
            for out in unicodedata.normalize("NFKC", char):
                chars.append(out)
                origin.append(index)
        return chars, origin

    def _correct(self, chars: List[str], origin: List[int]) -> Tuple[List[str], List[int]]:
        if self._pattern is None:
            return chars, origin
        text = "".join(chars)
        out_chars: List[str] = []
        out_origin: List[int] = []
        position = 0
        for match in self._pattern.finditer(text):
            out_chars.extend(chars[position : match.start()])
            out_origin.extend(origin[position : match.start()])
            replacement = self._corrections[match.group()]
            span = origin[match.start() : match.end()]
            for i, char in enumerate(replacement):
                out_chars.append(char)
                out_origin.append(span[min(i, len(span) - 1)])
            position = match.end()
        out_chars.extend(chars[position:])
        out_origin.extend(origin[position:])
        return out_chars, out_origin

    @staticmethod
    def _drop_symbols(chars: List[str], origin: List[int]) -> Tuple[List[str], List[int]]:
        out_chars: List[str] = []
        out_origin: List[int] = []
        for char, index in zip(chars, origin, strict=True):
            if char in _KEEP_WHITESPACE:
                char = " "
            elif unicodedata.category(char) in _DROPPED_CATEGORIES:
                continue
            out_chars.append(char)
            out_origin.append(index)
        return out_chars, out_origin

    @staticmethod
    def _collapse(chars: List[str], origin: List[int]) -> Tuple[List[str], List[int]]:
        out_chars: List[str] = []
        out_origin: List[int] = []
        for char, index in zip(chars, origin, strict=True):
            previous = out_chars[-1] if out_chars else ""
            if char == " " and (not out_chars or previous == " "):
                continue
            if _is_punctuation(char) and previous and _is_punctuation(previous):
                continue
            out_chars.append(char)
            out_origin.append(index)
        while out_chars and out_chars[-1] == " ":
            out_chars.pop()
            out_origin.pop()
        return out_chars, out_origin


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")
