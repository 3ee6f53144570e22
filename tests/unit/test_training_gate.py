"""The retraining gate (core.training_gate): which figures may not get worse, and the held-out split."""

from __future__ import annotations

from pathlib import Path

from core import reviewed_data, training_gate
from core.models import LabelledExample
from core.services import Services
from tests.conftest import FIXED_UTC

LIVE: training_gate.Figures = {
    "worker_dev": {"accuracy": 0.96, "confident_error_rate": 0.02, "oos_recall": None},
    "stories": {"conversation_accuracy": 1.0, "action_accuracy": 1.0},
}


def with_figure(dataset: str, figure: str, value: float) -> training_gate.Figures:
    changed = {name: dict(figures) for name, figures in LIVE.items()}
    changed[dataset][figure] = value
    return changed


def test_an_equal_candidate_passes_and_shows_every_measured_figure() -> None:
    comparison = training_gate.compare(LIVE, LIVE, 0.005)
    assert comparison.passes
    assert [(r.dataset, r.figure) for r in comparison.rows] == [
        ("worker_dev", "accuracy"),
        ("worker_dev", "confident_error_rate"),
        ("stories", "conversation_accuracy"),
        ("stories", "action_accuracy"),
    ]


def test_a_drop_beyond_the_tolerance_fails_and_one_within_it_passes() -> None:
    assert not training_gate.compare(LIVE, with_figure("worker_dev", "accuracy", 0.954), 0.005).passes
    assert training_gate.compare(LIVE, with_figure("worker_dev", "accuracy", 0.956), 0.005).passes
    assert not training_gate.compare(LIVE, with_figure("stories", "conversation_accuracy", 0.9), 0.005).passes


def test_rates_where_lower_is_better_fail_when_they_rise() -> None:
    worse = training_gate.compare(LIVE, with_figure("worker_dev", "confident_error_rate", 0.03), 0.005)
    better = training_gate.compare(LIVE, with_figure("worker_dev", "confident_error_rate", 0.01), 0.005)
    assert not worse.passes and better.passes
    row = next(r for r in better.rows if r.figure == "confident_error_rate")
    assert row.change == 0.01  # a gain, in the figure's own direction


def test_a_figure_the_candidate_could_not_be_measured_on_counts_as_worse() -> None:
    missing = {"worker_dev": {**LIVE["worker_dev"], "accuracy": None}, "stories": LIVE["stories"]}
    assert not training_gate.compare(LIVE, missing, 0.005).passes


def test_the_split_is_stable_and_holds_out_about_one_in_five() -> None:
    texts = [f"第{n}个问题怎么办" for n in range(1000)]
    held = [t for t in texts if training_gate.is_held_out(t)]
    assert 150 < len(held) < 250
    assert held == [t for t in texts if training_gate.is_held_out(t)]
    assert all(training_gate.is_held_out(f" {t.replace('怎么办', '怎么办 ')}") for t in held[:20])


def test_held_out_examples_are_never_written_as_training_data(sqlite_services: Services, tmp_path: Path) -> None:
    texts = [f"驿站第{n}号能不能充电" for n in range(40)]
    held = {t for t in texts if training_gate.is_held_out(t)}
    assert held and len(held) < len(texts)
    examples = [LabelledExample(text=t, intent="find_station", created_by="admin", created_at=FIXED_UTC) for t in texts]
    sqlite_services.transaction(lambda s: s.add_all(examples))
    sqlite_services.read(lambda s: reviewed_data.write(s, tmp_path))
    written = (tmp_path / "find_station.yml").read_text(encoding="utf-8")
    assert {t for t in texts if t in written} == set(texts) - held
    rows = training_gate.frozen_rows((t, "find_station") for t in texts)
    assert {r["text"] for r in rows} == held and {r["label"] for r in rows} == {"find_station"}
