"""The staff console for a working day, in Chromium against the real servers (issue 14, point 9).

Two staff members in two browsers see each other's replies live; a rider's message
appears on the open ticket page and raises the queue's unread count; search finds a
ticket by the last four digits of a phone; a message after 办结 reopens the ticket;
what the rider asked the assistant after the hand-over shows on the ticket page; and
with JavaScript off every form still works. Screenshots go to tests/output/.
"""

from __future__ import annotations

import re
import uuid
from typing import Iterator, Tuple

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_escalation_e2e import ensure_staff, log_in, wait_for
from tests.running import RunningStack

LIVE_S = 15_000  # ms: a poll of the live feed is a second; the stack may be busy


def browser_page(browser: Browser, **options) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800}, **options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def colleague(browser: Browser) -> Iterator[Page]:
    """A second staff member's browser."""
    yield from browser_page(browser)


def handed_over(stack: RunningStack, story: str) -> Tuple[str, str]:
    """A new rider hands a matter to staff; returns the rider and the ticket number."""
    rider = f"rider-{uuid.uuid4().hex[:6]}"
    stack.texts(rider, "转人工")
    answer = stack.texts(rider, story)
    number = re.search(r"CZ-\d{8}-\d{4}", answer)
    assert number, answer
    return rider, number.group(0)  # the story names a street of 潞州区: the ticket is in lz's queue


def open_ticket(page: Page, stack: RunningStack, number: str) -> None:
    page.goto(f"{stack.web}/console/?q={number}")
    page.click(f"#queue >> text={number}")
    expect(page.locator("#ticket-heading")).to_contain_text(number)
    page.evaluate("window.notReloaded = true")  # gone if the page reloads


def still_the_same_page(page: Page) -> bool:
    return page.evaluate("window.notReloaded === true")


def test_two_staff_members_see_each_others_replies_live_without_reloading(
    stack: RunningStack, page: Page, colleague: Page
) -> None:
    _, number = handed_over(stack, "英雄中路的站点说我超时扣了我五十块 我不认 手机13700001111")
    ensure_staff(stack, "lz-e2e", "潞州区")
    ensure_staff(stack, "lz-e2e-2", "潞州区")
    log_in(page, stack, "lz-e2e")
    log_in(colleague, stack, "lz-e2e-2")
    open_ticket(page, stack, number)
    open_ticket(colleague, stack, number)

    page.click("#claim")
    expect(colleague.locator("#ticket-heading")).to_contain_text("已认领", timeout=LIVE_S)
    page.fill("#reply-text", "您好，扣款的申诉我们已转给站点，请保留订单截图。")
    page.press("#reply-text", "Control+Enter")
    expect(colleague.locator("#lines")).to_contain_text("请保留订单截图", timeout=LIVE_S)
    expect(colleague.locator("#ticket-heading")).to_contain_text("已答复", timeout=LIVE_S)
    expect(page.locator("#reply-text")).to_have_value("")
    colleague.fill("#note-text", "已电话联系站长，明天回复")
    colleague.press("#note-text", "Control+Enter")
    expect(page.locator("#lines")).to_contain_text("已电话联系站长", timeout=LIVE_S)
    colleague.fill("#reply-text", "补充：站长明天给您回电。")
    colleague.click("#send-reply")
    expect(page.locator("#lines")).to_contain_text("站长明天给您回电", timeout=LIVE_S)
    expect(page.locator("#lines .line.staff")).to_have_count(2)
    assert still_the_same_page(page) and still_the_same_page(colleague)
    screenshot(page, "console_live_two_staff")


def test_a_riders_message_shows_on_the_open_ticket_and_raises_the_queues_unread_count(
    stack: RunningStack, page: Page, colleague: Page
) -> None:
    rider, number = handed_over(stack, "英雄中路站点押金三百块一直不退 已经一个月了")
    ensure_staff(stack, "lz-e2e", "潞州区")
    ensure_staff(stack, "lz-e2e-2", "潞州区")
    log_in(page, stack, "lz-e2e")
    open_ticket(page, stack, number)  # seen: nothing unread in this ticket now
    log_in(colleague, stack, "lz-e2e-2")
    counter = colleague.locator("#unread-count strong")
    before = int(counter.inner_text())
    page.close()  # nobody has the ticket open while the rider writes

    stack.say(rider, "站长今天说下个月才能退")
    expect(counter).to_have_text(str(before + 1), timeout=LIVE_S)
    assert colleague.title().startswith(f"({before + 1}) ")
    row = colleague.locator("#queue tbody tr", has_text=number)
    expect(row.locator(".unread-badge")).to_have_text("未读", timeout=LIVE_S)
    screenshot(colleague, "console_queue_unread")

    reader = colleague.context.new_page()
    open_ticket(reader, stack, number)
    expect(reader.locator("#lines")).to_contain_text("站长今天说下个月才能退")
    expect(counter).to_have_text(str(before), timeout=LIVE_S)  # opened: no longer unread
    stack.say(rider, "我的订单号是 2026113012345")
    expect(reader.locator("#lines .line.worker").last).to_contain_text("2026113012345", timeout=LIVE_S)
    assert still_the_same_page(reader)
    screenshot(reader, "console_ticket_live_message")


