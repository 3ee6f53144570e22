"""Gated retraining, started by an admin in the console and run as a process of its own.

`python -m bot.training <job folder>` trains on data/ plus the labelled inbox
examples, measures the candidate and the live model on the same sets
(../shared/eval's two and the frozen held-out labelled examples with score.py's
own functions, bot.score_sets; the test stories through `rasa test core`) — the
live model while the candidate trains, and only once per content — and
puts the candidate live only if the gate of `core.training_gate` passes: then
it is copied into models/ (newest is live) and every Rasa worker loads it in
turn (bot.rolling_reload). A refused or failed candidate stays in its job
folder; models/ and the workers are untouched. A restore job puts back the
model that was live before the last change, the same way.

Everything a page shows is kept in the job folder (var/training/jobs/<id>/:
state.json, progress.log), so a reload of the page, or of the web app, finds it.
One job runs at a time (an exclusive lock on var/training/lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from bot.rolling_reload import Balancer, Progress, Worker, rolling_reload
from core import review, reviewed_data, training_gate
from core.services import Services
from core.settings import PROJECT_ROOT, Settings, private_dir

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
RUNNING, LIVE, REFUSED, FAILED, RESTORED = "running", "live", "refused", "failed", "restored"
TRAIN, RESTORE = "train", "restore"
EVAL_SETS = ("worker_dev", "real_questions")
HEARTBEAT_S = 30.0
STORIES = PROJECT_ROOT / "tests" / "stories"
# Loads a model into every Rasa worker, reporting progress.
GoLive = Callable[[Path, Progress], None]
# Beyond these, old jobs lose their bulky files (a training leaves about 17 MB) and old archives leave models/.
KEEP_JOBS, KEEP_MODELS = 10, 3
BULKY = ("candidate", "data", "eval", "frozen.jsonl", "previous.tar.gz")
QUIET = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def newest_model(models_dir: Path) -> Optional[Path]:
    archives = list(models_dir.glob("*.tar.gz"))
    return max(archives, key=lambda p: p.stat().st_mtime) if archives else None


@dataclass
class Job:
    """One training or restore: its folder holds its state, progress lines, data and candidate."""

    folder: Path

    @property
    def id(self) -> str:
        return self.folder.name

    def state(self) -> Dict[str, Any]:
        try:
            return dict(json.loads((self.folder / "state.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {"id": self.id, "status": FAILED, "error": "状态文件无法读取"}

    def update(self, **changes: Any) -> Dict[str, Any]:
        """Replace state.json whole (a reader never sees half of it)."""
        state = {**self.state(), **changes} if (self.folder / "state.json").exists() else dict(changes)
        temporary = self.folder / "state.json.tmp"
        temporary.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(self.folder / "state.json")
        return state

    def progress(self, line: str) -> None:
        with (self.folder / "progress.log").open("a", encoding="utf-8") as log:
            log.write(f"{_now()} {line}\n")

    def lines(self) -> List[Dict[str, str]]:
        path = self.folder / "progress.log"
        if not path.exists():
            return []
        return [
            {"at": at, "text": text}
            for at, _, text in (line.partition(" ") for line in path.read_text(encoding="utf-8").splitlines())
        ]

    def view(self) -> Dict[str, Any]:
        """State and progress for a page, with a job whose process died shown as failed."""
        state = {**self.state(), "lines": self.lines()}
        if state.get("status") == RUNNING and not _alive(state.get("pid")):
            state.update(status=FAILED, error=state.get("error") or "训练进程意外退出")
        return state


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int):
        return True  # not started yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def _started(folder: Path) -> Tuple[str, int]:
    """A job folder's order: its second, then its number within that second (…-10 after …-9)."""
    stamp, _, number = folder.name.rpartition("-")
    return stamp, int(number) if number.isdigit() else 0


