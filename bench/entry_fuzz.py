"""The entry-point fuzzer at scale: ten thousand generated inputs over every way into the assistant.

    .venv/bin/python bench/entry_fuzz.py [--inputs 10000] [--seed 0] [--batch 100] [--only rest,telegram]

The strategies and senders are the suite's (tests/fuzz/entry_points.py): `rest`, web chat
send/photo/history/events, Telegram, WeChat plain and encrypted, console forms and CSV import, valid
shapes and broken ones. A stack of its own is started on free ports on a fresh database
(bench/stacks.py), its Telegram and WeChat channels talking to local fakes of their APIs. Every input
must be answered below 500; after every batch no process may have exited and a plain 你好 through
`rest` must get a real answer. Prints the figures (inputs per entry point, statuses seen, seconds) and
the first failure of each kind with its request, byte for byte, and what the stack logged; `--save`
writes every failing request to a folder. Exits 1 when any input got a 5xx or no answer, or the
assistant stopped answering.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import git_revision, machine
from bench.stacks import prepared_database, running
from bot.stack import Stack
from tests.fuzz.entry_points import ENTRY_POINTS, Figures, LogWatch, Target, run, stack_env
from tests.running import start_fakes

# utter_try_again: what a rider gets when their message could not be handled.
TRY_AGAIN = "系统有点忙"


def save(figures: Figures, folder: Path) -> None:
    """Each failing request as sent (`<n>.txt`: method, URL, headers; `<n>.body`: the body's bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for failure in figures.failures:
        if failure.sent is None:
            continue
        stem = folder / f"{failure.index:05d}-{failure.entry}-{failure.status}"
        head = f"{failure.kind}\n{failure.sent.method} {failure.sent.url}\n{failure.sent.headers!r}\n\n{failure.log}"
        stem.with_suffix(".txt").write_text(head, errors="replace")
        stem.with_suffix(".body").write_bytes(failure.sent.body)
    print(f"{len(figures.failures)} failing requests written to {folder}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=100, help="inputs between two liveness checks")
    parser.add_argument("--only", help=f"comma-separated entry points (default all: {', '.join(ENTRY_POINTS)})")
    parser.add_argument("--model", help="a model archive (default: the project's current model, `make model`)")
    parser.add_argument("--show", type=int, default=30, help="kinds of failure shown with a request and its log")
    parser.add_argument("--save", type=Path, help="a folder to write every failing request to")
    args = parser.parse_args()
    names: List[str] = args.only.split(",") if args.only else list(ENTRY_POINTS)
    unknown = [n for n in names if n not in ENTRY_POINTS]
    if unknown:
        parser.error(f"unknown entry points: {', '.join(unknown)}")
    print(f"machine: {machine()}; git {git_revision()}")
    print(f"{args.inputs} inputs from seed {args.seed} over {', '.join(names)}; checks every {args.batch}", flush=True)
    fakes_running = start_fakes()
    fakes = next(fakes_running)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**prepared_database(Path(tmp)), **stack_env(fakes.telegram_url, fakes.wechat_url)}
            with running("project", Path(tmp), model=args.model, env=env) as stack:
                figures = fuzz(stack, args, names)
    finally:
        next(fakes_running, None)
    print(figures.summary())
    if figures.failures:
        print(f"\nthe first failure of each kind (at most {args.show}):\n")
        print(figures.examples(args.show))
        if args.save:
            save(figures, args.save)
    for error in figures.client_errors[:5]:
        print(f"\nthe fuzzer could not send:\n{error}")
    return 1 if figures.failures or figures.stopped or figures.client_errors else 0


def fuzz(stack: Stack, args: argparse.Namespace, names: List[str]) -> Figures:
    config = stack.config
    target = Target(f"http://localhost:{config.rasa_port}", f"http://localhost:{config.web_port}", config.token,
                    config.env["DATABASE_URL"])  # fmt: skip
    target.prepare()
    started = time.perf_counter()

    def check(done: int) -> None:
        stack.check_alive()
        answer = target.probe(done)
        if not answer or TRY_AGAIN in answer:
            raise AssertionError(f"你好 got {answer!r}")

    def progress(figures: Figures) -> None:
        if figures.total % (args.batch * 10) == 0:
            print(f"  {figures.total} inputs, {len(figures.failures)} failures, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip

    figures = run(target, args.inputs, args.seed, check, args.batch, names, progress, LogWatch(config.log_dir))
    problems = target.restore()
    if problems:
        print(f"content tables not put back: {problems}")
    return figures


if __name__ == "__main__":
    sys.exit(main())
