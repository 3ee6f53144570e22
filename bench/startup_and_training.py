"""Training time of the full model, and `make run` start-up to the first answered message.

    .venv/bin/python bench/startup_and_training.py [--skip-training]

Training runs `rasa train` exactly as `make model` does, with an empty Rasa
cache in a temporary directory, so nothing from an earlier training is reused.
Start-up runs `make run` (the model already trained, the venv installed) on
free ports with a fresh database, and times from launch until the REST channel
answers 你好; then Ctrl-C, and the time until every process has exited.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine
from bench.stacks import QUIET, RASA
from bot.stack import free_port
from core.settings import PROJECT_ROOT


def training_seconds() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **QUIET, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        started = time.perf_counter()
        subprocess.run(
            [RASA, "train", "--out", tmp, "--quiet"],
            cwd=PROJECT_ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        return time.perf_counter() - started


def startup_seconds() -> tuple[float, float]:
    """(seconds to the first answer, seconds from Ctrl-C to the last process gone)."""
    subprocess.run(["make", "--no-print-directory", "model"], cwd=PROJECT_ROOT, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        rasa_port = free_port()
        env = {
            **os.environ, **QUIET, "RASA_PORT": str(rasa_port), "ACTIONS_PORT": str(free_port()),
            "WEB_PORT": str(free_port()), "NUANXIN_VAR_DIR": tmp, "DATABASE_URL": f"sqlite:///{tmp}/nuanxin.db",
        }  # fmt: skip
        started = time.perf_counter()
        make = subprocess.Popen(
            ["make", "--no-print-directory", "run"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        url = f"http://localhost:{rasa_port}/webhooks/rest/webhook"
        try:
            while True:
                if make.poll() is not None:
                    raise RuntimeError(f"make run exited with {make.returncode}")
                try:
                    replies = requests.post(url, json={"sender": "bench", "message": "你好"}, timeout=30).json()
                    if replies:
                        break
                except (requests.RequestException, ValueError):
                    pass
                time.sleep(0.2)
            ready = time.perf_counter() - started
        finally:
            stopping = time.perf_counter()
            os.killpg(make.pid, signal.SIGINT)
            make.wait(timeout=60)
        return ready, time.perf_counter() - stopping


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if not args.skip_training:
        print(f"training (empty cache): {training_seconds():.1f} s (target <= 90)", flush=True)
    ready, stopped = startup_seconds()
    print(f"make run to the first answered 你好: {ready:.1f} s (target <= 30); Ctrl-C to all stopped: {stopped:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
