"""actions/conversation.py: session start, low-confidence messages, leaving a form, changing topic."""

from __future__ import annotations

from rasa_sdk.events import ActionExecuted, ActiveLoop, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import (
    FORM_SLOTS,
    ActionChangeTopic,
    ActionHandleFallback,
    ActionLeaveForm,
    ActionSessionStart,
)
from actions.runtime import REDISPATCHED
from core import workers
from core.services import Services
from tests.actions.trackers import SENDER, responses, tracker, user_event

ME = workers.WorkerRef("rest", SENDER)
NUMBER = "CZ-20261126-0001"


def remember(core: Services, district: str, worker: workers.WorkerRef = ME) -> None:
    core.transaction(lambda s: workers.remember_district(s, worker, district))


# --- action_session_start ---------------------------------------------------------------


async def test_session_start_carries_district_handoff_and_ticket_number_only(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    slots = {
        "district": "屯留区",
        "handoff": True,
        "ticket_number": NUMBER,
        "child_age": 8.0,
        "search_origin": {"lat": 36.3, "lon": 112.9},
        "last_answer": {"kind": "stations", "ids": [1]},
    }
    remember(core, "潞州区")  # the slot, newer than the profile, wins

    events = await ActionSessionStart().run(dispatcher, tracker(slots=slots), domain)

    assert events == [
        SessionStarted(),
        SlotSet("district", "屯留区"),
        SlotSet("handoff", True),
        SlotSet("ticket_number", NUMBER),
        ActionExecuted("action_listen"),
    ]
    assert dispatcher.messages == []


async def test_session_start_restores_the_district_the_profile_remembers(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    remember(core, "襄垣县")

    events = await ActionSessionStart().run(dispatcher, tracker(), domain)

    assert events == [SessionStarted(), SlotSet("district", "襄垣县"), ActionExecuted("action_listen")]


async def test_session_start_of_a_new_worker_sets_nothing(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    remember(core, "襄垣县", workers.WorkerRef("telegram", SENDER))  # same id, another channel

    events = await ActionSessionStart().run(dispatcher, tracker(), domain)

    assert events == [SessionStarted(), ActionExecuted("action_listen")]


async def test_session_start_keeps_a_false_handoff(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionSessionStart().run(dispatcher, tracker(slots={"handoff": False}), domain)

    assert events == [SessionStarted(), SlotSet("handoff", False), ActionExecuted("action_listen")]


# --- action_handle_fallback -------------------------------------------------------------

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.4},
    {"name": "greet", "confidence": 0.3},
    {"name": "find_station", "confidence": 0.2},
    {"name": "legal_wage_arrears", "confidence": 0.05},
    {"name": "childcare", "confidence": 0.03},
    {"name": "report_issue", "confidence": 0.02},
]


async def test_fallback_on_a_blank_message_asks_to_rephrase(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionHandleFallback().run(dispatcher, tracker(" \n\t", "nlu_fallback"), domain)

    assert events == []
    assert responses(dispatcher.messages) == ["utter_please_rephrase"]


async def test_fallback_answers_from_the_faq_when_one_entry_clearly_fits(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionHandleFallback().run(dispatcher, tracker("暖新驿站收费吗", "nlu_fallback"), domain)

    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_faq_answer"
    assert message["question"] == "暖新驿站收费吗"
    assert message["answer"].startswith("暖新驿站免费开放：喝水、手机充电、歇脚、热饭")


async def test_fallback_offers_the_likeliest_topics_as_buttons_in_ranking_order(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionHandleFallback().run(dispatcher, tracker("啊这", "nlu_fallback", ranking=RANKING), domain)

    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_clarify"
    # greet is never offered; at most three topics.
    assert message["buttons"] == [
        {"title": "找附近驿站", "payload": "/find_station"},
        {"title": "讨要工资", "payload": "/legal_wage_arrears"},
        {"title": "孩子托管", "payload": "/childcare"},
    ]


async def test_fallback_adds_close_faq_questions_after_the_topics(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "volunteer", "confidence": 0.3}]

    await ActionHandleFallback().run(dispatcher, tracker("志愿者怎么报名", "nlu_fallback", ranking=ranking), domain)

    [message] = dispatcher.messages
    assert message["response"] == "utter_clarify"
    assert message["buttons"] == [
        {"title": "志愿服务", "payload": "/volunteer"},
        {"title": "怎么参加志愿服务", "payload": '/faq{"faq_id": 15}'},
        {"title": "志愿服务有什么回报", "payload": '/faq{"faq_id": 16}'},
        {"title": "怎么申请成为爱心商户", "payload": '/faq{"faq_id": 8}'},
    ]


async def test_fallback_with_nothing_to_offer_asks_in_other_words(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "out_of_scope", "confidence": 0.4}]

    events = await ActionHandleFallback().run(dispatcher, tracker("qwxz", "nlu_fallback", ranking=ranking), domain)

    assert events == []
    assert responses(dispatcher.messages) == ["utter_clarify_none"]


async def test_second_fallback_in_a_row_hands_over_to_staff(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    earlier = [user_event("啊", "nlu_fallback"), {"event": "bot", "text": "不好意思，我没太明白。"}]
    state = tracker("啊这", "nlu_fallback", history=earlier, ranking=RANKING)

    events = await ActionHandleFallback().run(dispatcher, state, domain)

    assert events == [SlotSet("ticket_intent", "request_human"), FollowupAction("action_start_ticket")]
    assert responses(dispatcher.messages) == ["utter_clarify_handoff"]


async def test_a_fallback_after_an_understood_message_is_a_first_one(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    earlier = [user_event("啊", "nlu_fallback"), user_event("附近驿站", "find_station")]
    state = tracker("啊这", "nlu_fallback", history=earlier, ranking=RANKING)

    events = await ActionHandleFallback().run(dispatcher, state, domain)

    assert events == []
    assert responses(dispatcher.messages) == ["utter_clarify"]


async def test_fallback_does_not_swallow_a_database_failure(
    no_database: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    """Unhandled on purpose: the channel answers utter_try_again (bot.channels.handling)."""
    import pytest
    from sqlalchemy.exc import OperationalError

    with pytest.raises(OperationalError):
        await ActionHandleFallback().run(dispatcher, tracker("啊这", "nlu_fallback", ranking=RANKING), domain)
    assert dispatcher.messages == []


# --- action_leave_form, action_change_topic ---------------------------------------------


async def test_leave_form_stops_the_form_and_clears_what_it_collected(
    dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("不报了", "deny", slots={"child_age": 8.0, "district": "屯留区"}, active_loop="childcare_form")

    events = await ActionLeaveForm().run(dispatcher, state, domain)

    assert events == [ActiveLoop(None), SlotSet("requested_slot", None), *[SlotSet(s, None) for s in FORM_SLOTS]]
    assert "district" not in FORM_SLOTS  # what the worker told about themselves stays
    assert responses(dispatcher.messages) == ["utter_anything_else"]


async def test_change_topic_closes_the_form_and_hands_the_message_back_to_the_policies(
    dispatcher: CollectingDispatcher, domain: dict
) -> None:
    entities = [("district", "潞州区")]
    state = tracker(
        "老板欠工资不给",
        "legal_wage_arrears",
        entities,
        channel="telegram",
        metadata={"message_id": 7},
        active_loop="ticket_form",
    )

    events = await ActionChangeTopic().run(dispatcher, state, domain)

    assert events[:2] == [ActiveLoop(None), SlotSet("requested_slot", None)]
    assert events[2 : 2 + len(FORM_SLOTS)] == [SlotSet(s, None) for s in FORM_SLOTS]
    listen, again = events[2 + len(FORM_SLOTS) :]
    assert listen == ActionExecuted("action_listen")
    assert again["event"] == "user"
    assert again["text"] == "老板欠工资不给"
    assert again["input_channel"] == "telegram"
    assert again["metadata"] == {"message_id": 7, REDISPATCHED: True}
    assert again["parse_data"]["intent"]["name"] == "legal_wage_arrears"
    assert again["parse_data"]["entities"] == [{"entity": "district", "value": "潞州区"}]
    assert dispatcher.messages == []
