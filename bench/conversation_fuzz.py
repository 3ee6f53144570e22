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
import dataclasses
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import git_revision, machine
from bench.stacks import running
from tests.fuzz.conversations import Figures, Target, Violation, run_many


def report(figures: Figures, shown: int) -> None:
    print(figures.summary())
    if not figures.violations:
        return
    kinds = Counter(v.kind for v in figures.violations)
    print("\nkinds of violation (violations, conversations, kind):")
    for kind, count in kinds.most_common():
        conversations = len({v.seed for v in figures.violations if v.kind == kind})
        print(f"  {count:>5} {conversations:>5}  {kind}")
    first: Dict[str, Violation] = {}
    for violation in figures.violations:
        first.setdefault(violation.kind, violation)
    print(f"\nthe first of each kind (at most {shown}), with replay data:")
    for violation in list(first.values())[:shown]:
        print(f"\n{violation.format()}")


def as_json(figures: Figures) -> Dict[str, Any]:
    """The figures and every violation with its steps (in full), for replaying them one by one."""
    return {
        "conversations": figures.conversations,
        "turns": figures.turns,
        "seconds": figures.seconds,
        "aborted": figures.aborted,
        "violations_by_invariant": dict(figures.by_invariant()),
        "checks": dict(figures.checks),
        "violations": [
            {**dataclasses.asdict(v), "steps": [{"kind": type(s).__name__, **dataclasses.asdict(s)} for s in v.steps]}
            for v in figures.violations
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0, help="the first conversation's seed; the next ones count up")
    parser.add_argument("--threads", type=int, default=4, help="conversations at a time")
    parser.add_argument("--model", help="a model archive (default: the project's current model, `make model`)")
    parser.add_argument("--show", type=int, default=10, help="violations shown with their replay data")
    parser.add_argument("--json", type=Path, help="also write the figures and every violation here")
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
    if args.json:
        args.json.write_text(json.dumps(as_json(figures), indent=1))
    return 1 if figures.violations else 0


if __name__ == "__main__":
    sys.exit(main())
