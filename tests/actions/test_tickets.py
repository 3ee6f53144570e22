"""actions/tickets.py: starting a request, the ticket form, tickets, hand-off, progress and ratings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List

import pytest
from rasa_sdk.events import ActionExecuted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from actions.runtime import REDISPATCHED
from actions.tickets import (
    ActionAskTicketDescription,
    ActionCheckTickets,
    ActionCreateTicket,
    ActionForwardToStaff,
    ActionLeaveHandoff,
    ActionReopenTicket,
    ActionStartTicket,
    ActionStoreRating,
    ValidateTicketForm,
)
from core import deadlines, tickets
from core.models import Ticket, TicketMessage
from core.services import Services
from core.workers import WorkerRef
from tests.actions.trackers import SENDER, bot_event, form_tracker, responses, tracker, user_event, variables

ME = WorkerRef("rest", SENDER)
FIRST = "CZ-20261126-0001"
FORM = "ticket_form"
CLEARED_AFTER_CREATE = ["ticket_description", "ticket_place", "ticket_intent", "latitude", "longitude"]


def open_ticket(core: Services, intent: str = "request_human", worker: WorkerRef = ME, handoff: bool = True) -> str:
    rules = deadlines.parse(core.settings.ticket_deadlines)
    request = tickets.NewRequest(worker=worker, intent=intent, description="想找工作人员", handoff=handoff)
    return core.transaction(
        lambda s: tickets.open_ticket(s, request, core.clock.utc(), core.clock.today(), rules).number
    )


def ticket(core: Services, number: str) -> Dict[str, Any]:
    def load(session: Any) -> Dict[str, Any]:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        texts = [m.text for m in session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == found.id))]
        return {
            "state": found.state,
            "handoff": found.handoff_active,
            "rating": found.rating,
            "district": found.district,
            "category": found.category,
            "place": found.place_text,
            "lat": found.lat,
            "messages": texts,
        }

    return core.read(load)


def ticket_count(core: Services) -> int:
    return core.read(lambda s: s.scalar(select(func.count(Ticket.id))))


def resolve(core: Services, number: str) -> None:
    def work(session: Any) -> None:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        found.state, found.resolved_at, found.handoff_active = tickets.RESOLVED, core.clock.utc(), False

    core.transaction(work)


# --- action_start_ticket ----------------------------------------------------------------


async def test_a_report_that_explains_itself_keeps_its_text_and_place(
    dispatcher: CollectingDispatcher, domain: dict
) -> None:
    text = "英雄中路和太行东街路口的路灯不亮"
    state = tracker(text, "report_issue", slots={"place": "英雄中路", "district": "潞州区"})

    events = await ActionStartTicket().run(dispatcher, state, domain)

    assert events == [
        SlotSet("ticket_intent", "report_issue"),
        SlotSet("ticket_description", None),
        SlotSet("ticket_place", None),
        SlotSet("ticket_description", text),
        SlotSet("ticket_place", "英雄中路"),
    ]
    assert dispatcher.messages == []


async def test_a_short_report_with_a_shared_location_asks_for_the_description_only(
    dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("随手拍", "report_issue", slots={"latitude": 36.19, "longitude": 113.11})

    events = await ActionStartTicket().run(dispatcher, state, domain)

    assert events == [
        SlotSet("ticket_intent", "report_issue"),
        SlotSet("ticket_description", None),
        SlotSet("ticket_place", None),
        SlotSet("ticket_place", "已发送位置"),
    ]


async def test_a_request_for_a_person_never_takes_its_text_as_the_description(
    dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("我要找你们的工作人员帮我看看这个事情", "request_human", slots={"place": "英雄中路"})

    events = await ActionStartTicket().run(dispatcher, state, domain)

    assert events == [
        SlotSet("ticket_intent", "request_human"),
        SlotSet("ticket_description", None),
        SlotSet("ticket_place", None),
    ]


@pytest.mark.parametrize(
    ("slot", "expected"),
    [("legal_wage_arrears", "legal_wage_arrears"), ("find_station", "find_station"), (None, "request_human"),
     ("drop table tickets", "request_human")],
    ids=["legal lookup", "station lookup", "none", "garbage"],
)  # fmt: skip
async def test_a_request_after_a_lookup_keeps_that_lookups_category(
    dispatcher: CollectingDispatcher, domain: dict, slot: Any, expected: str
) -> None:
    state = tracker("转人工", "affirm", slots={"ticket_intent": slot})

    events = await ActionStartTicket().run(dispatcher, state, domain)

    assert events[0] == SlotSet("ticket_intent", expected)


# --- validate_ticket_form ---------------------------------------------------------------


async def test_a_report_needs_a_place_after_its_description(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = form_tracker(FORM, {"ticket_description": "路灯坏了好几天"}, slots={"ticket_intent": "report_issue"})

    events = await ValidateTicketForm().run(dispatcher, state, domain)

    # Both of the domain's slots: Rasa asks for the place itself.
    assert events == [SlotSet("ticket_description", "路灯坏了好几天")]
    assert dispatcher.messages == []


async def test_a_request_for_a_person_needs_only_the_description(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = form_tracker(FORM, {"ticket_description": " 工资的事想问问 "}, slots={"ticket_intent": "request_human"})

    events = await ValidateTicketForm().run(dispatcher, state, domain)

    assert events == [SlotSet("ticket_description", "工资的事想问问"), SlotSet("requested_slot", None)]


async def test_a_too_short_description_is_asked_again_with_a_hint(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = form_tracker(FORM, {"ticket_description": "灯坏"}, slots={"ticket_intent": "request_human"})

    events = await ValidateTicketForm().run(dispatcher, state, domain)

    assert events == [SlotSet("ticket_description", None), SlotSet("requested_slot", "ticket_description")]
    assert responses(dispatcher.messages) == ["utter_invalid_ticket_description"]


async def test_a_short_caption_of_a_photo_is_enough(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    start = {"event": "action", "name": "action_start_ticket"}
    state = form_tracker(
        FORM,
        {"ticket_description": "灯"},
        slots={"ticket_intent": "request_human"},
        history=[start],
        metadata={"attachment_id": 12},
    )

    events = await ValidateTicketForm().run(dispatcher, state, domain)

    assert events[0] == SlotSet("ticket_description", "灯")
    assert dispatcher.messages == []


async def test_a_photo_alone_is_asked_what_it_shows_without_a_complaint(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = form_tracker(
        FORM, {"ticket_description": tickets.PHOTO_PLACEHOLDER}, slots={"ticket_intent": "report_issue"}
    )

    events = await ValidateTicketForm().run(dispatcher, state, domain)

    assert events == [SlotSet("ticket_description", None)]
    assert dispatcher.messages == []


async def test_a_place_answer_sets_its_district(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    slots = {"ticket_intent": "report_issue", "ticket_description": "路灯坏了好几天"}
    state = form_tracker(FORM, {"ticket_place": "屯留区人民医院门口"}, slots=slots)

    events = await ValidateTicketForm().run(dispatcher, state, domain)

    assert events == [
        SlotSet("ticket_place", "屯留区人民医院门口"),
        SlotSet("district", "屯留区"),
    ]


async def test_a_place_the_gazetteer_does_not_know_is_kept_as_written(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    slots = {"ticket_intent": "report_issue", "ticket_description": "路灯坏了好几天", "district": "襄垣县"}
    state = form_tracker(FORM, {"ticket_place": "我家楼下"}, slots=slots)

    events = await ValidateTicketForm().run(dispatcher, state, domain)

    assert events == [
        SlotSet("ticket_place", "我家楼下"),
        SlotSet("district", "襄垣县"),
    ]


async def test_a_blank_place_is_asked_again(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    slots = {"ticket_intent": "report_issue", "ticket_description": "路灯坏了好几天"}

    events = await ValidateTicketForm().run(dispatcher, form_tracker(FORM, {"ticket_place": "  "}, slots=slots), domain)

    assert events == [SlotSet("ticket_place", None)]
    assert responses(dispatcher.messages) == ["utter_ask_ticket_place"]


# --- action_ask_ticket_description ------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "response"),
    [
        ("report_issue", "utter_ask_ticket_description_report"),
        ("make_suggestion", "utter_ask_ticket_description_suggestion"),
        ("request_human", "utter_ask_ticket_description"),
        (None, "utter_ask_ticket_description"),
    ],
)
async def test_the_description_is_asked_in_the_words_of_the_request(
    dispatcher: CollectingDispatcher, domain: dict, intent: Any, response: str
) -> None:
    events = await ActionAskTicketDescription().run(dispatcher, tracker(slots={"ticket_intent": intent}), domain)

    assert events == []
    assert responses(dispatcher.messages) == [response]


# --- action_create_ticket ---------------------------------------------------------------


async def test_a_request_for_a_person_opens_a_ticket_and_hands_the_conversation_over(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    history = [user_event("你好", "greet"), bot_event("您好，我是暖新助手")]
    slots = {"ticket_intent": "request_human", "ticket_description": "平台罚款不合理想申诉", "district": "屯留区"}

    events = await ActionCreateTicket().run(
        dispatcher, tracker("平台罚款不合理想申诉", slots=slots, history=history), domain
    )

    assert events == [
        SlotSet("ticket_number", FIRST),
        *[SlotSet(s, None) for s in CLEARED_AFTER_CREATE],
        SlotSet("handoff", True),
    ]
    assert responses(dispatcher.messages) == ["utter_ticket_created", "utter_handoff_started"]
    # Ordinary: an answer within 24 hours of 14:00 on 26 November.
    assert variables(dispatcher.messages[0]) == {"number": FIRST, "due": "11月27日14:00"}
    stored = ticket(core, FIRST)
    assert (stored["state"], stored["handoff"], stored["district"], stored["category"]) == (
        "new",
        True,
        "屯留区",
        "request_human",
    )
    assert stored["messages"] == [
        "骑手：你好\n助手：您好，我是暖新助手\n骑手：平台罚款不合理想申诉",
        "平台罚款不合理想申诉",
    ]


async def test_a_location_payload_that_is_no_location_is_neither_a_place_nor_stored(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    bad = {"latitude": "abc", "longitude": "113.1"}
    started = await ActionStartTicket().run(dispatcher, tracker("随手拍", "report_issue", slots=bad), domain)
    assert SlotSet("ticket_place", "已发送位置") not in started

    slots = {"ticket_intent": "report_issue", "ticket_description": "井盖丢了", "ticket_place": "英雄中路", **bad}
    await ActionCreateTicket().run(dispatcher, tracker("英雄中路", "inform", slots=slots), domain)
    stored = ticket(core, FIRST)
    assert (stored["place"], stored["lat"]) == ("英雄中路", None)


async def test_a_report_is_urgent_keeps_its_place_and_stays_with_the_assistant(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    slots = {
        "ticket_intent": "report_issue",
        "ticket_description": "井盖丢了",
        "ticket_place": "英雄中路",
        "latitude": 36.1955,
        "longitude": 113.116,
    }

    events = await ActionCreateTicket().run(dispatcher, tracker("英雄中路", "inform", slots=slots), domain)

    assert events == [SlotSet("ticket_number", FIRST), *[SlotSet(s, None) for s in CLEARED_AFTER_CREATE]]
    assert responses(dispatcher.messages) == ["utter_ticket_created"]
    assert dispatcher.messages[0]["due"] == "11月26日16:00"  # urgent: within 2 hours
    stored = ticket(core, FIRST)
    assert (stored["handoff"], stored["place"], stored["lat"], stored["district"]) == (
        False,
        "英雄中路",
        36.1955,
        "潞州区",
    )


async def test_a_second_request_of_the_same_kind_joins_the_open_ticket(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core, handoff=False)
    slots = {"ticket_intent": "request_human", "ticket_description": "还是工资的事"}

    events = await ActionCreateTicket().run(dispatcher, tracker("还是工资的事", slots=slots), domain)

    assert events[0] == SlotSet("ticket_number", number)
    assert dispatcher.messages[0]["number"] == number
    assert ticket_count(core) == 1
    assert ticket(core, number)["messages"][-1] == "还是工资的事"


async def test_without_a_description_the_latest_message_is_the_description(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    await ActionCreateTicket().run(dispatcher, tracker("转人工", "request_human"), domain)

    assert ticket(core, FIRST)["messages"][-1] == "转人工"


async def test_no_ticket_number_is_promised_when_the_database_is_down(
    no_database: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    slots = {"ticket_intent": "request_human", "ticket_description": "平台罚款不合理想申诉"}

    with pytest.raises(OperationalError):
        await ActionCreateTicket().run(dispatcher, tracker("平台罚款", slots=slots), domain)
    assert dispatcher.messages == []


# --- action_forward_to_staff, action_leave_handoff --------------------------------------


async def test_a_message_during_the_handoff_goes_to_the_ticket_silently(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core)

    events = await ActionForwardToStaff().run(
        dispatcher, tracker("我在英雄中路", "inform", slots={"handoff": True}), domain
    )

    assert events == []
    assert dispatcher.messages == []  # the last message was just now: no need to say it arrived
    assert ticket(core, number)["messages"][-1] == "我在英雄中路"


async def test_the_first_message_after_a_quiet_spell_is_acknowledged(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core)
    quiet = timedelta(minutes=core.settings.handoff_quiet_minutes)
    core.clock = type(core.clock)(core.clock.zone, core.clock.utc() + quiet)

    events = await ActionForwardToStaff().run(dispatcher, tracker("还在吗", slots={"handoff": True}), domain)

    assert events == []
    assert responses(dispatcher.messages) == ["utter_forwarded_to_staff"]
    assert ticket(core, number)["messages"][-1] == "还在吗"


async def test_a_malformed_attachment_id_is_ignored(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core)

    await ActionForwardToStaff().run(dispatcher, tracker("[照片]", metadata={"attachment_id": "1; drop"}), domain)

    assert ticket(core, number)["messages"][-1] == "[照片]"


async def test_a_message_after_staff_ended_the_handoff_is_answered_by_the_assistant(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("附近驿站", "find_station", slots={"handoff": True}, metadata={"message_id": 3})

    events = await ActionForwardToStaff().run(dispatcher, state, domain)

    assert responses(dispatcher.messages) == ["utter_handoff_over"]
    handoff, listen, again = events
    assert (handoff, listen) == (SlotSet("handoff", False), ActionExecuted("action_listen"))
    assert (again["event"], again["text"], again["metadata"]) == (
        "user",
        "附近驿站",
        {"message_id": 3, REDISPATCHED: True},
    )
    assert again["parse_data"]["intent"]["name"] == "find_station"
    assert ticket_count(core) == 0


async def test_leaving_the_handoff_keeps_the_ticket_open(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core)

    events = await ActionLeaveHandoff().run(dispatcher, tracker("取消", "deny", slots={"handoff": True}), domain)

    assert events == [SlotSet("handoff", False)]
    [message] = dispatcher.messages
    assert (message["response"], message["number"]) == ("utter_handoff_ended", number)
    assert (ticket(core, number)["state"], ticket(core, number)["handoff"]) == ("new", False)


@pytest.mark.parametrize(("slot", "shown"), [(FIRST, FIRST), (None, "")])
async def test_leaving_a_handoff_that_already_ended(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, slot: Any, shown: str
) -> None:
    events = await ActionLeaveHandoff().run(dispatcher, tracker("取消", slots={"ticket_number": slot}), domain)

    assert events == [SlotSet("handoff", False)]
    assert variables(dispatcher.messages[0]) == {"number": shown}


# --- action_check_tickets ---------------------------------------------------------------


async def test_a_worker_without_tickets_is_told_how_to_start_one(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    open_ticket(core, worker=WorkerRef("telegram", SENDER))  # the same id on another channel is someone else

    events = await ActionCheckTickets().run(dispatcher, tracker("查一下进度", "check_ticket"), domain)

    assert events == []
    assert responses(dispatcher.messages) == ["utter_tickets_none"]


async def test_the_workers_tickets_with_their_state_newest_first(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    first = open_ticket(core, "request_human")
    second = open_ticket(core, "report_issue", handoff=False)
    resolve(core, first)

    await ActionCheckTickets().run(dispatcher, tracker("查一下进度", "check_ticket"), domain)

    assert [variables(m) for m in dispatcher.messages] == [
        {"number": second, "label": "随手拍反映问题", "state": "new", "due": "11月26日16:00"},
        {"number": first, "label": "转人工", "state": "resolved", "due": "11月27日14:00"},
    ]
    assert responses(dispatcher.messages) == ["utter_ticket_state_new", "utter_ticket_state_resolved"]


@pytest.mark.parametrize("written", [FIRST, "cz202611260001", "我的单号CZ-20261126-0001怎么样了"])
async def test_a_ticket_number_as_written_finds_the_workers_ticket(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, written: str
) -> None:
    open_ticket(core)
    open_ticket(core, "report_issue", handoff=False)

    await ActionCheckTickets().run(dispatcher, tracker(written, "check_ticket"), domain)

    [message] = dispatcher.messages
    assert (message["response"], message["number"]) == ("utter_ticket_state_new", FIRST)


async def test_someone_elses_ticket_number_is_not_found(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core, worker=WorkerRef("rest", "someone-else"))

    await ActionCheckTickets().run(dispatcher, tracker(f"查 {number}", "check_ticket"), domain)

    [message] = dispatcher.messages
    assert (message["response"], message["number"]) == ("utter_ticket_not_found", number)


# --- action_store_rating ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entities", "text", "stored"),
    [([("rating", 5)], "/rate", 5), ([("rating", "4")], "/rate", 4), ([], "很满意", 5), ([], "不满意", 2),
     ([], "打3分吧", 3), ([("rating", "x")], "一般", 3)],
    ids=["button", "digits", "很满意", "不满意", "digit in text", "bad entity, words"],
)  # fmt: skip
async def test_a_rating_closes_the_resolved_ticket(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, entities: List[tuple], text: str, stored: int
) -> None:
    number = open_ticket(core)
    resolve(core, number)

    events = await ActionStoreRating().run(dispatcher, tracker(text, "rate", entities), domain)

    assert events == [SlotSet("rating", None), SlotSet("rating_ticket", None)]
    assert responses(dispatcher.messages) == ["utter_rating_thanks"]
    assert (ticket(core, number)["state"], ticket(core, number)["rating"]) == ("closed", stored)


async def test_a_rating_without_a_resolved_ticket_says_there_is_none(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core)  # still open

    events = await ActionStoreRating().run(dispatcher, tracker("/rate", "rate", [("rating", 5)]), domain)

    assert events == [SlotSet("rating", None), SlotSet("rating_ticket", None)]
    assert responses(dispatcher.messages) == ["utter_rating_unknown"]
    assert ticket(core, number)["rating"] is None


@pytest.mark.parametrize(
    ("entities", "text"),
    [([("rating", 7)], "/rate"), ([("rating", 99999999999999999999)], "/rate")],
    ids=["7", "huge"],
)  # fmt: skip
async def test_a_button_payload_out_of_range_stores_nothing(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, entities: List[tuple], text: str
) -> None:
    number = open_ticket(core)
    resolve(core, number)

    events = await ActionStoreRating().run(dispatcher, tracker(text, "rate", entities), domain)

    assert events == []
    assert responses(dispatcher.messages) == ["utter_rating_unknown"]
    assert (ticket(core, number)["state"], ticket(core, number)["rating"]) == ("resolved", None)


@pytest.mark.parametrize(
    "text",
    ["好", "给你们打10分", "单号CZ-20261126-0001", "我等了3天了", "一般多久到账", "押金什么时候到账"],
)
async def test_a_message_taken_for_a_rating_that_is_none_reopens_the_ticket(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, text: str
) -> None:
    number = open_ticket(core)
    resolve(core, number)

    events = await ActionStoreRating().run(dispatcher, tracker(text, "rate"), domain)

    assert events == [SlotSet("ticket_number", number), SlotSet("handoff", True), SlotSet("rating_ticket", None)]
    assert responses(dispatcher.messages) == ["utter_ticket_reopened"]
    found = ticket(core, number)
    assert (found["state"], found["rating"], found["handoff"]) == ("new", None, True)
    assert found["messages"][-1] == text


# --- action_reopen_ticket ---------------------------------------------------------------


async def test_a_question_after_resolve_reopens_the_ticket_and_staff_own_the_conversation(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core)
    resolve(core, number)

    events = await ActionReopenTicket().run(dispatcher, tracker("押金什么时候到账", "legal_wage_arrears"), domain)

    assert events == [SlotSet("ticket_number", number), SlotSet("handoff", True), SlotSet("rating_ticket", None)]
    [message] = dispatcher.messages
    assert (message["response"], message["number"]) == ("utter_ticket_reopened", number)
    found = ticket(core, number)
    assert (found["state"], found["handoff"], found["messages"][-1]) == ("new", True, "押金什么时候到账")


@pytest.mark.parametrize(("text", "stored"), [("5分", 5), ("5", 5), ("不满意", 2)])
async def test_a_rating_the_classifier_missed_is_stored_not_sent_to_the_ticket(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, text: str, stored: int
) -> None:
    number = open_ticket(core)
    resolve(core, number)

    events = await ActionReopenTicket().run(dispatcher, tracker(text, "inform"), domain)

    assert events == [SlotSet("rating", None), SlotSet("rating_ticket", None)]
    assert responses(dispatcher.messages) == ["utter_rating_thanks"]
    found = ticket(core, number)
    assert (found["state"], found["rating"], found["messages"][-1]) == ("closed", stored, "想找工作人员")


async def test_a_reopened_report_tells_the_rider_without_a_hand_over(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core, intent="report_issue", handoff=False)
    resolve(core, number)

    events = await ActionReopenTicket().run(dispatcher, tracker("路灯还是不亮", "report_issue"), domain)

    assert SlotSet("handoff", False) in events
    assert responses(dispatcher.messages) == ["utter_ticket_reopened_report"]
    assert ticket(core, number)["state"] == "new"


async def test_with_no_ticket_awaiting_a_rating_the_message_gets_its_own_answer(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    number = open_ticket(core)
    resolve(core, number)
    core.transaction(lambda s: tickets.rate(s, ME, 5, core.clock.utc()))

    events = await ActionReopenTicket().run(dispatcher, tracker("押金什么时候到账", "legal_wage_arrears"), domain)

    assert dispatcher.messages == []
    assert events[0] == SlotSet("rating_ticket", None) and events[1] == ActionExecuted("action_listen")
    assert (events[2]["text"], events[2]["metadata"][REDISPATCHED]) == ("押金什么时候到账", True)
    assert ticket(core, number)["state"] == "closed"


@pytest.mark.parametrize("text", ["取消", "退出！", "算了"])
async def test_an_exit_word_after_resolve_lets_the_ticket_go_and_gets_its_own_answer(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, text: str
) -> None:
    """Found by the conversation fuzzer: 退出 reopened the ticket, and after 取消 the next question did."""
    number = open_ticket(core)
    resolve(core, number)

    events = await ActionReopenTicket().run(dispatcher, tracker(text, "deny"), domain)

    assert dispatcher.messages == []
    assert events[0] == SlotSet("rating_ticket", None) and events[1] == ActionExecuted("action_listen")
    assert (events[2]["text"], events[2]["metadata"][REDISPATCHED]) == (text, True)
    assert ticket(core, number)["state"] == "resolved"
