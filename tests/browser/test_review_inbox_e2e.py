"""End to end in Chromium: a rider's question no FAQ entry clearly fits appears in the review inbox,
an admin adds it to an entry as a variant with one click, and the same question now gets that answer;
a 👎 under an answer shows in the inbox with the answer that was rated."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from core import staff
from core.db import make_engine, make_session_factory
from core.models import FaqEntry, StaffUser
from tests.browser.conftest import screenshot
from tests.browser.test_webchat import phone, say
from tests.running import RunningStack

PASSWORD = "inbox-admin-password"
QUESTION = "驿站的微波炉能随便用吗"


def admin_page(stack: RunningStack, page: Page) -> None:
    """An admin account of its own, logged in."""
    username = f"inbox-{uuid.uuid4().hex[:6]}"
    factory = make_session_factory(make_engine(stack.database_url))
    with factory.begin() as session:
        staff.create_user(session, username, PASSWORD, "admin", None, "内容管理员")
        for user in session.scalars(select(StaffUser).where(StaffUser.username == username)):
            if hasattr(user, "must_change_password"):
                user.must_change_password = False  # an account made here, not handed to a person
    page.goto(f"{stack.web}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def first_entry(stack: RunningStack) -> FaqEntry:
    factory = make_session_factory(make_engine(stack.database_url))
    with factory() as session:
        return session.scalars(select(FaqEntry).order_by(FaqEntry.id)).first()


def test_a_misunderstood_question_becomes_a_variant_and_is_then_answered(
    stack: RunningStack, browser: Browser, page: Page
) -> None:
    rider = phone(browser)
    rider.goto(stack.web)
    say(rider, QUESTION)
    expect(rider.locator(".row.bot .bubble").last).to_contain_text("您是想问下面哪个问题")

    admin_page(stack, page)
    page.click("text=未识别问题")
    row = page.locator("#inbox tbody tr", has_text=QUESTION)
    expect(row).to_contain_text("反问确认")
    screenshot(page, "review-inbox")
    entry = first_entry(stack)
    row.locator("select[name=faq_id]").select_option(str(entry.id))
    row.locator("text=加为问法（立即生效）").click()
    expect(page.locator("#inbox tbody tr", has_text=QUESTION)).to_have_count(0)

    say(rider, QUESTION)
    expect(rider.locator(".row.bot .bubble").last).to_contain_text(entry.question)
    rider.context.close()


def test_a_thumbs_down_in_the_web_chat_shows_in_the_inbox_with_the_rated_answer(
    stack: RunningStack, browser: Browser, page: Page
) -> None:
    rider = phone(browser)
    rider.goto(stack.web)
    say(rider, "暖新驿站收费吗")
    expect(rider.locator(".row.bot .bubble").last).to_contain_text("免费")
    rider.locator(".rating button[aria-label=没帮助]").last.click()
    expect(rider.locator(".rating span").last).to_have_text("谢谢反馈，我们会改进这个回答。")
    screenshot(rider, "webchat-rating")
    rider.context.close()

    admin_page(stack, page)
    page.goto(f"{stack.web}/console/admin/inbox?reason=thumbs_down")
    row = page.locator("#inbox tbody tr", has_text="暖新驿站收费吗")
    expect(row).to_contain_text("骑手点了👎")
    expect(row.locator(".rated-answer").first).to_contain_text("免费")  # the newest 👎 first
