"""The commonest legal troubles as a rider meets them in the web chat, on a 375 px phone.

Each conversation is saved as a screenshot under tests/output/ and its transcript printed, for
the legal issue's note; each checks that the answer names the forum and the limit that fit.
"""

from __future__ import annotations

from typing import List, Tuple

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import screenshot
from tests.browser.test_webchat import phone, say

# The n-th answer is on the page and the assistant is no longer typing.
ANSWERED = (
    "n => document.querySelectorAll('.row.bot .bubble').length >= n && !document.querySelector('#typing:not([hidden])')"
)
# (name, the rider's messages, words the conversation's answers must hold, words they must not)
TRANSCRIPTS: List[Tuple[str, List[str], List[str], List[str]]] = [
    ("legal_crowd_deduction", ["平台扣了我200块 说我超时", "众包", "时效多久"], ["法院", "3年"], ["仲裁一年"]),
    (
        "legal_dedicated_unpaid_still_employed",
        ["站点两个月没发工资了 我还在干", "专送", "时效多久"],
        ["12333", "不受一年限制"],
        [],
    ),
    ("legal_hit_and_run", ["送单路上被车撞了 对方开车跑了"], ["122", "救助基金"], []),
    ("legal_customer_assault", ["送餐上楼被顾客打了 脸都肿了"], ["110"], []),
    ("legal_deposit", ["辞职了站点押金500不退", "专送", "去哪办"], ["12333", "押金"], []),
    ("legal_designated_driver_accident", ["代驾开客户的车路上追尾了 谁赔"], ["交强险", "122"], []),
]


@pytest.mark.parametrize(("name", "messages", "must", "must_not"), TRANSCRIPTS, ids=[t[0] for t in TRANSCRIPTS])
def test_legal_conversation_on_a_phone(stack, browser: Browser, name, messages, must, must_not) -> None:
    page = phone(browser)
    page.goto(stack.web)
    bot = page.locator(".row.bot .bubble")
    for count, message in enumerate(messages, 1):
        say(page, message)
        expect(page.locator(".row.me .bubble")).to_have_count(count)
        page.wait_for_function(ANSWERED, arg=count)
    transcript = page.locator(".row .bubble").all_inner_texts()
    print(f"\n== {name}\n" + "\n".join(transcript))
    answers = "\n".join(bot.all_inner_texts())
    for word in must:
        assert word in answers, (name, word)
    for word in must_not:
        assert word not in answers, (name, word)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, name)
    page.context.close()
