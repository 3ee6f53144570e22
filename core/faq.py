"""FAQ retrieval with BM25 over the entries in the database, fresh at question time.

The index is rebuilt when the table changes (count or newest edit), so an admin's
new or corrected answer is found by the next question, without retraining.
A question worded exactly as an entry's question or one of its variants (once
cleaned) is that entry's, whatever BM25 makes of a long entry: that is what an
admin means by adding a variant (the review inbox's one click).
An entry written for one district is for that district's riders: asked by a rider
known to be elsewhere it counts for less, and of two entries that fit alike the
rider's district's comes before the city's.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.models import FaqEntry
from core.search_terms import clean, terms

K1 = 1.2
B = 0.75
# Similarity (0..1) from which an entry is answered outright, and from which it is offered.
ANSWER_THRESHOLD = 0.45
SUGGEST_THRESHOLD = 0.2
# How much an entry written for another district than the rider's counts: one asked about by
# name still clears the answer threshold; the same question written for the rider's district wins.
OTHER_DISTRICT_WEIGHT = 0.8


@dataclass(frozen=True)
class FaqMatch:
    """An entry and how well it matches the question (0..1)."""

    entry_id: int
    question: str
    answer: str
    intent: Optional[str]
    similarity: float


@dataclass(frozen=True)
class Reply:
    """What a rider is given for the matches of a question: the answer, or close questions to choose from."""

    answer: Optional[FaqMatch]
    offered: Tuple[FaqMatch, ...]


def reply_to(matches: Sequence[FaqMatch]) -> Reply:
    """The best entry when it clearly fits; else the entries close enough to offer (none: nothing fits).

    The FAQ actions and the console's 「试一试」 both decide by this, so the console shows what riders get.
    """
    if matches and matches[0].similarity >= ANSWER_THRESHOLD:
        return Reply(matches[0], ())
    return Reply(None, tuple(m for m in matches if m.similarity >= SUGGEST_THRESHOLD))


@dataclass(frozen=True)
class _Doc:
    entry_id: int
    question: str
    answer: str
    intent: Optional[str]
    district: Optional[str]
    length: int


class FaqIndex:
    """An inverted BM25 index over the question, variants and tags of each entry.

    The BM25 weight of a term in a document does not depend on the question, so
    it is computed once when the index is built; answering is then one vector
    addition per question term.
    """

    def __init__(self, entries: Sequence[FaqEntry]) -> None:
        self._docs: List[_Doc] = []
        counts_of: List[Counter] = []
        self._exact: Dict[str, List[int]] = defaultdict(list)
        for index, entry in enumerate(entries):
            for wording in filter(None, map(clean, [entry.question, *(entry.variants or "").splitlines()])):
                if index not in self._exact[wording]:
                    self._exact[wording].append(index)
            counts = Counter(terms("\n".join([entry.question, entry.variants or "", entry.tags or ""])))
            counts_of.append(counts)
            doc = _Doc(entry.id, entry.question, entry.answer, entry.intent, entry.district, sum(counts.values()))
            self._docs.append(doc)
        n = len(self._docs)
        avg_len = (sum(d.length for d in self._docs) / n) if n else 1.0
        postings: Dict[str, List[Tuple[int, int]]] = defaultdict(list)
        for index, counts in enumerate(counts_of):
            for term, tf in counts.items():
                postings[term].append((index, tf))
        self._idf: Dict[str, float] = {}
        self._postings: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}
        for term, plist in postings.items():
            idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            docs = np.fromiter((d for d, _ in plist), dtype=np.int32, count=len(plist))
            tfs = np.fromiter((tf for _, tf in plist), dtype=np.float64, count=len(plist))
            lengths = np.fromiter((self._docs[d].length for d, _ in plist), dtype=np.float64, count=len(plist))
            norm = K1 * (1 - B + B * lengths / avg_len)
            self._idf[term] = idf
            self._postings[term] = (docs, idf * tfs * (K1 + 1) / (tfs + norm))
        self._intents = np.array([d.intent or "" for d in self._docs], dtype=object)
        self._districts = np.array([d.district or "" for d in self._docs], dtype=object)

    def __len__(self) -> int:
        return len(self._docs)

    def search(
        self, query: str, limit: int = 3, intent: Optional[str] = None, district: Optional[str] = None
    ) -> List[FaqMatch]:
        """Best entries for `query`, optionally only those tagged with `intent`, for a rider of `district`
        (None: not known, every entry counts alike).

        Similarity is the BM25 score divided by the highest score the question's
        terms could reach, so thresholds mean the same for short and long questions.
        """
        if not self._docs:
            return []
        exact = [i for i in self._exact.get(clean(query), ()) if intent is None or self._docs[i].intent == intent]
        if exact:
            best = max(exact, key=lambda i: self._fit(i, district))
            found = self._match(best, 1.0 if self._fit(best, district) else OTHER_DISTRICT_WEIGHT)
            ranked = self._ranked(query, limit, intent, district)
            return [found, *[m for m in ranked if m.entry_id != found.entry_id]][:limit]
        return self._ranked(query, limit, intent, district)

    def _fit(self, index: int, district: Optional[str]) -> int:
        """2: written for the rider's district; 1: for the whole city (or the rider's is unknown); 0: for another."""
        written_for = self._docs[index].district
        if district is None or written_for is None:
            return 1
        return 2 if written_for == district else 0

    def _match(self, index: int, similarity: float) -> FaqMatch:
        doc = self._docs[index]
        return FaqMatch(doc.entry_id, doc.question, doc.answer, doc.intent, similarity)

    def _ranked(self, query: str, limit: int, intent: Optional[str], district: Optional[str]) -> List[FaqMatch]:
        query_terms = Counter(t for t in terms(query) if t in self._postings)
        ceiling = sum(self._idf[t] * (K1 + 1) * q for t, q in query_terms.items())
        if ceiling <= 0:
            return []
        scores = np.zeros(len(self._docs))
        for term, q in query_terms.items():
            docs, weights = self._postings[term]
            scores[docs] += q * weights
        if intent is not None:
            scores[self._intents != intent] = 0.0
        if district is not None:
            scores[(self._districts != "") & (self._districts != district)] *= OTHER_DISTRICT_WEIGHT
        candidates = np.flatnonzero(scores)
        if candidates.size > limit * 2:  # room for ties, which the rider's district breaks
            candidates = candidates[np.argpartition(-scores[candidates], limit * 2)[: limit * 2]]
        ranked = sorted(candidates, key=lambda i: (-scores[i], -self._fit(i, district)))[:limit]
        return [self._match(i, min(1.0, float(scores[i]) / ceiling)) for i in ranked]


class FaqRetriever:
    """Keeps a `FaqIndex` in step with the table; safe to share between threads."""

    def __init__(self, session_factory: sessionmaker) -> None:
        self._session_factory = session_factory
        self._lock = threading.Lock()
        self._index: Optional[FaqIndex] = None
        self._version: Optional[tuple] = None

    def search(
        self, query: str, limit: int = 3, intent: Optional[str] = None, district: Optional[str] = None
    ) -> List[FaqMatch]:
        return self._current().search(query, limit, intent, district)

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


def entry(session: Session, entry_id: int) -> Optional[FaqMatch]:
    """One entry by id (a button the worker pressed), or None if an admin removed it since."""
    found = session.get(FaqEntry, entry_id)
    return FaqMatch(found.id, found.question, found.answer, found.intent, 1.0) if found else None


def first_of_intent(session: Session, intent: Optional[str]) -> Optional[FaqMatch]:
    """The first entry written for an intent: the answer when the words match none of them."""
    found = session.scalars(select(FaqEntry).where(FaqEntry.intent == intent).order_by(FaqEntry.id)).first()
    return FaqMatch(found.id, found.question, found.answer, found.intent, 0.0) if found else None
