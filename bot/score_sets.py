"""Every NLU evaluation set of one model in one process, with score.py's own functions.

`python -m bot.score_sets SCORE_PY MODEL OUT_DIR name=path …` writes OUT_DIR/<name>.json, the
report `score.py --data path --model MODEL --json …` writes for that set alone. score.py loads
the model for each set it is run on; the gate measures three sets on two models, so one load
per model saves the gate four loads. Messages are parsed one by one and independently, so the
figures are the same as those of separate runs (tests/integration/test_score_sets.py compares).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Optional


def load_score(path: Path) -> ModuleType:
    """score.py as a module (it lives beside the evaluation sets, not in this project)."""
    spec = importlib.util.spec_from_file_location("score", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score_sets(score: ModuleType, model: Path, sets: Dict[str, Path]) -> Dict[str, dict]:
    """The report of each set, the model loaded once for all their rows."""
    rows = {name: score.load_rows(str(path)) for name, path in sets.items()}
    everything = [row for name in sets for row in rows[name]]
    parsed, latencies = asyncio.run(score.predict(str(model), everything))
    reports, start = {}, 0
    for name in sets:
        end = start + len(rows[name])
        report = score.score(rows[name], parsed[start:end])
        lat_ms = sorted(seconds * 1000 for seconds in latencies[start:end])
        report["parse_ms_p50"] = round(lat_ms[len(lat_ms) // 2], 2) if lat_ms else None
        report["parse_ms_p99"] = round(lat_ms[min(len(lat_ms) - 1, int(len(lat_ms) * 0.99))], 2) if lat_ms else None
        report["model"] = model.name
        reports[name], start = report, end
    return reports


def main(argv: Optional[List[str]] = None) -> int:
    score_py, model, out, *pairs = sys.argv[1:] if argv is None else argv
    sets = {name: Path(path) for name, _, path in (pair.partition("=") for pair in pairs)}
    reports = score_sets(load_score(Path(score_py)), Path(model), sets)
    for name, report in reports.items():
        (Path(out) / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"{name}: n={report['n']} accuracy={report['accuracy']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
