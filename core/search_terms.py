"""Terms for text retrieval: jieba words plus character bigrams.

Bigrams make retrieval robust to how jieba happens to split a rider's wording
(驿站收费吗 / 驿站要钱吗 share 驿站); words keep whole-term matches strong.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from typing import Any, List


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """One private jieba tokenizer per process, built on first use (about a second)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def clean(text: str) -> str:
    """NFKC, lower case, letters and digits only."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if ch.isalnum() or ch.isspace())


def terms(text: str) -> List[str]:
    """Retrieval terms of a text: words of two or more characters and character bigrams."""
    text = clean(text)
    words = [w for w in _jieba().lcut(text) if len(w.strip()) > 1]
    compact = text.replace(" ", "")
    bigrams = [compact[i : i + 2] for i in range(len(compact) - 1)]
    unigrams = [compact] if len(compact) == 1 else []
    return words + ["#" + b for b in bigrams] + unigrams
