"""Helpers shared by the benchmarks: percentiles, machine description, databases."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Sequence

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary_ms(seconds: List[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"n={len(ms)} p50={percentile(ms, 50):.2f}ms p95={percentile(ms, 95):.2f}ms "
        f"p99={percentile(ms, 99):.2f}ms max={max(ms):.2f}ms mean={statistics.mean(ms):.2f}ms"
    )


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {model}, {memory_gib:.0f} GiB, Python {platform.python_version()}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A throw-away PostgreSQL schema on BENCH_POSTGRES_URL's server."""
    from core.db import scratch_schema

    with scratch_schema(PG_URL, "nx_bench") as url:
        yield url


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
