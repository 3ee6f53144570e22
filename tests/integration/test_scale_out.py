"""Two Rasa workers and two action servers behind nginx, sharing PostgreSQL and Redis:
500 messages from 50 riders at once, several at a time from the same rider.

A rider sends in waves: the messages of a wave leave together (40 ms apart),
the next wave after the first is answered. Messages sent at the same moment
have no order between them to keep; waves do, and every message is answered
once, by its own reply, with nothing lost or doubled in the tracker store.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Dict, List, Tuple

import aiohttp
import sqlalchemy as sa

from tests.running import RunningStack

SENDERS, MESSAGES, WAVE = 50, 10, 2
STAGGER_S = 0.04
CYCLE = [
    ("你好", "暖新助手"),
    ("谢谢", "不客气"),
    ("你是机器人吗", "不是真人"),
    ("你能干什么", "我能帮您"),
    ("拜拜 我去送单了", "注意安全"),
]


async def rider(session: aiohttp.ClientSession, url: str, sender: str) -> List[Tuple[int, int, str]]:
    """The rider's messages in waves of `WAVE` sent at once."""

    async def one(n: int, delay: float) -> Tuple[int, int, str]:
        await asyncio.sleep(delay)
        text = CYCLE[n % len(CYCLE)][0]
        headers = {"X-Conversation-Id": sender}  # as the web app sends it: one rider, one worker
        async with session.post(url, json={"sender": sender, "message": text}, headers=headers) as response:
            body = await response.json()
            return n, response.status, "\n".join(m.get("text", "") for m in body)

    answers: List[Tuple[int, int, str]] = []
    for first in range(0, MESSAGES, WAVE):
        wave = range(first, min(first + WAVE, MESSAGES))
        answers += await asyncio.gather(*(one(n, i * STAGGER_S) for i, n in enumerate(wave)))
    return answers


async def crowd(url: str, senders: int = SENDERS, prefix: str = "crowd") -> Dict[str, List[Tuple[int, int, str]]]:
    names = [f"{prefix}-{uuid.uuid4().hex[:8]}" for _ in range(senders)]
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        results = await asyncio.gather(*(rider(session, url, s) for s in names))
    return dict(zip(names, results, strict=True))


def test_every_message_answered_once_in_order_with_nothing_lost_or_doubled(scaled: RunningStack) -> None:
    url = f"http://localhost:{scaled.config.public_port}/webhooks/rest/webhook"
    results = asyncio.run(crowd(url))
    for sender, answers in results.items():
        for n, status, text in answers:
            assert status == 200, (sender, n)
            assert CYCLE[n % len(CYCLE)][1] in text, (sender, n, text)

    engine = sa.create_engine(scaled.database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT sender_id, type_name, data FROM events WHERE sender_id LIKE 'crowd-%' ORDER BY id")
        ).all()
    engine.dispose()
    turns: Dict[str, List[Tuple[str, List[str]]]] = {s: [] for s in results}
    for sender, kind, data in rows:
        event = json.loads(data)
        if kind == "user":
            turns[sender].append((event["text"], []))
        elif kind == "bot" and turns[sender]:
            turns[sender][-1][1].append(event["text"])
    expected = {text: reply for text, reply in CYCLE}
    for sender, sender_turns in turns.items():
        texts = [text for text, _ in sender_turns]
        assert len(texts) == MESSAGES, (sender, texts)  # none lost, none doubled
        for first in range(0, MESSAGES, WAVE):  # waves in order; inside a wave, any order
            sent = sorted(CYCLE[n % len(CYCLE)][0] for n in range(first, min(first + WAVE, MESSAGES)))
            assert sorted(texts[first : first + WAVE]) == sent, (sender, texts)
        for text, bot_lines in sender_turns:  # each message's own answer comes before the next message
            assert any(expected[text] in line for line in bot_lines), (sender, text, bot_lines)


def cpu_seconds(group: int) -> float:
    """CPU time used so far by the processes of a process group (/proc/<pid>/stat: utime + stime)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def test_both_workers_took_part(scaled: RunningStack) -> None:
    """Each Rasa worker answers its share of the riders: measured by the CPU time each process
    spends while a crowd talks (a worker that nginx never sends to stays idle), not by its log."""
    assert scaled.config.rasa_workers == 2
    workers = [scaled.stack.service(name) for name in ("rasa", "rasa-2")]
    before = [cpu_seconds(w.started.pid) for w in workers]
    url = f"http://localhost:{scaled.config.public_port}/webhooks/rest/webhook"
    results = asyncio.run(crowd(url, senders=20, prefix="share"))
    used = [cpu_seconds(w.started.pid) - b for w, b in zip(workers, before, strict=True)]
    for sender, answers in results.items():
        for n, status, text in answers:
            assert status == 200 and CYCLE[n % len(CYCLE)][1] in text, (sender, n, text)
    assert min(used) >= 0.2 * sum(used), f"CPU seconds per worker while 20 riders talked: {used}"
