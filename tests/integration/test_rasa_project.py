"""The Rasa project as Rasa's own tools see it, and the NLU measured on the evaluation sets.

Thresholds are those of the "Conversations" issue; each test prints what it measured.
The evaluation sets are only read here and by `score.py`: never trained on.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Dict, Tuple

import pytest

from core.settings import PROJECT_ROOT
from tests.running import current_model

RASA = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
EVAL_DIR = Path(os.environ.get("EVAL_DIR", PROJECT_ROOT.parent / "shared" / "eval"))
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2"}

# score.py's own flags, per evaluation set.
THRESHOLDS: Dict[str, Dict[str, float]] = {
    "worker_dev.jsonl": {
        "--min-accuracy": 0.92,
        "--max-in-scope-fallback": 0.06,
        "--max-confident-errors": 0.03,
        "--min-oos-recall": 0.90,
        "--min-district-f1": 0.97,
    },
    "real_questions.jsonl": {
        "--min-accuracy": 0.90,
        "--max-confident-errors": 0.04,
        "--min-oos-recall": 0.85,
    },
}


def run(*command: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=PROJECT_ROOT, env=ENV, capture_output=True, text=True, timeout=timeout)


def eval_file(name: str) -> Path:
    path = EVAL_DIR / name
    assert path.exists(), f"evaluation set not found at {path}; set EVAL_DIR"
    return path


def test_rasa_data_validate_passes_with_fail_on_warnings() -> None:
    """Plain `rasa data validate`: the project's layout is Rasa's default one."""
    result = run(RASA, "data", "validate", "--fail-on-warnings")
    print(result.stdout[-500:])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_every_intents_happy_path_story_passes_end_to_end(tmp_path: Path) -> None:
    """The test stories' text goes through the NLU, as plain `rasa test` does: a story whose
    text the model labels with another intent fails."""
    result = run(
        RASA, "test", "core", "--e2e", "--stories", "tests/stories", "--model", current_model(),
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((tmp_path / "story_report.json").read_text())
    print("test stories:", report["conversation_accuracy"])
    assert report["conversation_accuracy"]["accuracy"] == 1.0


@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_no_evaluation_text_is_in_the_training_data(name: str) -> None:
    result = run(PYTHON, str(EVAL_DIR / "score.py"), "--check-leak", "data/", "--data", str(eval_file(name)))
    print(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout[-3000:]
    assert "leak check: 0 of" in result.stdout


@pytest.fixture(scope="module")
def score_py_reports(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Tuple[subprocess.CompletedProcess, dict]]:
    """score.py on each evaluation set with the issue's thresholds, as `make eval` runs it: its exit and report."""
    out, model, found = tmp_path_factory.mktemp("score"), current_model(), {}
    for name, thresholds in THRESHOLDS.items():
        flags = [str(part) for flag, value in thresholds.items() for part in (flag, value)]
        result = run(
            PYTHON, str(EVAL_DIR / "score.py"), "--data", str(eval_file(name)), "--model", model,
            "--json", str(out / name), "--quiet", *flags,
        )  # fmt: skip
        found[name] = result, json.loads((out / name).read_text())
    return found


@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_nlu_on_the_evaluation_sets_meets_the_thresholds(name: str, score_py_reports) -> None:
    result, report = score_py_reports[name]
    print(name, result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, f"{name}: {report['accuracy']=} {report['in_scope_fallback_rate']=}"


def test_the_gate_scores_every_set_in_one_process_with_score_pys_figures(score_py_reports, tmp_path: Path) -> None:
    """bot.score_sets (the training gate's measurement) loads the model once for all sets; its reports
    must be score.py's own, figure for figure and error for error."""
    pairs = [f"{name}={eval_file(name)}" for name in THRESHOLDS]
    result = run(PYTHON, "-m", "bot.score_sets", str(EVAL_DIR / "score.py"), current_model(), str(tmp_path), *pairs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name in THRESHOLDS:
        ours = json.loads((tmp_path / f"{name}.json").read_text())
        theirs = score_py_reports[name][1]
        measured = {key: value for key, value in theirs.items() if not key.startswith("parse_ms")}
        print(name, {key: ours[key] for key in ("n", "accuracy", "confident_error_rate", "oos_recall")})
        assert {key: ours[key] for key in measured} == measured
