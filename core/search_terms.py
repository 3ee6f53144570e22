"""Terms for text retrieval: character bigrams and trigrams of the cleaned text.

Character n-grams need no word segmentation, so they do not depend on how a
rider happens to split or misspell a phrase (驿站收费吗 / 驿站要钱吗 share 驿站),
and an index of thousands of entries builds in a fraction of a second.
"""

from __future__ import annotations

import unicodedata
from typing import List


def clean(text: str) -> str:
    """NFKC, lower case, letters and digits only."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if ch.isalnum())


def terms(text: str) -> List[str]:
    """Retrieval terms of a text: its character bigrams and trigrams (the text itself if shorter)."""
    compact = clean(text)
    if len(compact) < 2:
        return [compact] if compact else []
    bigrams = [compact[i : i + 2] for i in range(len(compact) - 1)]
    trigrams = [compact[i : i + 3] for i in range(len(compact) - 2)]
    return bigrams + trigrams
