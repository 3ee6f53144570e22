"""Faults under load: the action server killed, PostgreSQL restarted, Rasa killed while an
escalation is written. Workers get a polite answer, the service recovers by itself,
and nothing that was answered or written is lost."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import redis
import requests
import sqlalchemy as sa

from bench.common import postgres_schema
from tests.running import RunningStack, staff_reply, start_scaled_stack

TRY_AGAIN = "系统有点忙"


class Load:
    """Riders talking in background threads; every answer is kept, with when it came."""

    def __init__(self, url: str, messages: List[str], riders: int = 4) -> None:
        self.url, self.messages, self.riders = url, messages, riders
        self.answers: List[Tuple[float, str, str, int, str]] = []  # time, sender, text, status, reply
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._ride, daemon=True) for _ in range(riders)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _ride(self) -> None:
        sender = f"fault-{uuid.uuid4().hex[:8]}"
        n = 0
        while not self._stop.is_set():
            text = self.messages[n % len(self.messages)]
            n += 1
            try:
                response = requests.post(self.url, json={"sender": sender, "message": text}, timeout=120)
                reply = "\n".join(m.get("text", "") for m in response.json()) if response.status_code == 200 else ""
                status = response.status_code
            except (requests.RequestException, ValueError) as error:
                status, reply = 0, str(error)
            self.answers.append((time.monotonic(), sender, text, status, reply))

    def since(self, moment: float) -> List[Tuple[float, str, str, int, str]]:
        return [a for a in self.answers if a[0] >= moment]


def test_killing_the_action_server_brings_polite_replies_then_recovery(stack: RunningStack) -> None:
    url = f"{stack.rasa}/webhooks/rest/webhook"
    with Load(url, ["站点老板欠工资不给咋办", "驿站收费吗"]) as load:
        time.sleep(2)
        stack.stack.kill("actions")
        killed = time.monotonic()
        time.sleep(3)
        stack.stack.revive("actions")
        back = time.monotonic()
        time.sleep(3)
    during = [a for a in load.answers if killed + 0.5 < a[0] < back]
    after = load.since(back + 1)
    assert all(a[3] == 200 and a[4] for a in load.answers), "every message got an answer"
    assert during and any(TRY_AGAIN in a[4] for a in during), "a polite try-again while it was down"
    assert after and all(TRY_AGAIN not in a[4] for a in after), "answers as usual once it is back"
    assert any("讨要工资" in a[4] for a in after) and any("免费" in a[4] for a in after)


DESCRIPTION = "站点扣了我五百块押金 一直不退"


def _unread_request_to(port: int) -> bool:
    """A connection to `port` holds bytes its server has not read yet (/proc/net/tcp: rx_queue)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and int(fields[4].split(":")[1], 16) > 0:
                return True
    return False


def _tickets_of(engine: sa.engine.Engine, who: str) -> List[Tuple[int, str, str, bool]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text("SELECT id, number, state, handoff_active FROM tickets WHERE sender_id = :s"), {"s": who}
            )
        ]


