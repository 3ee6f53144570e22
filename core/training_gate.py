"""The gate a retrained model passes before it goes live, and the held-out share of labelled examples.

A labelled inbox example is either training data (data/reviewed/, written by
`core.reviewed_data`) or part of the frozen evaluation set, never both: the
split is a hash of the cleaned text, so it is the same on every machine and
for every later training, and an example once held out stays held out.

The gate compares figures of the live model and the candidate measured on the
same sets; the candidate passes only if none is worse by more than the
tolerance. Nothing here trains, loads or serves a model (bot.training does).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

# One labelled example in this many is held out for the frozen set.
HOLDOUT_EVERY = 5

# (figure in score.py's report, higher is better), in the order the comparison shows them.
NLU_FIGURES: Tuple[Tuple[str, bool], ...] = (
    ("accuracy", True),
    ("macro_f1", True),
    ("confident_error_rate", False),
    ("in_scope_fallback_rate", False),
    ("oos_recall", True),
    ("district_f1", True),
)
STORY_FIGURES: Tuple[Tuple[str, bool], ...] = (("conversation_accuracy", True), ("action_accuracy", True))

# set name → figure → value (None: the set has nothing to measure it on, e.g. no out-of-scope rows).
Figures = Dict[str, Dict[str, Optional[float]]]


def _clean(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def is_held_out(text: str) -> bool:
    """Whether a labelled example belongs to the frozen evaluation set (and so is never trained on)."""
    digest = hashlib.sha256(_clean(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % HOLDOUT_EVERY == 0


def frozen_rows(examples: Iterable[Tuple[str, str]]) -> List[Dict[str, str]]:
    """The held-out (text, intent) pairs as score.py's JSON-lines rows, once per cleaned text."""
    rows: Dict[str, Dict[str, str]] = {}
    for text, intent in examples:
        if is_held_out(text):
            rows.setdefault(_clean(text), {"text": text, "label": intent})
    return list(rows.values())


def jsonl(rows: Sequence[Mapping[str, str]]) -> str:
    return "".join(json.dumps(dict(row), ensure_ascii=False) + "\n" for row in rows)


@dataclass(frozen=True)
class Row:
    """One figure of one set, for the live model and the candidate."""

    dataset: str
    figure: str
    live: Optional[float]
    candidate: Optional[float]
    higher_is_better: bool
    worse: bool

    @property
    def change(self) -> Optional[float]:
        """The candidate's gain (positive: better), in the figure's own direction."""
        if self.live is None or self.candidate is None:
            return None
        delta = self.candidate - self.live
        return round(delta if self.higher_is_better else -delta, 4) + 0.0  # never -0.0


@dataclass(frozen=True)
class Comparison:
    rows: Tuple[Row, ...]
    tolerance: float

    @property
    def passes(self) -> bool:
        return not any(row.worse for row in self.rows)

    def to_json(self) -> Dict[str, object]:
        return {
            "tolerance": self.tolerance,
            "passes": self.passes,
            "rows": [{**row.__dict__, "change": row.change} for row in self.rows],
        }


def _directions(dataset: str) -> Tuple[Tuple[str, bool], ...]:
    return STORY_FIGURES if dataset == "stories" else NLU_FIGURES


def compare(live: Figures, candidate: Figures, tolerance: float) -> Comparison:
    """Every figure of every set measured on both models; worse beyond `tolerance` fails the gate.

    A figure the candidate lacks where the live model has one (a set it could
    not be measured on) counts as worse: the gate never passes by omission.
    """
    rows = []
    for dataset in live.keys() | candidate.keys():
        for figure, higher in _directions(dataset):
            old, new = live.get(dataset, {}).get(figure), candidate.get(dataset, {}).get(figure)
            if old is None and new is None:
                continue
            if old is None:
                worse = False
            elif new is None:
                worse = True
            else:
                worse = (old - new if higher else new - old) > tolerance + 1e-9
            rows.append(Row(dataset, figure, old, new, higher, worse))
    rows.sort(key=lambda r: (_order(r.dataset), [f for f, _ in _directions(r.dataset)].index(r.figure)))
    return Comparison(tuple(rows), tolerance)


def _order(dataset: str) -> Tuple[int, str]:
    known = ("worker_dev", "real_questions", "frozen", "stories")
    return (known.index(dataset), "") if dataset in known else (len(known), dataset)


def nlu_figures(report: Mapping[str, object]) -> Dict[str, Optional[float]]:
    """The gate's figures from score.py's --json report."""
    return {name: _number(report.get(name)) for name, _ in NLU_FIGURES}


def story_figures(report: Mapping[str, object]) -> Dict[str, Optional[float]]:
    """The gate's figures from `rasa test core`'s story_report.json."""
    conversation = report.get("conversation_accuracy")
    conversation_accuracy = _number(conversation.get("accuracy")) if isinstance(conversation, dict) else None
    return {"conversation_accuracy": conversation_accuracy, "action_accuracy": _number(report.get("accuracy"))}


def _number(value: object) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