def test_search_finds_a_ticket_by_the_last_four_digits_of_a_phone(stack: RunningStack, page: Page) -> None:
    tail = f"{uuid.uuid4().int % 10_000:04d}"
    _, number = handed_over(stack, f"西大街小区保安扣了我的车不给推出来 我电话1390000{tail}")
    ensure_staff(stack, "lz-e2e", "潞州区")
    log_in(page, stack, "lz-e2e")
    page.fill("input[type=search]", tail)
    page.press("input[type=search]", "Enter")
    rows = page.locator("#queue tbody tr", has_text=number)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(f"139****{tail}")
    assert f"1390000{tail}" not in page.locator("#queue").inner_text()  # found without unmasking
    screenshot(page, "console_search_phone")


def test_a_message_after_resolving_reopens_the_ticket_on_the_open_page(stack: RunningStack, page: Page) -> None:
    rider, number = handed_over(stack, "押金三百块一直不退 站点在英雄中路")
    ensure_staff(stack, "lz-e2e", "潞州区")
    log_in(page, stack, "lz-e2e")
    open_ticket(page, stack, number)
    page.fill("#reply-text", "已协调站点，押金三天内退还。")
    page.click("#send-reply")
    expect(page.locator("#lines")).to_contain_text("三天内退还", timeout=LIVE_S)
    page.click("#resolve")
    expect(page.locator("#ticket-heading")).to_contain_text("已办结", timeout=LIVE_S)
    expect(page.locator("#reply-form")).to_be_hidden()
    wait_for(lambda: not stack.tracker(rider)["slots"].get("handoff"), what="the hand-off to end")

    told = stack.texts(rider, "押金什么时候到账")
    assert number in told and "重新" in told, told
    expect(page.locator("#lines")).to_contain_text("押金什么时候到账", timeout=LIVE_S)
    expect(page.locator("#ticket-heading")).to_contain_text("待受理", timeout=LIVE_S)
    expect(page.locator("#ticket-facts")).to_contain_text("重新打开")
    expect(page.locator("#reply-form")).to_be_visible()
    assert still_the_same_page(page)
    screenshot(page, "console_reopened")


def test_what_the_rider_asked_the_assistant_after_the_hand_over_is_on_the_ticket(
    stack: RunningStack, page: Page
) -> None:
    rider, number = handed_over(stack, "英雄中路站点说我刷单封了我的号 我没有")
    assert stack.texts(rider, "退出")
    asked = stack.texts(rider, "附近有暖新驿站吗")
    assert asked
    ensure_staff(stack, "lz-e2e", "潞州区")
    log_in(page, stack, "lz-e2e")
    open_ticket(page, stack, number)
    after = page.locator("#after-handoff")
    expect(after).to_contain_text("附近有暖新驿站吗")
    expect(after.locator(".line.bot").first).to_be_visible()
    screenshot(page, "console_after_handoff")


def test_every_form_still_works_with_javascript_off(stack: RunningStack, browser: Browser) -> None:
    _, number = handed_over(stack, "英雄中路的站点拖欠工资两个月 一共四千多")
    ensure_staff(stack, "lz-e2e", "潞州区")
    for page in browser_page(browser, java_script_enabled=False):
        log_in(page, stack, "lz-e2e")
        page.goto(f"{stack.web}/console/?q={number}")
        page.click(f"#queue >> text={number}")
        expect(page.locator("#shortcuts")).to_be_visible()
        page.click("#claim")
        expect(page.locator("#ticket-heading")).to_contain_text("已认领")
        page.fill("#reply-text", "工资的事已登记，明天联系您。")
        page.click("#send-reply")
        expect(page.locator("#lines")).to_contain_text("明天联系您")
        page.click("#resolve")
        expect(page.locator("#ticket-heading")).to_contain_text("已办结")
        expect(page.locator("#reply-form")).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 375])
def test_the_metrics_charts_are_legible_at_1280_px_and_on_a_phone(stack: RunningStack, browser: Browser, width) -> None:
    handed_over(stack, "英雄中路的站点欠我两个月工资")  # at least one ticket to chart
    ensure_staff(stack, "lz-e2e", "潞州区")
    for page in browser_page(browser):
        page.set_viewport_size({"width": width, "height": 800})
        log_in(page, stack, "lz-e2e")
        page.goto(f"{stack.web}/console/metrics")
        expect(page.locator("ol.bars li").first).to_be_visible()
        smallest = page.evaluate(
            """() => Math.min(
                ...[...document.querySelectorAll('.bar-label, .bar-value')]
                    .map(e => parseFloat(getComputedStyle(e).fontSize)),
                ...[...document.querySelectorAll('svg.daily text')].map(t => t.getBoundingClientRect().height))"""
        )
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        screenshot(page, f"console_metrics_{width}px")
        assert smallest >= 11, f"the smallest chart text is {smallest:.1f} px at {width} px"
        assert overflow <= 1, f"the page is {overflow} px wider than a {width} px screen"