@dataclass
class JobStore:
    """var/training/: the jobs, newest first, and the lock that keeps them to one at a time."""

    root: Path

    @classmethod
    def of(cls, settings: Settings) -> JobStore:
        return cls(settings.var_dir / "training")

    def jobs(self, limit: int = 20) -> List[Job]:
        folder = self.root / "jobs"
        found = sorted(folder.iterdir(), key=_started, reverse=True) if folder.is_dir() else []
        return [Job(path) for path in found[:limit] if (path / "state.json").exists()]

    def get(self, job_id: str) -> Optional[Job]:
        job = Job(self.root / "jobs" / job_id)
        return job if job_id.replace("-", "").isalnum() and (job.folder / "state.json").exists() else None

    def running(self) -> Optional[Job]:
        return next((job for job in self.jobs() if job.view().get("status") == RUNNING), None)

    def create(self, kind: str, by: str) -> Job:
        private_dir(self.root)
        jobs = private_dir(self.root / "jobs")
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        number = 1
        while (jobs / f"{stamp}-{number}").exists():
            number += 1
        job = Job(jobs / f"{stamp}-{number}")
        job.folder.mkdir()
        job.update(id=job.id, kind=kind, by=by, status=RUNNING, started_at=_now())
        return job

    def previous(self) -> Optional[Tuple[Job, str]]:
        """The newest job that changed the live model, and the model it replaced (which a restore puts back)."""
        for job in self.jobs(limit=200):
            state = job.state()
            if state.get("status") in (LIVE, RESTORED) and (job.folder / "previous.tar.gz").exists():
                return job, str(state.get("live_before"))
        return None

    def prune(self, keep: int = KEEP_JOBS) -> List[Path]:
        """Beyond the newest `keep` jobs, remove what only the job used (its data, candidate, scores,
        the model it replaced); their state and progress stay listed. The model the next restore would
        put back is kept, however old its job. Returns what was removed."""
        needed = self.previous()
        removed = []
        for job in self.jobs(limit=sys.maxsize)[keep:]:
            if job.view().get("status") == RUNNING:
                continue
            restorable = needed is not None and needed[0].folder == job.folder
            for name in BULKY:
                path = job.folder / name
                if not path.exists() or (restorable and name == "previous.tar.gz"):
                    continue
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed.append(path)
        return removed

    def start(self, kind: str, by: str) -> Job:
        """A new job run by `python -m bot.training` in its own session (it outlives a web app restart)."""
        job = self.create(kind, by)
        with (job.folder / "run.log").open("ab") as log:
            process = subprocess.Popen(
                [PYTHON, "-m", "bot.training", str(job.folder)], cwd=PROJECT_ROOT, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **QUIET},
            )  # fmt: skip
        job.update(pid=process.pid)
        threading.Thread(target=process.wait, daemon=True).start()  # reaped when it ends
        return job


@dataclass
class Steps:
    """What a training does, step by step; the gate's tests swap in fakes."""

    prepare: Callable[[Job], Tuple[Path, Optional[Path]]]  # training data folder, frozen set (None: empty)
    train: Callable[[Job, Path], Path]  # the candidate archive
    evaluate: Callable[[Job, Path, Optional[Path]], training_gate.Figures]
    go_live: GoLive


def prune_models(models_dir: Path, keep: int = KEEP_MODELS) -> List[Path]:
    """All but the newest `keep` archives out of models/ (the newest is live; workers hold theirs in memory)."""
    archives = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for archive in archives[keep:]:
        archive.unlink()
    return archives[keep:]


def run_training(job: Job, steps: Steps, models_dir: Path, tolerance: float) -> Dict[str, Any]:
    """Train, measure, and put the candidate live only through the gate."""
    live = newest_model(models_dir)
    if live is None:
        raise RuntimeError("models/ 里没有正在使用的模型")
    job.update(live_before=live.name, tolerance=tolerance)
    data, frozen = steps.prepare(job)
    pool = ThreadPoolExecutor(1)
    try:  # the live model is measured while the candidate trains
        live_measured = pool.submit(steps.evaluate, job, live, frozen)
        job.progress("开始训练（通常需要 2–4 分钟），同时测量正在使用的模型")
        started = time.monotonic()
        candidate = steps.train(job, data)
        job.update(candidate=candidate.name, train_seconds=round(time.monotonic() - started, 1))
        job.progress(f"训练完成，用时 {time.monotonic() - started:.0f} 秒；开始测量新模型")
        candidate_figures = steps.evaluate(job, candidate, frozen)
        live_figures = live_measured.result()
    finally:  # a failed training is reported at once; a measurement under way finishes into the cache
        pool.shutdown(wait=False)
    comparison = training_gate.compare(live_figures, candidate_figures, tolerance)
    job.update(comparison=comparison.to_json())
    if not comparison.passes:
        job.progress("新模型有指标变差，超出容差：未上线，正在使用的模型不变")
        return job.update(status=REFUSED, finished_at=_now())
    job.progress("没有指标变差：新模型上线")
    return _put_live(job, candidate, live, models_dir, steps.go_live)


