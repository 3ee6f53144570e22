"""The web chat in a real Chromium at phone width: a conversation, a shared location,
a photo report, a staff reply arriving live, and the conversation kept across a reload."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.models import Attachment, Ticket
from tests.browser.conftest import screenshot
from tests.fakes.telegram_api import JPEG
from tests.running import RunningStack, staff_reply

PHONE = {"width": 375, "height": 740}


def phone(browser: Browser, **options) -> Page:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, **options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def say(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("#send")


def conversation_id(page: Page) -> str:
    cookie = next(c for c in page.context.cookies() if c["name"] == "nx_chat")
    return cookie["value"].rsplit(".", 1)[0]


def test_conversation_with_buttons_and_a_shared_location(stack: RunningStack, browser: Browser) -> None:
    page = phone(browser, geolocation={"latitude": 36.1955, "longitude": 113.1160}, permissions=["geolocation"])
    page.goto(stack.web)
    say(page, "你好")
    expect(page.locator(".row.bot .bubble").first).to_contain_text("暖新助手")
    page.click(".buttons button:has-text('附近驿站')")
    expect(page.locator(".row.bot .bubble").last).to_contain_text("您现在在哪儿")
    page.click("#more")
    page.click("#share-location")
    expect(page.locator(".row.bot .bubble").filter(has_text="您附近")).to_have_count(1)
    expect(page.locator(".row.bot .bubble").filter(has_text="示例数据")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing wider than a phone
    screenshot(page, "webchat_stations")
    page.context.close()


def test_photo_report_then_a_staff_reply_arrives_live_and_survives_a_reload(
    stack: RunningStack, browser: Browser, tmp_path: Path
) -> None:
    page = phone(browser)
    page.goto(stack.web)
    photo = tmp_path / "lamp.jpg"
    photo.write_bytes(JPEG)
    page.click("#more")
    page.set_input_files("#photo", str(photo))
    expect(page.locator(".row.me img")).to_have_count(1)
    expect(page.locator(".row.bot .bubble").last).to_contain_text("看到了什么问题")
    say(page, "路灯坏了 晚上特别黑")
    expect(page.locator(".row.bot .bubble").last).to_contain_text("在哪儿")
    say(page, "英雄中路和东大街路口")
    expect(page.locator(".row.bot .bubble").last).to_contain_text("编号 CZ-")
    me = conversation_id(page)
    factory = make_session_factory(make_engine(stack.database_url))
    with factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == me)).one()
        assert session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one().data == JPEG
        assert ticket.category == "report_issue" and "路灯" in ticket.description
    staff_reply(stack, me, "已通知路灯管理所，今晚修好。", f"web-{me}")
    staff = page.locator(".row.staff .bubble")
    expect(staff).to_contain_text("今晚修好", timeout=20_000)
    screenshot(page, "webchat_staff_reply")

    page.reload()
    expect(page.locator(".row.me .bubble").filter(has_text="路灯坏了")).to_have_count(1)
    expect(page.locator(".row.staff .bubble").filter(has_text="今晚修好")).to_have_count(1)
    page.wait_for_timeout(2500)  # the live stream resumes after the last reply: no duplicate
    expect(page.locator(".row.staff .bubble").filter(has_text="今晚修好")).to_have_count(1)

    stranger = phone(browser)
    stranger.goto(stack.web)
    expect(stranger.locator(".notice")).to_contain_text("您好，我是暖新助手")
    expect(stranger.locator(".row")).to_have_count(0)
    assert conversation_id(stranger) != me
    stranger.context.close()
    page.context.close()


def test_the_last_messages_choices_survive_a_reload_and_a_typed_number_picks_one(
    stack: RunningStack, browser: Browser
) -> None:
    page = phone(browser)
    page.goto(stack.web)
    say(page, "你好")
    expect(page.locator(".buttons button")).to_have_count(4)
    page.reload()
    expect(page.locator(".row.bot .bubble").filter(has_text="暖新助手")).to_have_count(1)
    expect(page.locator(".buttons button")).to_have_text(["附近驿站", "法律求助", "孩子托管", "转人工"])
    say(page, "1")  # picks 附近驿站, as on WeChat
    expect(page.locator(".row.bot .bubble").last).to_contain_text("您现在在哪儿")
    expect(page.locator(".row.bot .bubble").filter(has_text="记下了")).to_have_count(0)
    page.context.close()


def test_map_and_phone_are_tappable_links_not_raw_urls(stack: RunningStack, browser: Browser) -> None:
    page = phone(browser)
    page.goto(stack.web)
    say(page, "英雄中路附近哪能充电")
    expect(page.locator(".row.bot .bubble").filter(has_text="示例数据")).to_have_count(3)
    maps = page.locator(".buttons a.link", has_text="地图导航")
    calls = page.locator(".buttons a.link", has_text="拨打电话")
    expect(maps).to_have_count(3)
    expect(calls).to_have_count(3)
    assert maps.first.get_attribute("href").startswith("https://uri.amap.com/marker?")
    assert calls.first.get_attribute("href").startswith("tel:0355")
    expect(page.locator(".row.bot .bubble").filter(has_text="http")).to_have_count(0)
    page.reload()
    expect(page.locator(".buttons a.link", has_text="地图导航")).to_have_count(3)
    screenshot(page, "webchat_station_links")
    page.context.close()
