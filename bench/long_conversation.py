"""Cost of a reply as one conversation grows: turn 10 against turn 1,000.

    .venv/bin/python bench/long_conversation.py [--turns 1000] [--stock-turns 300]

One sender talks to the project's stack through the REST channel, cycling
through everyday rider messages (greetings, a shared location, legal
questions, thanks). The latency of every turn is recorded; the figure for
"turn N" is the median of the eleven turns around N, so one slow turn does
not decide it. With --stock-turns the same is done against Rasa's stock
configuration, whose cost grows with the history (the issue measured ~700 ms
at turn 200).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import List

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine
from bench.conversations import SCRIPTS
from bench.stacks import rest_url, running

# Conversations that end where they started: no form left open, no hand-off to staff.
CYCLE = [text for index in (0, 1, 2, 5, 6) for text, _ in SCRIPTS[index]]


def latencies(kind: str, turns: int) -> List[float]:
    with tempfile.TemporaryDirectory() as tmp, running(kind, Path(tmp)) as stack:
        url, sender = rest_url(stack), f"long-{uuid.uuid4().hex[:8]}"
        seconds: List[float] = []
        with requests.Session() as http:
            for text in itertools.islice(itertools.cycle(CYCLE), turns):
                started = time.perf_counter()
                response = http.post(url, json={"sender": sender, "message": text}, timeout=120)
                response.raise_for_status()
                seconds.append(time.perf_counter() - started)
        return seconds


def around(seconds: List[float], turn: int) -> float:
    """Median latency (ms) of the eleven turns centred on `turn` (1-based), clipped to the run."""
    low = max(0, min(turn - 6, len(seconds) - 11))
    return statistics.median(seconds[low : low + 11]) * 1000


def report(kind: str, seconds: List[float], marks: List[int]) -> None:
    figures = "  ".join(f"turn {m}: {around(seconds, m):6.1f} ms" for m in marks if m <= len(seconds))
    print(f"{kind:8} {figures}  ratio last/turn-10: {around(seconds, len(seconds)) / around(seconds, 10):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--stock-turns", type=int, default=300, help="0 skips the stock stack")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    project = latencies("project", args.turns)
    report("project", project, [10, 100, 200, 300, 500, args.turns])
    if args.stock_turns:
        stock = latencies("stock", args.stock_turns)
        report("stock", stock, [10, 100, 200, args.stock_turns])
    ratio = around(project, args.turns) / around(project, 10)
    print(f"project turn {args.turns} / turn 10 = {ratio:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
