"""The Rasa project as Rasa's own tools see it, and the NLU measured on real questions.

Thresholds are those of the foundation issue; each test prints what it measured.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from tests.running import current_model

RASA = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
EVAL_DIR = Path(os.environ.get("EVAL_DIR", PROJECT_ROOT.parent / "shared" / "eval"))
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2"}

MIN_ACCURACY = 0.85
MAX_CONFIDENT_ERRORS = 0.08
MIN_OOS_RECALL = 0.80


def run(*command: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=PROJECT_ROOT, env=ENV, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def eval_set() -> Path:
    path = EVAL_DIR / "real_questions.jsonl"
    assert path.exists(), f"evaluation set not found at {path}; set EVAL_DIR"
    return path


def test_rasa_data_validate_passes_with_fail_on_warnings() -> None:
    result = run(RASA, "data", "validate", "--domain", "domain", "--data", "data", "--fail-on-warnings")
    print(result.stdout[-500:])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_every_intents_happy_path_story_passes(tmp_path: Path) -> None:
    model = current_model()
    result = run(
        RASA, "test", "core", "--stories", "tests/stories", "--model", model,
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )  # fmt: skip
    report = json.loads((tmp_path / "story_report.json").read_text())
    print("test stories:", report["conversation_accuracy"])
    assert result.returncode == 0, result.stdout[-3000:]
    assert report["conversation_accuracy"]["accuracy"] == 1.0


def test_no_evaluation_text_is_in_the_training_data(eval_set: Path) -> None:
    result = run(PYTHON, str(EVAL_DIR / "score.py"), "--check-leak", "data/", "--data", str(eval_set))
    print(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout[-3000:]
    assert "leak check: 0 of" in result.stdout


def test_nlu_on_the_real_questions_meets_the_thresholds(eval_set: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "score.json"
    result = run(
        PYTHON, str(EVAL_DIR / "score.py"), "--data", str(eval_set), "--model", current_model(),
        "--json", str(report_path), "--quiet",
    )  # fmt: skip
    print(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads(report_path.read_text())
    assert report["accuracy"] >= MIN_ACCURACY
    assert report["confident_error_rate"] <= MAX_CONFIDENT_ERRORS
    assert report["oos_recall"] >= MIN_OOS_RECALL
