"""Throughput of the production mode with one worker and with two.

    .venv/bin/python bench/scale_out.py [--concurrency 20] [--messages 1500] [--workers 1 2]

Production mode: PostgreSQL for the project database and the tracker store,
Redis for the lock store. One worker is one Rasa server and one action server;
with two, nginx (deploy/nginx.conf.template) balances them by conversation.
The same mixed rider conversations as bench/load.py are played against each.
On a 2-core machine the second worker competes for the same cores as the
first, so this shows the cost of the balancer and the shared stores more than
a gain; on a bigger machine each worker adds a core's worth of throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, percentile, postgres_schema
from bench.conversations import SCRIPTS
from bench.load import childcare_sign_up, play, programme_for
from bench.stacks import prepared_database, rest_url, running

REDIS_URL = "redis://127.0.0.1:6379/13"


def measure(workers: int, concurrency: int, total: int) -> str:
    redis.Redis.from_url(REDIS_URL).flushdb()
    with postgres_schema() as database_url, tempfile.TemporaryDirectory() as tmp:
        shared = {"TRACKER_DATABASE_URL": database_url, "REDIS_URL": REDIS_URL}
        env = {**prepared_database(Path(tmp), database_url), **shared}
        with running("project", Path(tmp), env=env, workers=workers) as stack:
            scripts = [*SCRIPTS, childcare_sign_up(programme_for(database_url))]
            url = rest_url(stack)
            asyncio.run(play(url, scripts, concurrency, concurrency * 5))  # warm up
            seconds, latencies, failures = asyncio.run(play(url, scripts, concurrency, total))
    return (
        f"{workers} worker{'s' if workers > 1 else ' '}  {len(latencies) / seconds:7.1f} msg/s  "
        f"p50 {percentile(latencies, 50) * 1000:7.1f} ms  p99 {percentile(latencies, 99) * 1000:7.1f} ms  "
        f"failures {failures}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"machine: {machine()}; PostgreSQL + Redis; {args.concurrency} concurrent conversations")
    for workers in args.workers:
        print(measure(workers, args.concurrency, args.messages), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
