"""Every benchmark, one after the other, each printing its figures (`make bench`).

    .venv/bin/python bench/run_all.py [--quick]

The output is also written to bench/output/run_all.txt, from which
bench/RESULTS.md is updated by hand with the date and machine. --quick skips
the pipeline comparison (DIET's cross-validation takes the better part of an
hour on 2 cores) and the fuzzers and mutation testing (an hour each).
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import git_revision, machine

BENCH = Path(__file__).resolve().parent
BENCHMARKS = [
    ("place_search.py", []),
    ("faq_retrieval.py", []),
    ("startup_and_training.py", []),
    ("load.py", ["--concurrency", "20"]),
    ("long_conversation.py", []),
    ("scale_out.py", []),
    ("ticket_queue.py", []),
    ("ticket_search.py", []),
    ("cross_validate.py", ["--folds", "5"]),
    ("conversation_fuzz.py", ["--conversations", "10000"]),
    ("entry_fuzz.py", ["--inputs", "10000"]),
    ("kill_recovery.py", []),
    ("mutation.py", []),
    ("compare_pipelines.py", ["--folds", "3"]),
]
SLOW = {"compare_pipelines.py", "conversation_fuzz.py", "entry_fuzz.py", "mutation.py"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    (BENCH / "output").mkdir(exist_ok=True)
    failed = []
    with (BENCH / "output" / "run_all.txt").open("w", encoding="utf-8") as log:
        header = f"{datetime.datetime.now().isoformat(timespec='seconds')} {machine()} git {git_revision()}"
        print(header, file=log, flush=True)
        print(header, flush=True)
        for script, arguments in BENCHMARKS:
            if args.quick and script in SLOW:
                continue
            print(f"\n$ .venv/bin/python bench/{script} {' '.join(arguments)}", file=log, flush=True)
            print(f"\n== {script}", flush=True)
            process = subprocess.Popen(
                [sys.executable, str(BENCH / script), *arguments], stdout=subprocess.PIPE, text=True,
                cwd=BENCH.parent,
            )  # fmt: skip
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
                log.flush()
            if process.wait() != 0:
                failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
