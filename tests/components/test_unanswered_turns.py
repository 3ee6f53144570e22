"""Which turns the channel layer keeps for the review inbox (bot.channels.unanswered_turns): out-of-scope
answers, and the same words again after an answer no action counted as a failure."""

from __future__ import annotations

from typing import Any, Dict, List

from bot.channels.unanswered_turns import REPEAT_WITHIN_S, LastWords, reason_for
from core.workers import WorkerRef

RIDER = WorkerRef("telegram", "tg:1")


def answered(*responses: str) -> List[Dict[str, Any]]:
    return [{"text": "…", "source": {"response": name}} for name in responses]


def test_the_same_words_again_soon_are_a_repeat_and_other_words_or_a_payload_are_not() -> None:
    words = LastWords()
    assert not words.repeated("a", "附近哪能充电", now=0)
    assert words.repeated("a", "附近 哪能充电？", now=60)
    assert not words.repeated("b", "附近哪能充电", now=61)  # another conversation
    assert not words.repeated("a", '/faq{"faq_id": 1}', now=62) and words.repeated("a", "附近哪能充电", now=63)
    assert not words.repeated("a", "附近哪能充电", now=63 + REPEAT_WITHIN_S + 1)
    assert not words.repeated("a", "别的事", now=63 + REPEAT_WITHIN_S + 2)


def test_only_the_newest_conversations_are_remembered() -> None:
    words = LastWords(limit=2)
    for sender in ("a", "b", "c"):
        words.repeated(sender, "你好", now=0)
    assert not words.repeated("a", "你好", now=1) and words.repeated("c", "你好", now=1)


def test_the_channel_keeps_out_of_scope_and_repeats_the_actions_did_not_keep() -> None:
    words = LastWords()
    assert reason_for(RIDER, "想离婚孩子归谁", answered("utter_out_of_scope"), words) == "out_of_scope"
    assert reason_for(RIDER, "想离婚孩子归谁", answered("utter_out_of_scope"), words) == "repeat"
    assert reason_for(RIDER, "附近哪能充电", answered("utter_stations_found"), words) is None
    assert reason_for(RIDER, "附近哪能充电", answered("utter_stations_found", "utter_station_item"), words) == "repeat"
    assert reason_for(RIDER, "附近哪能充电", answered("utter_clarify"), words) is None  # the fallback action kept it
