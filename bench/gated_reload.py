"""A new model going live on two Rasa workers while 20 riders talk: nothing may be lost or fail.

    .venv/bin/python bench/gated_reload.py [--concurrency 20] [--reloads 3]

Production mode (PostgreSQL tracker store, Redis locks, nginx in front of two
Rasa workers and two action servers). Riders talk without pause through the
public webhook; meanwhile bot.rolling_reload loads a model into each worker in
turn (out of rotation, PUT /model, back in), `--reloads` times, alternating two
copies of the project's model under different names so every reload really
loads. Printed: messages sent, answered, failed (an HTTP error or no answer)
and lost (an answer that is not this message's), seconds until both workers
run the new model, and the resident memory of the Rasa workers at the start,
after the same talk without a reload, and after the reloads.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, List

import aiohttp
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, postgres_schema
from bench.stacks import prepared_database, project_model, running
from bot.rolling_reload import Balancer, Worker, rolling_reload
from bot.stack import Stack

REDIS_URL = "redis://127.0.0.1:6379/12"
# What a rider says and a word of each right answer (the small-talk rules: no action server needed to be right).
CYCLE = [("你好", "暖新助手"), ("谢谢", "不客气"), ("你是机器人吗", "不是真人"), ("你能干什么", "我能帮您")]


@dataclass
class Tally:
    sent: int = 0
    answered: int = 0
    failed: int = 0
    lost: int = 0
    slowest_s: float = 0.0
    problems: List[str] = field(default_factory=list)


async def rider(session: aiohttp.ClientSession, url: str, stop: asyncio.Event, tally: Tally) -> None:
    """One rider's conversation, a message as soon as the last was answered, until `stop`."""
    sender = f"reload-{uuid.uuid4().hex[:10]}"
    n = 0
    while not stop.is_set():
        text, expected = CYCLE[n % len(CYCLE)]
        n += 1
        tally.sent += 1
        started = time.monotonic()
        try:
            headers = {"X-Conversation-Id": sender}
            async with session.post(url, json={"sender": sender, "message": text}, headers=headers) as response:
                body = await response.json() if response.status == 200 else None
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            tally.failed += 1
            tally.problems.append(f"{text}: {type(error).__name__} {error}")
            continue
        tally.slowest_s = max(tally.slowest_s, time.monotonic() - started)
        if body is None:
            tally.failed += 1
            tally.problems.append(f"{text}: HTTP {response.status}")
        elif expected in "\n".join(str(m.get("text", "")) for m in body):
            tally.answered += 1
        else:
            tally.lost += 1
            tally.problems.append(f"{text}: answered {body!r}")


def workers_of(stack: Stack) -> List[Worker]:
    return [Worker(f"http://localhost:{port}") for port in stack.config.rasa_ports()]


@dataclass
class Reload:
    seconds: float  # until every worker runs the new model
    loading_s: List[float]  # each worker's own load, during which it answers nothing


def reload_stack(stack: Stack, model: Path) -> Reload:
    """Have `model` live on every worker of a stack, in turn."""
    started = time.monotonic()
    balancer = Balancer(stack.config.log_dir / "nginx.conf") if stack.config.balanced else None
    loading = rolling_reload(workers_of(stack), model, stack.config.token, balancer, lambda line: None)
    return Reload(time.monotonic() - started, loading)


@contextlib.asynccontextmanager
async def riders_talking(url: str, concurrency: int) -> AsyncIterator[Tally]:
    """`concurrency` riders talk for as long as the block runs; their tally when it ends."""
    tally, stop = Tally(), asyncio.Event()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        riders = [asyncio.create_task(rider(session, url, stop, tally)) for _ in range(concurrency)]
        try:
            yield tally
        finally:
            stop.set()
            await asyncio.gather(*riders)


async def reload_under_load(stack: Stack, url: str, model: Path, concurrency: int) -> tuple[Tally, Reload]:
    """Riders talk before, during and after one rolling reload; returns their tally and the reload."""
    async with riders_talking(url, concurrency) as tally:
        await asyncio.sleep(2)
        reload = await asyncio.to_thread(reload_stack, stack, model)
        await asyncio.sleep(2)
    return tally, reload


async def talk_without_reload(url: str, concurrency: int, seconds: float) -> Tally:
    async with riders_talking(url, concurrency) as tally:
        await asyncio.sleep(seconds)
    return tally


def rasa_rss_mib(stack: Stack) -> List[float]:
    """Resident memory of each Rasa worker process."""
    found = []
    for service in stack.services:
        if service.name.startswith("rasa") and service.process is not None:
            status = Path(f"/proc/{service.process.pid}/status").read_text()
            found.append(next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024)
    return found


def model_copies(folder: Path) -> List[Path]:
    """Two copies of the project's model under their own names: loading either is a real load."""
    source = Path(project_model())
    copies = []
    for name in ("gated-a", "gated-b"):
        copies.append(folder / f"{name}.tar.gz")
        shutil.copyfile(source, copies[-1])
    return copies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--reloads", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}; 2 Rasa workers behind nginx, PostgreSQL + Redis; {args.concurrency} riders")
    redis.Redis.from_url(REDIS_URL).flushdb()
    with postgres_schema() as database_url, tempfile.TemporaryDirectory() as tmp:
        env = {**prepared_database(Path(tmp), database_url), "TRACKER_DATABASE_URL": database_url,
               "REDIS_URL": REDIS_URL}  # fmt: skip
        copies = model_copies(Path(tmp))
        with running("project", Path(tmp), env=env, workers=2) as stack:
            url = f"http://localhost:{stack.config.public_port}/webhooks/rest/webhook"
            before = rasa_rss_mib(stack)
            # The same talk with no reload, as long as a reload takes: what serving alone adds to memory.
            for _ in range(args.reloads):
                asyncio.run(talk_without_reload(url, args.concurrency, seconds=15))
            served = rasa_rss_mib(stack)
            for n in range(args.reloads):
                tally, reload = asyncio.run(reload_under_load(stack, url, copies[n % 2], args.concurrency))
                print(
                    f"reload {n + 1}: sent {tally.sent}, answered {tally.answered}, failed {tally.failed}, "
                    f"lost {tally.lost}; slowest answer {tally.slowest_s:.1f} s; "
                    f"live on both workers in {reload.seconds:.1f} s "
                    f"(each worker loading {', '.join(f'{s:.1f}' for s in reload.loading_s)} s)",
                    flush=True,
                )
                for problem in tally.problems[:10]:
                    print(f"  {problem}")
            after = rasa_rss_mib(stack)
    print("Rasa workers' RSS at start: " + ", ".join(f"{m:.0f} MiB" for m in before))
    print(f"after the same talk without reloads ({args.reloads} x 15 s): " + ", ".join(f"{m:.0f} MiB" for m in served))
    print(f"after {args.reloads} reloads: " + ", ".join(f"{m:.0f} MiB" for m in after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
