"""Delivery of staff replies: exactly once, retried with backoff, and nothing lost when a
process dies between the write and the send.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import timedelta
from typing import Any, Dict, List, Tuple

import pytest
from sqlalchemy import func, select

from bot.channels.outgoing import SendError
from bot.delivery.recorder import RecordingError
from bot.delivery.render import Renderer
from bot.delivery.worker import DeliveryWorker
from core import outbox, staff, tickets
from core.clock import Clock
from core.db import make_engine, make_session_factory
from core.models import OutboxMessage, QueuedReply, StaffUser, Ticket
from core.services import Services
from core.settings import PROJECT_ROOT, Settings
from core.workers import WorkerRef
from tests.conftest import FIXED_TODAY, FIXED_UTC
from tests.running import RunningStack


class FakeRecorder:
    """Stands in for Rasa's HTTP API; can be told to be down."""

    def __init__(self) -> None:
        self.recorded: List[Tuple[str, str]] = []
        self.down = False

    async def record(self, conversation_id: str, message: Dict[str, Any], payload: Dict[str, Any]) -> None:
        if self.down:
            raise RecordingError("connection refused")
        self.recorded.append((conversation_id, message["text"]))


class FlakySender:
    """A channel that refuses the first `failures` messages."""

    def __init__(self, failures: int, retryable: bool = True) -> None:
        self.failures, self.retryable, self.sent = failures, retryable, []

    async def send(self, recipient: str, message: Dict[str, Any]) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise SendError("429 too many requests", self.retryable)
        self.sent.append((recipient, message["text"]))


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def reply_to(services: Services, channel: str, sender: str, text: str) -> int:
    def write(session: Any) -> int:
        agent = session.scalars(select(StaffUser).where(StaffUser.username == "dlv")).first()
        agent = agent or staff.create_user(session, "dlv", "delivery-test-pw", "admin", None)
        request = tickets.NewRequest(WorkerRef(channel, sender), "request_human", "押金不退", "潞州区")
        ticket = tickets.open_ticket(session, request, FIXED_UTC, FIXED_TODAY, tickets.deadline_rules.parse())
        tickets.reply(session, ticket, agent, text, FIXED_UTC, f"key-{sender}")
        return ticket.id

    return services.transaction(write)


def at(services: Services, delta: timedelta) -> None:
    services.clock = Clock(services.clock.zone, FIXED_UTC + delta)


def queued(services: Services, sender: str) -> List[str]:
    with services.session_factory() as session:
        rows = session.scalars(select(QueuedReply).where(QueuedReply.recipient == sender)).all()
        return [json.loads(r.payload)["text"] for r in rows]


async def test_a_web_chat_reply_is_queued_exactly_once_and_recorded(sqlite_services, renderer) -> None:
    reply_to(sqlite_services, "rest", "once", "三天内退还")
    recorder = FakeRecorder()
    worker = DeliveryWorker(sqlite_services, {}, recorder, renderer)
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 0
    assert queued(sqlite_services, "once") == ["【工作人员 dlv】三天内退还"]
    assert await worker.record_sent() == 1
    assert recorder.recorded == [("once", "【工作人员 dlv】三天内退还")]
    assert await worker.record_sent() == 0


async def test_a_worker_that_died_after_claiming_leaves_the_row_to_the_next(sqlite_services, renderer) -> None:
    reply_to(sqlite_services, "rest", "died", "已处理")
    dead = sqlite_services.transaction(lambda s: outbox.claim_due(s, sqlite_services.clock.utc()))
    assert len(dead) == 1  # claimed, then the process was killed before sending
    worker = DeliveryWorker(sqlite_services, {}, FakeRecorder(), renderer)
    assert await worker.deliver_due() == 0  # the lease still holds
    at(sqlite_services, outbox.LEASE + timedelta(seconds=1))
    assert await worker.deliver_due() == 1
    assert queued(sqlite_services, "died") == ["【工作人员 dlv】已处理"]


async def test_refusals_are_retried_with_growing_waits_then_marked_failed(sqlite_services, renderer) -> None:
    ticket_id = reply_to(sqlite_services, "telegram", "tg-1", "请稍等")
    sender = FlakySender(failures=outbox.MAX_ATTEMPTS)
    worker = DeliveryWorker(sqlite_services, {"telegram": sender}, FakeRecorder(), renderer)
    waits = []
    for attempt in range(outbox.MAX_ATTEMPTS):
        assert await worker.deliver_due() == 1, attempt
        with sqlite_services.session_factory() as session:
            row = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id)).one()
        waits.append((row.next_attempt_at - sqlite_services.clock.utc()).total_seconds())
        at(sqlite_services, row.next_attempt_at - FIXED_UTC)
    assert row.state == "failed" and "429" in row.last_error
    assert waits[1] > waits[0] and waits[4] > waits[1]
    sqlite_services.transaction(lambda s: outbox.retry_now(s, row.id, sqlite_services.clock.utc()))
    assert await worker.deliver_due() == 1
    assert sender.sent == [("tg-1", "【工作人员 dlv】请稍等")]


def test_rendering_does_not_change_the_template(renderer) -> None:
    first = renderer.render({"kind": "staff_reply", "staff": "甲", "text": "一"})
    second = renderer.render({"kind": "staff_reply", "staff": "乙", "text": "二"})
    assert (first["text"], second["text"]) == ("【工作人员 甲】一", "【工作人员 乙】二")


async def test_a_channel_without_a_sender_fails_visibly(sqlite_services, renderer) -> None:
    ticket_id = reply_to(sqlite_services, "wechat", "wx-1", "你好")
    await DeliveryWorker(sqlite_services, {}, FakeRecorder(), renderer).deliver_due()
    with sqlite_services.session_factory() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id)).one()
        assert row.state == "failed" and "no sender" in row.last_error


async def test_rasa_being_down_delays_the_record_but_loses_nothing(sqlite_services, renderer) -> None:
    reply_to(sqlite_services, "rest", "rasa-down", "好的")
    recorder = FakeRecorder()
    recorder.down = True
    worker = DeliveryWorker(sqlite_services, {}, recorder, renderer)
    await worker.deliver_due()
    assert await worker.record_sent() == 0
    recorder.down = False
    assert await worker.record_sent() == 1


def delivery_process(stack: RunningStack) -> subprocess.Popen:
    env = {**stack.config.environment()}
    return subprocess.Popen(
        [str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-m", "bot.delivery"], cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def test_killing_the_delivery_process_loses_nothing_and_sends_nothing_twice(stack: RunningStack) -> None:
    stack.stack.hold("delivery")  # down, and kept down by the supervisor until revived
    services = Services.from_settings(
        Settings.from_env({"DATABASE_URL": stack.database_url, "NUANXIN_SECRET_KEY": "x"})
    )
    reply_to(services, "rest", "killed", "重启后也送到")
    time.sleep(2)
    assert queued(services, "killed") == []  # written, not yet sent: nobody is delivering
    first, second = delivery_process(stack), delivery_process(stack)  # two at once, as after a hasty restart
    try:
        deadline = time.monotonic() + 30
        while not queued(services, "killed") and time.monotonic() < deadline:
            time.sleep(0.3)
        time.sleep(2)
        assert queued(services, "killed") == ["【工作人员 dlv】重启后也送到"]
    finally:
        for process in (first, second):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        stack.stack.revive("delivery")  # the stack's own worker, back for the other tests
    factory = make_session_factory(make_engine(stack.database_url))
    with factory() as session:
        sent = session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent"))
        assert sent >= 1
        assert session.scalars(select(Ticket).where(Ticket.sender_id == "killed")).one()
    services.close()
