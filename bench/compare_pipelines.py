"""Compare NLU pipelines by cross-validation and on the real questions; print a table.

    .venv/bin/python bench/compare_pipelines.py [--folds 5] [--only NAME ...]

Candidates: the project's own pipeline (config.yml) and every file in
bench/pipelines/. Cross-validation uses our own stratified folds: every intent
is kept, also those with fewer examples than folds (`rasa test nlu
--cross-validation` silently drops them). For each pipeline it prints accuracy,
macro-F1 and the confident-error rate out of fold, the same on
../shared/eval/real_questions.jsonl, the training time of the full model and
the parse time per message, then a threshold sweep of the fallback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
EVAL_DIR = Path(os.environ.get("EVAL_DIR", ROOT.parent / "shared" / "eval"))
THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)
FALLBACK = {"nlu_fallback", "out_of_scope"}


def quiet() -> None:
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)


def candidates(only: List[str]) -> Dict[str, Path]:
    found = {"project (config.yml)": ROOT / "config.yml"}
    found.update({p.stem: p for p in sorted((ROOT / "bench" / "pipelines").glob("*.yml"))})
    return {name: path for name, path in found.items() if not only or any(name.startswith(o) for o in only)}


def nlu_only_config(path: Path, directory: Path) -> Path:
    """The pipeline part of a config, without the FallbackClassifier (thresholds are swept here)."""
    import yaml

    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    pipeline = [c for c in config["pipeline"] if c["name"] != "FallbackClassifier"]
    out = directory / f"{path.stem}.yml"
    out.write_text(
        yaml.safe_dump(
            {"recipe": "default.v1", "language": "zh", "pipeline": pipeline, "policies": []}, allow_unicode=True
        )
    )
    return out


def folds(examples: List[Tuple[str, str]], k: int, seed: int = 7) -> List[List[int]]:
    """Stratified folds that keep every intent, however few its examples."""
    by_intent: Dict[str, List[int]] = defaultdict(list)
    for index, (_, intent) in enumerate(examples):
        by_intent[intent].append(index)
    assignment: List[List[int]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    offset = 0
    for intent in sorted(by_intent):
        indices = by_intent[intent]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            assignment[(position + offset) % k].append(index)
        offset += len(indices)
    return assignment


def write_nlu(examples: List[Tuple[str, str]], path: Path) -> None:
    import yaml

    grouped: Dict[str, List[str]] = defaultdict(list)
    for text, intent in examples:
        grouped[intent].append(text)
    nlu = [{"intent": i, "examples": "".join(f"- {t}\n" for t in texts)} for i, texts in grouped.items()]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True, width=10_000))


def train(config: Path, nlu_file: Path, out: Path) -> Tuple[str, float]:
    from rasa.model_training import train_nlu

    started = time.perf_counter()
    model = train_nlu(str(config), str(nlu_file), str(out), fixed_model_name="m")
    return model, time.perf_counter() - started


def predict(model: str, texts: List[str]) -> Tuple[List[List[Tuple[str, float]]], List[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)

    async def run() -> Tuple[list, list]:
        rankings, seconds = [], []
        for text in texts:
            started = time.perf_counter()
            parsed = await agent.parse_message(text)
            seconds.append(time.perf_counter() - started)
            ranking = parsed.get("intent_ranking") or [parsed["intent"]]
            rankings.append([(r["name"], r["confidence"]) for r in ranking])
        return rankings, seconds

    return asyncio.run(run())


def measure(rankings, labels: List[set], threshold: float, in_scope: List[bool]) -> Dict[str, float]:
    correct = confident = oos = oos_hit = 0
    per_label: Dict[str, Dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "n": 0})
    for ranking, ok, scoped in zip(rankings, labels, in_scope, strict=True):
        name, confidence = ranking[0]
        predicted = "out_of_scope" if name in FALLBACK or confidence < threshold else name
        hit = predicted in ok
        correct += hit
        gold = sorted(ok)[0] if len(ok) == 1 else next(iter(ok))
        per_label[gold]["n"] += 1
        per_label[gold]["tp"] += hit
        if not hit:
            per_label[predicted]["fp"] += 1
            if scoped and predicted != "out_of_scope":
                confident += 1
        if not scoped:
            oos += 1
            oos_hit += hit
    f1s = []
    for counts in per_label.values():
        if counts["n"] == 0:
            continue
        precision = counts["tp"] / (counts["tp"] + counts["fp"]) if counts["tp"] + counts["fp"] else 0.0
        recall = counts["tp"] / counts["n"]
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    scoped_n = sum(in_scope)
    return {
        "accuracy": correct / len(labels),
        "macro_f1": statistics.mean(f1s),
        "confident_errors": confident / scoped_n if scoped_n else 0.0,
        "oos_recall": oos_hit / oos if oos else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    quiet()
    os.chdir(ROOT)
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    examples = [(e.get("text"), e.get("intent")) for e in data.intent_examples]
    rows = [
        json.loads(line)
        for line in (EVAL_DIR / "real_questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    real_texts = [r["text"] for r in rows]
    real_labels = [{r["label"], *r.get("accept", [])} for r in rows]
    real_scoped = [r["label"] != "out_of_scope" for r in rows]
    results = {}
    for name, path in candidates(args.only).items():
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            os.environ["RASA_CACHE_DIRECTORY"] = str(work / "cache")  # no cache hits between runs
            config = nlu_only_config(path, work)
            cv_rankings: List = [None] * len(examples)
            for fold_number, test_indices in enumerate(folds(examples, args.folds)):
                test_set = set(test_indices)
                write_nlu([e for i, e in enumerate(examples) if i not in test_set], work / "train.yml")
                model, _ = train(config, work / "train.yml", work / f"fold{fold_number}")
                rankings, _ = predict(model, [examples[i][0] for i in test_indices])
                for i, ranking in zip(test_indices, rankings, strict=True):
                    cv_rankings[i] = ranking
                print(f"{name}: fold {fold_number + 1}/{args.folds} done", file=sys.stderr, flush=True)
            write_nlu(examples, work / "all.yml")
            model, train_s = train(config, work / "all.yml", work / "full")
            real_rankings, seconds = predict(model, real_texts)
        cv_labels = [{intent} for _, intent in examples]
        cv_scoped = [intent != "out_of_scope" for _, intent in examples]
        results[name] = {
            "train_s": train_s,
            "parse_ms_p50": statistics.median(seconds) * 1000,
            "sweep": {
                t: {
                    "cv": measure(cv_rankings, cv_labels, t, cv_scoped),
                    "real": measure(real_rankings, real_labels, t, real_scoped),
                }
                for t in THRESHOLDS
            },
        }
        print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


HEADER = (
    "| pipeline | fallback threshold | CV accuracy | CV macro-F1 | CV confident errors | real accuracy "
    "| real macro-F1 | real confident errors | real OOS recall | training (s) | parse p50 (ms) |"
)
METRICS = ("accuracy", "macro_f1", "confident_errors")


def print_table(results: Dict) -> None:
    print("\n" + HEADER)
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        for threshold, m in r["sweep"].items():
            cells = [f"{m['cv'][k]:.3f}" for k in METRICS] + [f"{m['real'][k]:.3f}" for k in (*METRICS, "oos_recall")]
            print(
                f"| {name} | {threshold} | " + " | ".join(cells) + f" | {r['train_s']:.0f} | {r['parse_ms_p50']:.1f} |"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