def run_restore(job: Job, store: JobStore, models_dir: Path, go_live: GoLive) -> Dict[str, Any]:
    """Put back the model that was live before the last change (the same rolling reload)."""
    found = store.previous()
    live = newest_model(models_dir)
    if found is None or live is None:
        raise RuntimeError("没有可以恢复的上一个模型")
    source, name = found
    job.update(live_before=live.name, candidate=name, restored_from=source.id)
    job.progress(f"恢复上一个模型 {name}")
    return _put_live(job, source.folder / "previous.tar.gz", live, models_dir, go_live, name=name, done=RESTORED)


def _put_live(
    job: Job, archive: Path, live: Path, models_dir: Path, go_live: GoLive,
    name: Optional[str] = None, done: str = LIVE,
) -> Dict[str, Any]:  # fmt: skip
    """Keep the live model aside, make `archive` the newest in models/, and load it into every worker;
    should a worker refuse it, models/ and the workers go back to the model that was live."""
    shutil.copyfile(live, job.folder / "previous.tar.gz")
    target = models_dir / (name or archive.name)
    incoming = models_dir / f".incoming-{job.id}"  # not an archive name until complete
    shutil.copyfile(archive, incoming)
    incoming.replace(target)  # a new file: the newest, which a restarted worker and score.py take
    started = time.monotonic()
    try:
        go_live(target, job.progress)
    except Exception as error:  # any failure: the previous model must be live again before we report
        job.progress(f"上线失败：{error}；恢复原来的模型")
        if target != live:
            target.unlink(missing_ok=True)  # kept aside in its job folder, no longer in models/
        os.utime(live)
        go_live(live, job.progress)
        raise
    job.progress(f"新模型已在全部 Rasa 进程上线，用时 {time.monotonic() - started:.1f} 秒")
    return job.update(status=done, live=target.name, reload_seconds=round(time.monotonic() - started, 1),
                      finished_at=_now())  # fmt: skip


# The real steps.


def prepare(job: Job, services: Services) -> Tuple[Path, Optional[Path]]:
    """data/ as it is, with data/reviewed/ rewritten from the labelled examples (held-out share left out),
    and the frozen set of the held-out ones."""
    data = job.folder / "data"
    shutil.copytree(PROJECT_ROOT / "data", data, ignore=shutil.ignore_patterns("reviewed"))
    written = services.read(lambda session: reviewed_data.write(session, data / "reviewed"))
    examples = services.read(lambda session: [(e.text, e.intent) for e in review.labelled(session)])
    rows = training_gate.frozen_rows(examples)
    job.progress(f"训练数据：data/ 加 {len(examples) - len(rows)} 条标注样例（{len(written)} 个意图）；"
                 f"{len(rows)} 条留作冻结测试集，不参与训练")  # fmt: skip
    if not rows:
        return data, None
    frozen = job.folder / "frozen.jsonl"
    frozen.write_text(training_gate.jsonl(rows), encoding="utf-8")
    return data, frozen


def train(job: Job, data: Path) -> Path:
    out = job.folder / "candidate"
    command = [PYTHON, "-m", "bot.rasa_server", "train", "--config", "config.yml", "--domain", "domain.yml",
               "--data", str(data), "--out", str(out), "--quiet"]  # fmt: skip
    _run(command, job.folder / "train.log", "训练", job.progress)
    archives = list(out.glob("*.tar.gz"))
    if len(archives) != 1:
        raise RuntimeError("训练没有产出模型")
    return archives[0]


def _run(command: List[str], log: Path, what: str, progress: Optional[Progress] = None) -> None:
    """Run one step's command, its output into `log`; with `progress`, a line every HEARTBEAT_S
    so the page shows a long step is still going."""
    started = time.monotonic()
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, **QUIET})  # fmt: skip
        while True:
            try:
                returncode = process.wait(timeout=HEARTBEAT_S)
                break
            except subprocess.TimeoutExpired:
                if progress:
                    progress(f"{what}中…（已用 {time.monotonic() - started:.0f} 秒）")
    if returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-5:]
        raise RuntimeError(f"{what}失败：{' / '.join(tail)}")


