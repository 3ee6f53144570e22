"""Gated retraining (bot.training) with fake steps: a worse candidate never reaches models/ or the workers,
a better or equal one does, and the previous model comes back in one step; the console page shows it all."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple

import pytest
from aiohttp.test_utils import TestClient

from bot import training
from bot.rolling_reload import Progress, ReloadError
from bot.web.app import create_app
from core import training_gate
from core.services import Services
from tests.web.conftest import login

LIVE_FIGURES: training_gate.Figures = {
    "worker_dev": {"accuracy": 0.964, "confident_error_rate": 0.017},
    "stories": {"conversation_accuracy": 1.0, "action_accuracy": 1.0},
}
TRAINING_PAGE = "/console/admin/training"


class FakeWorkers:
    """Stands for the Rasa workers: records what each reload loaded, refuses a model when told to."""

    def __init__(self, refuse: Optional[str] = None) -> None:
        self.loaded: List[str] = []
        self.refuse = refuse

    def __call__(self, model: Path, progress: Progress) -> None:
        if model.name == self.refuse:
            raise ReloadError(f"{model.name} refused")
        self.loaded.append(model.read_text())


def steps(candidate: training_gate.Figures, workers: FakeWorkers) -> training.Steps:
    def train(job: training.Job, data: Path) -> Path:
        archive = job.folder / "candidate" / "20261130-150000-new.tar.gz"
        archive.parent.mkdir()
        archive.write_text("candidate model")
        return archive

    def evaluate(job: training.Job, model: Path, frozen: Optional[Path]) -> training_gate.Figures:
        return candidate if model.read_text() == "candidate model" else LIVE_FIGURES

    return training.Steps(lambda job: (job.folder, None), train, evaluate, workers)


def with_live_model(tmp_path: Path) -> Tuple[training.JobStore, Path, Path]:
    models = tmp_path / "models"
    models.mkdir()
    live = models / "20261130-115118-live.tar.gz"
    live.write_text("live model")
    return training.JobStore(tmp_path / "training"), models, live


def figures(dataset: str, figure: str, value: float) -> training_gate.Figures:
    changed = {name: dict(values) for name, values in LIVE_FIGURES.items()}
    changed[dataset][figure] = value
    return changed


def test_a_worse_candidate_is_refused_and_the_live_model_file_stays(tmp_path: Path) -> None:
    store, models, live = with_live_model(tmp_path)
    workers = FakeWorkers()
    job = store.create(training.TRAIN, "staff:admin")
    state = training.run_training(job, steps(figures("worker_dev", "accuracy", 0.95), workers), models, 0.005)
    assert state["status"] == training.REFUSED and not state["comparison"]["passes"]
    assert sorted(p.name for p in models.iterdir()) == [live.name] and live.read_text() == "live model"
    assert training.newest_model(models) == live and workers.loaded == []
    assert (job.folder / "candidate" / "20261130-150000-new.tar.gz").exists()  # kept aside, not in models/


@pytest.mark.parametrize("accuracy", [0.964, 0.960, 0.97])  # equal, worse within the tolerance, better
def test_an_equal_or_better_candidate_goes_live_on_the_workers(tmp_path: Path, accuracy: float) -> None:
    store, models, _ = with_live_model(tmp_path)
    workers = FakeWorkers()
    job = store.create(training.TRAIN, "staff:admin")
    state = training.run_training(job, steps(figures("worker_dev", "accuracy", accuracy), workers), models, 0.005)
    assert state["status"] == training.LIVE and state["comparison"]["passes"]
    newest = training.newest_model(models)
    assert newest is not None and newest.name == "20261130-150000-new.tar.gz"
    assert newest.read_text() == "candidate model" and workers.loaded == ["candidate model"]


def test_the_previous_model_is_restored_in_one_step(tmp_path: Path) -> None:
    store, models, live = with_live_model(tmp_path)
    workers = FakeWorkers()
    training.run_training(store.create(training.TRAIN, "staff:admin"), steps(LIVE_FIGURES, workers), models, 0.005)
    previous = store.previous()
    assert previous is not None and previous[1] == live.name
    state = training.run_restore(store.create(training.RESTORE, "staff:admin"), store, models, workers)
    assert state["status"] == training.RESTORED
    assert training.newest_model(models) == live and live.read_text() == "live model"
    assert workers.loaded == ["candidate model", "live model"]


def test_a_worker_refusing_the_candidate_puts_the_live_model_back(tmp_path: Path) -> None:
    store, models, live = with_live_model(tmp_path)
    workers = FakeWorkers(refuse="20261130-150000-new.tar.gz")
    job = store.create(training.TRAIN, "staff:admin")
    with pytest.raises(ReloadError):
        training.run_training(job, steps(LIVE_FIGURES, workers), models, 0.005)
    assert training.newest_model(models) == live and workers.loaded == ["live model"]


def test_a_job_whose_process_died_shows_as_failed(tmp_path: Path) -> None:
    store, _, _ = with_live_model(tmp_path)
    job = store.create(training.TRAIN, "staff:admin")
    assert job.view()["status"] == training.RUNNING  # not started yet
    job.update(pid=2**22 + 7)  # above the kernel's largest pid: no such process
    assert job.view()["status"] == training.FAILED and store.running() is None


# The console page.


@pytest.fixture
def training_services(web_services: Services, tmp_path: Path) -> Services:
    _, models, _ = with_live_model(tmp_path)
    return replace(web_services, settings=replace(web_services.settings, models_dir=models))


@pytest.fixture
async def admin_client(aiohttp_client: Any, training_services: Services) -> AsyncIterator[TestClient]:
    client = await aiohttp_client(create_app(training_services.settings, training_services))
    yield client


def finished_job(services: Services, candidate: training_gate.Figures) -> training.Job:
    store = training.JobStore.of(services.settings)
    job = store.create(training.TRAIN, "staff:admin")
    job.progress("开始训练（通常需要 1–2 分钟）")
    training.run_training(job, steps(candidate, FakeWorkers()), services.settings.models_dir, 0.005)
    return job


async def test_only_admins_reach_the_training_page(admin_client: TestClient) -> None:
    assert await login(admin_client, "lz")
    assert (await admin_client.get(TRAINING_PAGE)).status == 403
    assert 'href="/console/admin/training"' not in await (await admin_client.get("/console/")).text()


async def test_the_page_shows_the_live_model_and_a_refused_candidates_comparison(
    admin_client: TestClient, training_services: Services
) -> None:
    job = finished_job(training_services, figures("worker_dev", "accuracy", 0.95))
    assert await login(admin_client, "admin")
    html = await (await admin_client.get(TRAINING_PAGE)).text()
    assert 'href="/console/admin/training"' in html
    assert '<dd id="live-model">20261130-115118-live.tar.gz</dd>' in html
    assert "未通过，未上线" in html and "正在使用的模型不变" in html
    worse = re.findall(r'<tr class="worse">(.*?)</tr>', html, re.S)
    assert len(worse) == 1 and "意图准确率" in worse[0] and "-0.0140" in worse[0]
    state: Dict[str, Any] = await (await admin_client.get(f"{TRAINING_PAGE}/jobs/{job.id}.json")).json()
    assert state["status"] == training.REFUSED and state["lines"][0]["text"] == "开始训练（通常需要 1–2 分钟）"


async def test_a_second_training_is_refused_while_one_runs(
    admin_client: TestClient, training_services: Services
) -> None:
    running = training.JobStore.of(training_services.settings).create(training.TRAIN, "staff:other")
    running.update(pid=os.getpid())
    csrf = await login(admin_client, "admin")
    response = await admin_client.post(f"{TRAINING_PAGE}/start", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 409 and "已有训练或恢复正在进行" in await response.text()
    assert len(training.JobStore.of(training_services.settings).jobs()) == 1


async def test_restore_is_refused_when_no_model_was_replaced(admin_client: TestClient) -> None:
    csrf = await login(admin_client, "admin")
    response = await admin_client.post(f"{TRAINING_PAGE}/restore", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 409 and "还没有可以恢复的上一个模型" in await response.text()


def test_a_failed_step_names_itself_in_chinese_with_the_end_of_its_output(tmp_path: Path) -> None:
    command = [training.PYTHON, "-c", "import sys; print('磁盘已满'); sys.exit(3)"]
    with pytest.raises(RuntimeError, match=r"^训练失败：磁盘已满$"):
        training._run(command, tmp_path / "step.log", "训练")


def test_a_long_step_reports_that_it_is_still_going(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training, "HEARTBEAT_S", 0.1)
    lines: List[str] = []
    training._run([training.PYTHON, "-c", "import time; time.sleep(1.5)"], tmp_path / "step.log", "训练", lines.append)
    assert lines and all(line.startswith("训练中…（已用 ") for line in lines)


def test_old_jobs_lose_their_bulky_files_but_not_the_model_a_restore_needs(tmp_path: Path) -> None:
    store, models, live = with_live_model(tmp_path)
    workers = FakeWorkers()
    went_live = store.create(training.TRAIN, "staff:admin")  # the oldest job, and the one a restore uses
    training.run_training(went_live, steps(LIVE_FIGURES, workers), models, 0.005)
    for n in range(training.KEEP_JOBS):
        refused = store.create(training.TRAIN, "staff:admin")
        for bulky in ("data", "candidate"):
            (refused.folder / bulky).mkdir()
        refused.update(status=training.REFUSED if n else training.RUNNING, pid=None)
    removed = store.prune()
    assert removed == [went_live.folder / "candidate"]
    assert (went_live.folder / "previous.tar.gz").read_text() == "live model"
    assert len(store.jobs(limit=100)) == training.KEEP_JOBS + 1  # every job still listed
    state = training.run_restore(store.create(training.RESTORE, "staff:admin"), store, models, workers)
    assert state["status"] == training.RESTORED and training.newest_model(models) == live
    assert live.read_text() == "live model"
    # The restore is now the newest job and the one the next restore uses; the job still running is left alone.
    assert store.prune() == [went_live.folder / "previous.tar.gz"]
    assert (store.jobs(limit=100)[-2].folder / "data").exists()


def test_models_keeps_its_newest_archives(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for n in range(5):
        archive = models / f"2026113{n}-000000-m{n}.tar.gz"
        archive.write_text(str(n))
        os.utime(archive, (1_000_000 + n, 1_000_000 + n))
    removed = training.prune_models(models)
    assert sorted(p.name for p in removed) == ["20261130-000000-m0.tar.gz", "20261131-000000-m1.tar.gz"]
    assert sorted(p.read_text() for p in models.glob("*.tar.gz")) == ["2", "3", "4"]
