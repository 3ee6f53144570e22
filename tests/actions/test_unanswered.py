"""The fallback action, and a request for a person after a failed answer, keep what the assistant could not
answer for the review inbox: masked, with why, the classifier's guess, the channel and the district; an FAQ
answer names its entry for 👍/👎."""

from __future__ import annotations

import logging

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from actions.community import ActionAnswerFaq
from actions.conversation import ActionHandleFallback
from actions.runtime import REDISPATCHED
from actions.tickets import ActionStartTicket
from core import review
from core.models import InboxMessage
from core.services import Services
from tests.actions.trackers import tracker, user_event

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.4},
    {"name": "find_station", "confidence": 0.33},
    {"name": "childcare", "confidence": 0.2},
]
NOTHING_TO_OFFER = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "out_of_scope", "confidence": 0.3}]


def kept(core: Services) -> list:
    return core.read(lambda s: s.scalars(select(InboxMessage).order_by(InboxMessage.id)).all())


async def test_a_clarifying_question_keeps_the_message_masked_with_the_classifiers_guess(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker(
        "那个 我电话13812345678 啊这", "nlu_fallback", ranking=RANKING, channel="telegram", slots={"district": "屯留区"}
    )
    await ActionHandleFallback().run(dispatcher, state, domain)
    [message] = kept(core)
    assert (message.reason, message.text) == ("clarification", "那个 我电话138****5678 啊这")
    assert (message.intent, message.confidence) == ("find_station", 0.33)
    assert (message.channel, message.district) == ("telegram", "屯留区")


async def test_nothing_to_offer_is_kept_as_a_fallback(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    await ActionHandleFallback().run(dispatcher, tracker("qwxz", "nlu_fallback", ranking=NOTHING_TO_OFFER), domain)
    assert [(m.reason, m.intent) for m in kept(core)] == [("fallback", "out_of_scope")]


async def test_the_second_failure_in_a_row_is_kept_as_a_hand_over(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    earlier = [user_event("啊", "nlu_fallback"), {"event": "bot", "text": "不好意思，我没太明白。"}]
    await ActionHandleFallback().run(dispatcher, tracker("啊这", "nlu_fallback", history=earlier), domain)
    assert [m.reason for m in kept(core)] == ["handoff"]


async def test_the_same_words_again_are_kept_as_a_repeat(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    earlier = [user_event("电瓶 换 哪", "find_station"), {"event": "bot", "text": "您在哪个区县？"}]
    again = [*earlier, user_event("别的话", "find_station", metadata={REDISPATCHED: True})]
    await ActionHandleFallback().run(dispatcher, tracker("电瓶换哪", "nlu_fallback", history=earlier), domain)
    await ActionHandleFallback().run(dispatcher, tracker("电瓶换哪", "nlu_fallback", history=again), domain)
    assert [m.reason for m in kept(core)] == ["repeat", "repeat"]  # a redispatched copy is not the rider's words


async def test_an_faq_answer_is_not_kept_and_names_its_entry(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    await ActionHandleFallback().run(dispatcher, tracker("暖新驿站收费吗", "nlu_fallback"), domain)
    assert kept(core) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_faq_answer" and isinstance(message["faq_id"], int)


async def test_a_database_failure_is_logged_and_the_rider_still_gets_the_reply(
    core: Services,
    dispatcher: CollectingDispatcher,
    domain: dict,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fails(*args: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(review, "record", fails)
    state = tracker("qwxz", "nlu_fallback", ranking=NOTHING_TO_OFFER)
    with caplog.at_level(logging.ERROR, logger="actions.unanswered"):
        await ActionHandleFallback().run(dispatcher, state, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_clarify_none"]
    assert "could not keep a fallback message" in caplog.text and "database is locked" in caplog.text


def failed_answer(response: str) -> dict:
    return {"event": "bot", "text": "这个我暂时帮不上忙。", "data": {}, "metadata": {"utter_action": response}}


async def test_asking_for_a_person_right_after_a_failed_answer_keeps_the_message_it_failed(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    ranking = [{"name": "out_of_scope", "confidence": 0.8}]
    earlier = [user_event("外卖箱子被偷了", "out_of_scope", ranking=ranking), failed_answer("utter_out_of_scope")]
    state = tracker("转人工", "request_human", history=earlier, channel="wechat")
    await ActionStartTicket().run(dispatcher, state, domain)
    assert [(m.reason, m.text, m.intent, m.channel) for m in kept(core)] == [
        ("handoff", "外卖箱子被偷了", "out_of_scope", "wechat")
    ]


async def test_asking_for_a_person_after_an_answer_that_helped_keeps_nothing(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    earlier = [user_event("附近驿站", "find_station"), failed_answer("utter_stations_found")]
    await ActionStartTicket().run(dispatcher, tracker("转人工", "request_human", history=earlier), domain)
    earlier = [user_event("外卖箱子被偷了", "out_of_scope"), failed_answer("utter_out_of_scope")]
    await ActionStartTicket().run(dispatcher, tracker("路灯坏了", "report_issue", history=earlier), domain)
    assert kept(core) == []


@pytest.mark.parametrize(
    ("text", "kept_as"),
    [("驿站的微波炉能随便用吗", ["clarification"]), ("qwxz", ["fallback"]), ("暖新驿站收费吗", [])],
)
async def test_an_faq_question_no_entry_clearly_fits_is_kept(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, text: str, kept_as: list
) -> None:
    await ActionAnswerFaq().run(dispatcher, tracker(text, "faq"), domain)
    assert [(m.reason, m.intent) for m in kept(core)] == [(reason, "faq") for reason in kept_as]
