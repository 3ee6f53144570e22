"""End to end: a worker asks for a person through the rest channel, a staff member
answers in a real browser, the worker receives it, the ticket is resolved and rated.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Callable, Dict, List

import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core import staff
from core.db import make_engine, make_session_factory
from core.models import Ticket
from tests.browser.conftest import screenshot
from tests.running import RunningStack

PASSWORD = "lz-staff-password"


def wait_for(check: Callable[[], Any], timeout_s: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def queued_replies(stack: RunningStack, sender: str) -> List[Dict[str, Any]]:
    response = requests.get(
        f"{stack.web}/api/conversations/{sender}/replies",
        headers={"Authorization": f"Bearer {stack.config.token}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def ensure_staff(stack: RunningStack, username: str, district: str) -> None:
    factory = make_session_factory(make_engine(stack.database_url))
    with factory.begin() as session:
        if not session.scalars(select(staff.StaffUser).where(staff.StaffUser.username == username)).first():
            staff.create_user(session, username, PASSWORD, "staff", district, "潞州小李")


def log_in(page: Page, stack: RunningStack, username: str) -> None:
    page.goto(f"{stack.web}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("工单")


def test_request_reply_resolve_and_rating_across_real_servers(stack: RunningStack, page: Page) -> None:
    worker = f"rider-{uuid.uuid4().hex[:6]}"
    assert "一句话" in stack.texts(worker, "转人工")
    handed = stack.texts(worker, "英雄中路的站点扣我押金300块不退 电话13812345678")
    assert "编号 CZ-" in handed
    number = handed[handed.index("CZ-") : handed.index("CZ-") + 16]

    ensure_staff(stack, "lz-e2e", "潞州区")
    log_in(page, stack, "lz-e2e")
    expect(page.locator("#queue")).to_contain_text(number)
    expect(page.locator("#queue")).to_contain_text("138****5678")
    screenshot(page, "console_queue")

    page.click(f"text={number}")
    expect(page.locator(".facts")).to_contain_text("13812345678")
    page.fill("#reply-text", "您好，我是潞州区工作人员，已联系站点，押金三天内退还。")
    page.click("#send-reply")
    expect(page.locator("#lines")).to_contain_text("押金三天内退还")
    screenshot(page, "console_ticket")

    reply = wait_for(
        lambda: [r for r in queued_replies(stack, worker) if "押金三天内退还" in r["text"]], what="the staff reply"
    )
    assert "工作人员" in reply[0]["text"] and len(reply) == 1
    wait_for(
        lambda: any(
            e.get("event") == "bot" and "押金三天内退还" in (e.get("text") or "")
            for e in stack.tracker(worker)["events"]
        ),
        what="the reply in the Rasa conversation",
    )
    page.reload()
    expect(page.locator(".delivery.sent")).to_have_count(1)

    page.click("#resolve")
    expect(page.locator("h1")).to_contain_text("已办结")
    rating = wait_for(
        lambda: [r for r in queued_replies(stack, worker) if r.get("buttons")], what="the rating question"
    )
    assert "办结" in rating[0]["text"] and len(rating[0]["buttons"]) == 5
    five = next(b["payload"] for b in rating[0]["buttons"] if b["title"].startswith("5"))
    wait_for(lambda: not stack.tracker(worker)["slots"].get("handoff"), what="the hand-off to end")
    assert "谢谢您的评价" in stack.texts(worker, five)
    factory = make_session_factory(make_engine(stack.database_url))
    with factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert (ticket.state, ticket.rating) == ("closed", 5)
    assert "暖新助手" in stack.texts(worker, "你好")


def test_new_tickets_appear_in_the_open_queue_without_reloading(stack: RunningStack, page: Page) -> None:
    ensure_staff(stack, "lz-e2e", "潞州区")
    log_in(page, stack, "lz-e2e")
    worker = f"rider-{uuid.uuid4().hex[:6]}"
    text = stack.texts(worker, "随手拍 英雄中路和西大街路口红绿灯不亮了 车很乱")
    number = text[text.index("CZ-") : text.index("CZ-") + 16]
    expect(page.locator("#queue tbody tr.fresh")).to_contain_text(number, timeout=15_000)
    expect(page.locator("#announce")).to_contain_text("新工单")