@pytest.mark.parametrize("moment", ["before the commit", "after the commit"])
def test_rasa_killed_while_an_escalation_is_written_leaves_one_ticket_that_rider_and_staff_see(
    stack: RunningStack, moment: str
) -> None:
    """Rasa dies with the action that writes the ticket in flight: before it committed, or
    after it committed and before Rasa read its answer (Rasa's tracker never learns of the
    ticket). The rider, who got no answer, sends again. In the end there is one ticket, the
    rider is told its number, staff see the message, and their answer reaches the rider."""
    who = f"esc-{uuid.uuid4().hex[:8]}"
    stack.say(who, "转人工")
    engine = sa.create_engine(stack.database_url)
    actions, rasa = stack.stack.service("actions"), stack.stack.service("rasa")
    os.killpg(actions.process.pid, signal.SIGSTOP)  # the action that writes the ticket will wait
    try:
        sent = threading.Thread(target=lambda: _quietly(stack, who, DESCRIPTION), daemon=True)
        sent.start()
        deadline = time.monotonic() + 30
        while not _unread_request_to(stack.config.actions_port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _unread_request_to(stack.config.actions_port), "Rasa never called the action server"
        if moment == "after the commit":
            for _ in range(10):  # one action call at a time, until the one that writes the ticket
                os.killpg(rasa.process.pid, signal.SIGSTOP)  # Rasa waits, frozen, for the action's answer
                os.killpg(actions.process.pid, signal.SIGCONT)
                answered = time.monotonic() + 3
                while not _tickets_of(engine, who) and time.monotonic() < answered:
                    time.sleep(0.05)
                if _tickets_of(engine, who):
                    break
                os.killpg(actions.process.pid, signal.SIGSTOP)  # not that one: let Rasa make its next call
                os.killpg(rasa.process.pid, signal.SIGCONT)
                deadline = time.monotonic() + 30
                while not _unread_request_to(stack.config.actions_port) and time.monotonic() < deadline:
                    time.sleep(0.05)
            assert len(_tickets_of(engine, who)) == 1, "the action did not write the ticket"
        else:
            assert _tickets_of(engine, who) == [], "killed too late"
        stack.stack.kill("rasa")  # it never reads the action's answer
    finally:
        os.killpg(actions.process.pid, signal.SIGCONT)
    sent.join(timeout=30)
    stack.stack.revive("rasa")
    time.sleep(1)  # an orphaned action, if it goes on, has finished

    again = stack.texts(who, DESCRIPTION)  # no answer came: the rider sends it again
    rows = _tickets_of(engine, who)
    assert len(rows) == 1, rows
    ticket_id, number, state, handoff_active = rows[0]
    assert number in again, again
    assert state == "new" and handoff_active
    with engine.connect() as connection:
        texts = (
            connection.execute(
                sa.text("SELECT text FROM ticket_messages WHERE ticket_id = :t AND author = 'worker'"), {"t": ticket_id}
            )
            .scalars()
            .all()
        )
    assert DESCRIPTION in texts  # what staff read on the ticket page
    engine.dispose()

    staff_reply(stack, who, "押金的事我们已联系站点", "fault-reply")
    replies: List[str] = []
    deadline = time.monotonic() + 30
    while not replies and time.monotonic() < deadline:
        response = requests.get(
            f"{stack.web}/api/conversations/{who}/replies",
            headers={"Authorization": f"Bearer {stack.config.token}"}, timeout=10,
        )  # fmt: skip
        replies = [r.get("text", "") for r in response.json()]
        time.sleep(0.3)
    assert replies == ["【工作人员 测试员】押金的事我们已联系站点"]
    assert number in stack.texts(who, "取消") + stack.texts(who, "查一下进度")


def _quietly(stack: RunningStack, who: str, text: str) -> None:
    with contextlib.suppress(requests.RequestException):  # Rasa is killed mid-answer: that is the point
        stack.say(who, text)


REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture(scope="module")
def on_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    redis.Redis.from_url(REDIS_URL).flushdb()
    with postgres_schema() as url:
        yield from start_scaled_stack(tmp_path_factory, url, REDIS_URL, workers=1)


def restart_postgres() -> None:
    cluster = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True)


def test_a_postgres_restart_loses_no_answered_message(on_postgres: RunningStack) -> None:
    url = f"http://localhost:{on_postgres.config.public_port}/webhooks/rest/webhook"
    messages = ["你好", "谢谢", "你是机器人吗", "驿站收费吗"]
    with Load(url, messages) as load:
        time.sleep(2)
        restart_postgres()
        restarted = time.monotonic()
        time.sleep(6)
    assert all(a[3] == 200 and a[4] for a in load.answers), "every message got an answer"
    after = load.since(restarted + 3)
    assert after and all(TRY_AGAIN not in a[4] for a in after), "reconnected by itself"
    answered: Dict[str, Counter] = {}
    for _, sender, text, _, reply in load.answers:
        if TRY_AGAIN not in reply:
            answered.setdefault(sender, Counter())[text] += 1
    engine = sa.create_engine(on_postgres.database_url, pool_pre_ping=True)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id LIKE 'fault-%'")
        ).all()
    engine.dispose()
    stored: Dict[str, Counter] = {}
    for sender, data in rows:
        stored.setdefault(sender, Counter())[json.loads(data)["text"]] += 1
    for sender, counts in answered.items():
        for text, count in counts.items():
            assert stored.get(sender, Counter())[text] >= count, (sender, text, "answered but not stored")
