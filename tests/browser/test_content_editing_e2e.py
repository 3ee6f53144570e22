"""End to end in Chromium against the real servers: an admin edits an FAQ answer in the console's
form, a rider asking the question gets the new answer at once, 试一试 shows the live model's intent
and the entry that answers, the version diff shows before and after, and one click reverts it.
Screenshots: tests/output/content_faq_edit.png and content_version_diff.png."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.models import FaqEntry
from tests.browser.conftest import screenshot
from tests.browser.test_review_inbox_e2e import admin_page
from tests.running import RunningStack

QUESTION = "暖新驿站收费吗"


def stored_answer(stack: RunningStack, question: str) -> FaqEntry:
    factory = make_session_factory(make_engine(stack.database_url))
    with factory() as session:
        return session.scalars(select(FaqEntry).where(FaqEntry.question == question)).one()


def test_an_faq_answer_edited_in_the_form_is_live_shown_as_a_diff_and_reverted(stack: RunningStack, page: Page) -> None:
    entry = stored_answer(stack, QUESTION)
    old_answer = entry.answer
    new_answer = f"暖新驿站对骑手一律免费，喝水、充电、歇脚都不收钱。（{uuid.uuid4().hex[:4]}）"
    admin_page(stack, page)

    page.click("nav.top >> text=内容编辑")
    expect(page.locator("h1")).to_contain_text("内容编辑")
    page.click(".content-kinds >> text=常见问题")
    page.fill("input[name=q]", "收费")
    page.click("form.filters button")
    page.click(f"#row-{entry.id} >> text=编辑")
    expect(page.locator("#in-answer")).to_have_value(old_answer)
    page.fill("#in-answer", new_answer)
    page.fill("#in-owner", "市总工会 李老师")
    page.click("button.save")
    expect(page.locator(".saved")).to_contain_text("已保存")
    assert stored_answer(stack, QUESTION).answer == new_answer
    assert new_answer in stack.texts(f"rider-{uuid.uuid4().hex[:6]}", QUESTION)  # the next rider's answer

    page.fill(".try-box input[name=q]", QUESTION)
    page.click(".try-box button")
    result = page.locator(".try-result")
    expect(result.locator(".intent")).to_have_text("faq")
    expect(result.locator(".confidence")).to_contain_text("%")
    expect(result.locator(".answer-text")).to_have_text(new_answer)
    expect(result.locator(".same-entry")).to_contain_text("正是这一条")
    screenshot(page, "content_faq_edit")

    page.click(".row-history .revisions a >> nth=0")  # the newest change: this edit
    diff = page.locator("table.diff")
    expect(diff.locator("tr", has_text="答案").locator("del")).to_have_text(old_answer)
    expect(diff.locator("tr", has_text="答案").locator("ins")).to_have_text(new_answer)
    expect(diff.locator("tr", has_text="负责人").locator("ins")).to_have_text("市总工会 李老师")
    screenshot(page, "content_version_diff")

    page.click("text=撤销这次修改")
    expect(page.locator(".revision-meta")).to_contain_text("撤销了")
    expect(page.locator("table.diff tr", has_text="答案").locator("ins")).to_have_text(old_answer)
    assert stored_answer(stack, QUESTION).answer == old_answer
    assert old_answer.splitlines()[0] in stack.texts(f"rider-{uuid.uuid4().hex[:6]}", QUESTION)


def test_a_station_form_refuses_a_coordinate_beside_it_and_shows_the_hours_as_days_and_times(
    stack: RunningStack, page: Page
) -> None:
    admin_page(stack, page)
    page.goto(f"{stack.web}/console/admin/edit/places?subkind=暖新驿站")
    page.locator("#rows tbody tr a").first.click()
    hours = page.locator("#field-hours")
    expect(hours.locator("input[type=checkbox][name=hours_always]")).to_be_visible()
    expect(hours.locator("input[type=time]").first).to_be_visible()
    expect(page.locator("#field-amenities")).to_contain_text("手机充电")
    lat_before = page.locator("#in-lat").input_value()
    page.fill("#in-lat", "113.1")
    page.click("button.save")
    expect(page.locator("#field-coordinates .field-error")).to_contain_text("113.100000 不在 35.5 到 37.3 之间")
    expect(page.locator("#in-lat")).to_have_value("113.1")
    screenshot(page, "content_place_refused")
    page.goto(page.url)  # the row as stored: nothing was written
    expect(page.locator("#in-lat")).to_have_value(lat_before)
