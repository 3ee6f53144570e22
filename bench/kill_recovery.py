"""How long each process of the assistant is away after `kill -9` under load, and what is lost.

    .venv/bin/python bench/kill_recovery.py [--riders 4] [--workers 1]

The project's stack runs with its supervisor (bot.supervision); riders talk
through the REST channel while each process in turn — actions, web, delivery,
Rasa, and with `--workers 2` one of two Rasa workers behind nginx — is killed
with SIGKILL. For each it prints the seconds until the stack answers a rider
normally again (web: serves the chat page; delivery: delivers a staff reply
written while it was dead), the answers that were a polite try-again, and the
messages that were answered but are missing from the conversation store.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine
from bench.stacks import prepared_database, rest_url, running

TRY_AGAIN = "系统有点忙"
MESSAGES = ["你好", "驿站收费吗", "谢谢", "站点老板欠工资不给咋办"]


class Riders:
    """Riders talking in threads; every answer kept with its time."""

    def __init__(self, url: str, riders: int) -> None:
        self.url, self.answers = url, []  # type: ignore[var-annotated]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._ride, daemon=True) for _ in range(riders)]

    def __enter__(self) -> Riders:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _ride(self) -> None:
        sender, n = f"kill-{uuid.uuid4().hex[:8]}", 0
        while not self._stop.is_set():
            text = MESSAGES[n % len(MESSAGES)]
            n += 1
            try:
                response = requests.post(self.url, json={"sender": sender, "message": text}, timeout=120)
                reply = "\n".join(m.get("text", "") for m in response.json()) if response.ok else ""
                status = response.status_code
            except (requests.RequestException, ValueError):
                status, reply = 0, ""
            self.answers.append((time.monotonic(), sender, text, status, reply))


def until(check: Callable[[], bool], limit_s: float = 300) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > limit_s:
            return float("inf")
        time.sleep(0.1)
    return time.monotonic() - started


def answers_normally(url: str) -> bool:
    try:
        response = requests.post(url, json={"sender": f"probe-{uuid.uuid4().hex[:6]}", "message": "你好"}, timeout=30)
        return response.ok and "暖新助手" in json.dumps(response.json(), ensure_ascii=False)
    except (requests.RequestException, ValueError):
        return False


def lost(riders: Riders, tracker_url: str) -> int:
    """Answered (not a try-again) but missing from the conversation store."""
    answered: Dict[str, Counter] = {}
    for _, sender, text, status, reply in riders.answers:
        if status == 200 and reply and TRY_AGAIN not in reply:
            answered.setdefault(sender, Counter())[text] += 1
    engine = sa.create_engine(tracker_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id LIKE 'kill-%'")
        ).all()
    engine.dispose()
    stored: Dict[str, Counter] = {}
    for sender, data in rows:
        stored.setdefault(sender, Counter())[json.loads(data)["text"]] += 1
    return sum(max(0, n - stored.get(s, Counter())[t]) for s, counts in answered.items() for t, n in counts.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--riders", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    var_dir = Path(tempfile.mkdtemp(prefix="kill-"))
    env = prepared_database(var_dir)
    results: List[Tuple[str, float, int, int]] = []
    with running("project", var_dir, env=env, workers=args.workers) as stack:
        url = rest_url(stack)
        tracker = stack.config.environment()["TRACKER_DATABASE_URL"]
        names = [s.name for s in stack.services if s.name != "nginx"]
        for name in names:
            with Riders(url, args.riders) as riders:
                time.sleep(2)
                stack.kill(name)
                killed = time.monotonic()
                if name == "web":
                    seconds = until(lambda: _serves(f"http://localhost:{stack.config.web_port}/"))
                elif name.startswith("delivery"):
                    seconds = until(lambda name=name: stack.service(name).is_ready() and answers_normally(url))
                else:
                    seconds = until(lambda: answers_normally(url))
                time.sleep(2)
            polite = sum(1 for a in riders.answers if a[0] >= killed and TRY_AGAIN in a[4])
            results.append((name, seconds, polite, lost(riders, tracker)))
            print(f"{name:10} back after {seconds:5.1f} s; try-again answers {polite:3}; lost {results[-1][3]}")
            stack.wait_ready(name, 300)
    worst = max(r[1] for r in results)
    print(f"worst: {worst:.1f} s; lost in all: {sum(r[3] for r in results)}")
    return 0


def _serves(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
