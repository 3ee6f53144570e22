"""FAQ retrieval with BM25 over the entries in the database, fresh at question time.

The index is rebuilt when the table changes (count or newest edit), so an admin's
new or corrected answer is found by the next question, without retraining.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.models import FaqEntry
from core.search_terms import terms

K1 = 1.2
B = 0.75
# Similarity (0..1) from which an entry is answered outright, and from which it is offered.
ANSWER_THRESHOLD = 0.45
SUGGEST_THRESHOLD = 0.2


@dataclass(frozen=True)
class FaqMatch:
    """An entry and how well it matches the question (0..1)."""

    entry_id: int
    question: str
    answer: str
    intent: Optional[str]
    similarity: float


@dataclass(frozen=True)
class _Doc:
    entry_id: int
    question: str
    answer: str
    intent: Optional[str]
    length: int


class FaqIndex:
    """An inverted BM25 index over the question and variants of each entry."""

    def __init__(self, entries: Sequence[FaqEntry]) -> None:
        self._docs: List[_Doc] = []
        self._postings: Dict[str, List[Tuple[int, int]]] = defaultdict(list)
        for entry in entries:
            text = "\n".join([entry.question, entry.variants or "", entry.tags or ""])
            counts = Counter(terms(text))
            index = len(self._docs)
            self._docs.append(_Doc(entry.id, entry.question, entry.answer, entry.intent, sum(counts.values())))
            for term, tf in counts.items():
                self._postings[term].append((index, tf))
        n = len(self._docs)
        self._avg_len = (sum(d.length for d in self._docs) / n) if n else 1.0
        self._idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self._postings.items()}

    def __len__(self) -> int:
        return len(self._docs)

    def search(self, query: str, limit: int = 3, intent: Optional[str] = None) -> List[FaqMatch]:
        """Best entries for `query`, optionally only those tagged with `intent`.

        Similarity is the BM25 score divided by the highest score the query's
        terms could reach, so thresholds mean the same for short and long questions.
        """
        query_terms = Counter(terms(query))
        ceiling = sum(self._idf.get(t, 0.0) * (K1 + 1) * q for t, q in query_terms.items())
        if ceiling <= 0:
            return []
        scores: Dict[int, float] = defaultdict(float)
        for term, q in query_terms.items():
            idf = self._idf.get(term)
            if idf is None:
                continue
            for index, tf in self._postings[term]:
                norm = K1 * (1 - B + B * self._docs[index].length / self._avg_len)
                scores[index] += q * idf * tf * (K1 + 1) / (tf + norm)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        matches = []
        for index, score in ranked:
            doc = self._docs[index]
            if intent is not None and doc.intent != intent:
                continue
            matches.append(FaqMatch(doc.entry_id, doc.question, doc.answer, doc.intent, min(1.0, score / ceiling)))
            if len(matches) == limit:
                break
        return matches


class FaqRetriever:
    """Keeps a `FaqIndex` in step with the table; safe to share between threads."""

    def __init__(self, session_factory: sessionmaker) -> None:
        self._session_factory = session_factory
        self._lock = threading.Lock()
        self._index: Optional[FaqIndex] = None
        self._version: Optional[tuple] = None

    def search(self, query: str, limit: int = 3, intent: Optional[str] = None) -> List[FaqMatch]:
        return self._current().search(query, limit, intent)

    def _current(self) -> FaqIndex:
        with self._session_factory() as session:
            version = _version(session)
            with self._lock:
                if self._index is None or version != self._version:
                    entries = list(session.scalars(select(FaqEntry)))
                    self._index, self._version = FaqIndex(entries), version
                return self._index


def _version(session: Session) -> tuple:
    """Changes whenever an entry is added, removed or edited."""
    count, newest, id_sum = session.execute(
        select(func.count(FaqEntry.id), func.max(FaqEntry.updated_at), func.sum(FaqEntry.id))
    ).one()
    return count, newest, id_sum
