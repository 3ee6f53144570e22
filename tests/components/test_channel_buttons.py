"""Buttons on every channel: a digit picks a choice, links become what the channel can open."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from bot.channels import buttons
from bot.channels.wechat import render_text

RATING = [{"title": f"{n} 分", "payload": f'/rate{{"rating": {n}}}'} for n in (5, 4, 3, 2, 1)]
MIXED = [
    {"title": "证据", "payload": "/inform"},
    {"title": "地图导航", "url": "https://uri.amap.com/marker?position=113.1,36.2"},
    {"title": "拨打电话", "url": "tel:03551234567"},
    {"title": "转人工", "payload": "/request_human"},
]


def test_a_digit_picks_the_choice_titled_with_it_before_the_nth() -> None:
    assert buttons.pick(RATING, "5") == '/rate{"rating": 5}'
    assert buttons.pick(RATING, " 1 ") == '/rate{"rating": 1}'


def test_wechat_lists_rating_choices_under_their_own_digits_so_the_number_shown_is_the_number_meant() -> None:
    """Numbered in order, 【1】 would have read 「5 很满意」 while typing 1 rated 1."""
    domain = yaml.safe_load(Path("domain.yml").read_text(encoding="utf-8"))
    rating = domain["responses"]["utter_ask_rating"][0]["buttons"]
    lines = render_text({"text": "请打个分", "buttons": rating}).splitlines()
    assert lines[1:] == ["【5】很满意", "【4】满意", "【3】一般", "【2】不满意", "【1】很不满意"]
    for number in "12345":
        assert buttons.pick(rating, number) == rating[5 - int(number)]["payload"]
        assert f'"rating": {number}' in rating[5 - int(number)]["payload"]


def test_titles_that_merely_start_with_a_number_are_numbered_in_order() -> None:
    options = [{"title": "3 岁", "payload": "/a"}, {"title": "3 岁以上", "payload": "/b"}]
    assert buttons.numbered(options) == [("1", "3 岁", "/a"), ("2", "3 岁以上", "/b")]
    assert buttons.pick(options, "2") == "/b" and buttons.pick(options, "3") is None


def test_a_digit_counts_only_choices_and_never_past_them() -> None:
    assert buttons.pick(MIXED, "2") == "/request_human"
    assert buttons.pick(MIXED, "3") is None
    assert buttons.pick(MIXED, "12") is None and buttons.pick(MIXED, "0") is None and buttons.pick([], "1") is None


def test_links_by_scheme() -> None:
    assert [b["title"] for b in buttons.links(MIXED)] == ["地图导航"]
    assert [b["title"] for b in buttons.links(MIXED, ("tel:",))] == ["拨打电话"]


def test_the_last_messages_buttons() -> None:
    events = [
        SimpleNamespace(type_name="bot", data={"buttons": RATING}),
        SimpleNamespace(type_name="user", data=None),
        SimpleNamespace(type_name="bot", data={"buttons": MIXED}),
        SimpleNamespace(type_name="action", data=None),
    ]
    assert buttons.last_buttons(events) == MIXED
    assert buttons.last_buttons([]) == []


def test_wechat_numbers_the_choices_and_links_the_map_without_a_raw_url_line() -> None:
    text = render_text({"text": "1. 暖新驿站", "buttons": MIXED})
    lines = text.splitlines()
    assert lines[1:3] == ["【1】证据", "【2】转人工"]
    assert '<a href="https://uri.amap.com/marker?position=113.1,36.2">地图导航</a>' in lines
    assert not any(line.startswith("http") for line in lines) and "tel:" not in text


@pytest.mark.parametrize("title", ['"><script>', "a&b"])
def test_wechat_link_titles_are_escaped(title: str) -> None:
    text = render_text({"text": "", "buttons": [{"title": title, "url": "https://x.cn/?a=1&b=2"}]})
    assert "<script>" not in text and "&amp;b=2" in text