def evaluate(job: Job, model: Path, frozen: Optional[Path], settings: Settings) -> training_gate.Figures:
    """The gate's figures of one model; the live model's are kept by content, so it is measured once."""
    sets = {name: settings.eval_dir / f"{name}.jsonl" for name in EVAL_SETS}
    if frozen is not None:
        sets["frozen"] = frozen
    cache = _score_cache(job, model, sets)
    if cache.exists():
        return dict(json.loads(cache.read_text(encoding="utf-8")))
    out = job.folder / "eval" / model.name.removesuffix(".tar.gz")
    out.mkdir(parents=True, exist_ok=True)
    pairs = [f"{name}={path}" for name, path in sets.items()]
    _run([PYTHON, "-m", "bot.score_sets", str(settings.eval_dir / "score.py"), str(model), str(out), *pairs],
         out / "score.log", f"用 {'、'.join(sets)} 测试")  # fmt: skip
    figures: training_gate.Figures = {
        name: training_gate.nlu_figures(json.loads((out / f"{name}.json").read_text(encoding="utf-8"))) for name in sets
    }
    stories = out / "stories"
    _run([PYTHON, "-m", "bot.rasa_server", "test", "core", "--e2e", "--stories", str(STORIES), "--model", str(model),
          "--out", str(stories)], out / "stories.log", "测试对话")  # fmt: skip
    figures["stories"] = training_gate.story_figures(json.loads((stories / "story_report.json").read_text()))
    job.progress(f"{model.name}：测完 {len(figures)} 组")
    cache.parent.mkdir(parents=True, exist_ok=True)
    written = cache.with_suffix(f".{os.getpid()}.tmp")  # whole or not at all: a measurement may outlive its job
    written.write_text(json.dumps(figures), encoding="utf-8")
    written.replace(cache)
    return figures


def _score_cache(job: Job, model: Path, sets: Dict[str, Path]) -> Path:
    digest = hashlib.sha256(model.read_bytes())
    for name, path in sorted(sets.items()):
        digest.update(name.encode() + path.read_bytes())
    for path in sorted(STORIES.rglob("*.yml")):
        digest.update(path.read_bytes())
    return job.folder.parent.parent / "scores" / f"{digest.hexdigest()[:24]}.json"


def go_live(settings: Settings) -> GoLive:
    workers = [Worker(url) for url in settings.rasa_worker_urls()]
    balancer = Balancer(settings.balancer_conf) if settings.balancer_conf else None

    def load(model: Path, progress: Progress) -> None:
        rolling_reload(workers, model, settings.rasa_token or "", balancer, progress)

    return load


def real_steps(settings: Settings, services: Services) -> Steps:
    return Steps(
        prepare=lambda job: prepare(job, services),
        train=train,
        evaluate=lambda job, model, frozen: evaluate(job, model, frozen, settings),
        go_live=go_live(settings),
    )


@contextlib.contextmanager
def exclusive(root: Path) -> Iterator[bool]:
    """Whether this process holds var/training/lock (released when it ends, even by a crash)."""
    private_dir(root)
    with (root / "lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def main(argv: Optional[List[str]] = None) -> int:
    """Run the job in the folder given; its outcome is in its state.json, whatever happens."""
    job = Job(Path((sys.argv[1:] if argv is None else argv)[0]))
    settings = Settings.from_env()
    store = JobStore.of(settings)
    job.update(pid=os.getpid())
    with exclusive(store.root) as mine:
        if not mine:
            job.update(status=FAILED, error="已有训练或恢复正在进行，请等它结束", finished_at=_now())
            return 1
        services = Services.from_settings(settings)
        try:
            if job.state().get("kind") == RESTORE:
                run_restore(job, store, settings.models_dir, go_live(settings))
            else:
                run_training(job, real_steps(settings, services), settings.models_dir, settings.training_tolerance)
        except Exception as error:  # recorded for the page: a failed job leaves the live model as it was
            job.progress(f"失败：{error}")
            job.update(status=FAILED, error=str(error)[:500], finished_at=_now())
            return 1
        finally:
            services.close()
            tidy(store, settings.models_dir)
    return 0


def tidy(store: JobStore, models_dir: Path) -> None:
    """Old jobs' bulky files and old models off the disk; a failure here is logged, the job's outcome stands."""
    try:
        store.prune()
        prune_models(models_dir)
    except OSError as error:
        print(f"清理旧训练文件失败：{error}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
