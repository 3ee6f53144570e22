"""Throughput and latency under load, the project's stack beside Rasa's stock one.

    .venv/bin/python bench/load.py [--concurrency 20] [--messages 2000] [--only project|stock]

Mixed rider conversations (bench/conversations.py: greetings, station searches
with a shared location, legal questions, a childcare sign-up, a request for a
person) go through Rasa's REST channel from N concurrent workers, each worker
one conversation after another. Both stacks run on the same data, one after
the other, on this machine; the stock one is Rasa's default configuration
(bench/stock/). Each stack plays --rounds rounds of --messages messages and
the median round is reported: messages/s, p50, p99, intent accuracy, the peak
memory of all the stack's processes, and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, percentile
from bench.conversations import SCRIPTS, Script
from bench.stacks import process_group_rss_mib, rest_url, running


def childcare_sign_up(programme_id: int) -> Script:
    return [
        ("暑假孩子没人看 有托管班吗", "childcare"),
        ("潞州区", "inform"),
        ("孩子8岁", "inform"),
        (f'/enrol{{"programme_id": {programme_id}}}', "enrol"),
        ("同意", "affirm"),
        ("王小明", "inform"),
        ("13812345678", "inform"),
    ]


def programme_for(database_url: str) -> int:
    from sqlalchemy import select

    from core.db import make_engine, make_session_factory
    from core.models import Programme

    with make_session_factory(make_engine(database_url))() as session:
        return session.scalars(
            select(Programme.id).where(
                Programme.district == "潞州区",
                Programme.age_min <= 8,
                Programme.age_max >= 8,
                Programme.signup_opens.is_(None),  # open for sign-up now, so the script signs up
            )
        ).first()


async def play(url: str, scripts: List[Script], concurrency: int, total: int) -> Tuple[float, List[float], int]:
    """(seconds, latencies, failures) of `total` messages from `concurrency` workers."""
    latencies: List[float] = []
    failures = 0
    counter = itertools.count()
    script_cycle = itertools.cycle(range(len(scripts)))

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        while True:
            script = scripts[next(script_cycle)]
            sender = f"load-{uuid.uuid4().hex[:10]}"
            for text, _ in script:
                if next(counter) >= total:
                    return
                started = time.perf_counter()
                try:
                    payload, headers = {"sender": sender, "message": text}, {"X-Conversation-Id": sender}
                    async with session.post(url, json=payload, headers=headers) as response:
                        body = await response.json()
                        if response.status != 200 or not body:
                            failures += 1
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    failures += 1
                latencies.append(time.perf_counter() - started)

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, failures


async def accuracy(parse_url: str, token: str, scripts: List[Script]) -> float:
    """Share of the scripts' free-text messages whose intent the model gets right."""
    checks = [(t, i) for s in scripts for t, i in s if not t.startswith("/")]
    right = 0
    async with aiohttp.ClientSession() as session:
        for text, intent in checks:
            async with session.post(parse_url, params={"token": token}, json={"text": text}) as response:
                right += (await response.json())["intent"]["name"] == intent
    return right / len(checks)


def measure(kind: str, concurrency: int, total: int, rounds: int = 3) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, running(kind, Path(tmp)) as stack:
        database_url = stack.config.env["DATABASE_URL"]
        scripts = [*SCRIPTS, childcare_sign_up(programme_for(database_url))]
        url = rest_url(stack)
        asyncio.run(play(url, scripts, concurrency, concurrency * 5))  # warm up
        peak = [process_group_rss_mib(stack)]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.5):
                peak.append(process_group_rss_mib(stack))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        runs = []
        for _ in range(rounds):  # this machine is a VM whose speed drifts: the median round is reported
            seconds, latencies, failures = asyncio.run(play(url, scripts, concurrency, total))
            runs.append({
                "messages": len(latencies), "seconds": seconds, "throughput": len(latencies) / seconds,
                "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
                "mean_ms": statistics.mean(latencies) * 1000, "failures": failures,
            })  # fmt: skip
        stop.set()
        sampler.join()
        parse = f"http://localhost:{stack.config.rasa_port}/model/parse"
        median = sorted(runs, key=lambda r: r["throughput"])[len(runs) // 2]
        return {
            **median,
            "rounds": [round(r["throughput"], 1) for r in runs],
            "accuracy": asyncio.run(accuracy(parse, stack.config.token, scripts)),
            "peak_rss_mib": max(peak),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per stack; the median is reported")
    parser.add_argument("--only", choices=("project", "stock"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(f"machine: {machine()}; {args.concurrency} concurrent conversations, {args.messages} messages each stack")
    results = {}
    for kind in ("stock", "project"):
        if args.only and kind != args.only:
            continue
        results[kind] = measure(kind, args.concurrency, args.messages, args.rounds)
        r = results[kind]
        print(
            f"{kind:8} {r['throughput']:7.1f} msg/s  p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms  "
            f"failures {r['failures']}  intent accuracy {r['accuracy']:.3f}  peak RSS {r['peak_rss_mib']:.0f} MiB  "
            f"(msg/s of each round: {r['rounds']})",
            flush=True,
        )
    if len(results) == 2:
        stock, project = results["stock"], results["project"]
        print(
            f"ratios: throughput x{project['throughput'] / stock['throughput']:.1f} (target >= 4), "
            f"p99 {project['p99_ms'] / stock['p99_ms']:.3f} of stock (target <= 0.25), "
            f"accuracy {project['accuracy']:.3f} vs {stock['accuracy']:.3f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
