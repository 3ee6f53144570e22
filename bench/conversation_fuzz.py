"""The conversation fuzzer at scale: thousands of seeded random conversations, every invariant checked.

    .venv/bin/python bench/conversation_fuzz.py [--conversations 10000] [--seed 0] [--threads 4]

The generator and the checker are the suite's (tests/fuzz/conversations.py):
conversations of 8–15 turns over every flow, with exit words and bad input at
random points and staff replying and resolving in the database, each turn
checked through the reply and the tracker. A stack of its own is started on
free ports on a fresh database (bench/stacks.py). Prints the figures (turns,
violations by invariant, seconds) and the first violation of each kind with
its replay data; exits 1 when any invariant was broken.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import git_revision, machine
from bench.stacks import running
from tests.fuzz.conversations import Figures, Target, run_many


def kinds(figures: Figures) -> Dict[Tuple[str, str], int]:
    """How often each kind of violation (invariant and the start of its detail) occurred."""
    counts: Dict[Tuple[str, str], int] = {}
    for violation in figures.violations:
        key = (violation.invariant, violation.detail[:50])
        counts[key] = counts.get(key, 0) + 1
    return counts


def report(figures: Figures, shown: int) -> None:
    print(figures.summary())
    if not figures.violations:
        return
    print("\nkinds of violation (count, invariant, detail):")
    for (invariant, detail), count in sorted(kinds(figures).items(), key=lambda item: -item[1]):
        print(f"  {count:>5}  {invariant:<18} {detail}")
    first = {}
    for violation in figures.violations:
        first.setdefault((violation.invariant, violation.detail[:50]), violation)
    print(f"\nthe first of each kind (at most {shown}), with replay data:")
    for violation in list(first.values())[:shown]:
        print(f"\n{violation.format()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0, help="the first conversation's seed; the next ones count up")
    parser.add_argument("--threads", type=int, default=4, help="conversations at a time")
    parser.add_argument("--model", help="a model archive (default: the project's current model, `make model`)")
    parser.add_argument("--show", type=int, default=10, help="violations shown with their replay data")
    args = parser.parse_args()
    print(f"machine: {machine()}; git {git_revision()}")
    print(f"{args.conversations} conversations from seed {args.seed}, {args.threads} at a time", flush=True)
    with tempfile.TemporaryDirectory() as tmp, running("project", Path(tmp), model=args.model) as stack:
        config = stack.config
        target = Target(f"http://localhost:{config.rasa_port}", config.token, config.env["DATABASE_URL"])
        started, step = time.perf_counter(), max(1, args.conversations // 20)

        def progress(done: int) -> None:
            if done % step == 0:
                print(f"  {done} conversations, {time.perf_counter() - started:.0f} s", flush=True)

        try:
            figures = run_many(target, args.conversations, args.seed, args.threads, progress)
        finally:
            target.close()
    report(figures, args.show)
    return 1 if figures.violations else 0


if __name__ == "__main__":
    sys.exit(main())
