"""The project's dialogue policies, each alone on hand-made trackers: follow-ups, digressions, the end of a turn."""

from typing import Any, Dict, List, Optional

import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.digression_policy import DigressionPolicy
from nlu.followup_policy import FollowUpPolicy
from nlu.handoff_policy import HandoffPolicy
from nlu.turn_end_policy import TurnEndPolicy

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, find_station, check_ticket, inform, legal_wage_arrears, legal_work_injury, request_human]
entities: [ordinal, clock_time, followup, legal_aspect, work_relationship, district, place, amenity]
slots:
  last_answer: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  legal_topic: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  handoff: {type: bool, influence_conversation: false, mappings: [{type: custom}]}
forms:
  station_form: {required_slots: []}
  ticket_form: {required_slots: []}
actions: [action_follow_up, action_change_topic, action_find_stations, action_forward_to_staff,
          action_leave_handoff, action_legal_guide]
"""
)
STATIONS = {"kind": "stations", "ids": [1, 2, 3]}
LEGAL = {"kind": "legal", "topic": "wage_arrears", "asked": False}


def predict(policy, events) -> Optional[str]:
    tracker = DialogueStateTracker.from_events("s", events, slots=DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


def user(text: str, intent: str = "inform", entities: Optional[List[Dict[str, Any]]] = None) -> List:
    parse = {"name": intent, "confidence": 0.9}
    return [ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, parse, entities or [])]


def cue(entity: str, value: Any) -> Dict[str, Any]:
    return {"entity": entity, "value": value, "start": 0, "end": 1}


@pytest.fixture
def follow_up(model_storage, context) -> FollowUpPolicy:
    return FollowUpPolicy.create(FollowUpPolicy.get_default_config(), model_storage, Resource("f"), context)


@pytest.fixture
def digression(model_storage, context) -> DigressionPolicy:
    return DigressionPolicy.create(DigressionPolicy.get_default_config(), model_storage, Resource("d"), context)


@pytest.fixture
def turn_end(model_storage, context) -> TurnEndPolicy:
    return TurnEndPolicy.create(TurnEndPolicy.get_default_config(), model_storage, Resource("t"), context)


# --- follow-ups --------------------------------------------------------------------------


def test_a_cue_about_the_station_list_goes_to_the_follow_up(follow_up) -> None:
    events = [SlotSet("last_answer", STATIONS), *user("第二个怎么走", "find_station", [cue("ordinal", 2)])]
    assert predict(follow_up, events) == "action_follow_up"


def test_without_a_last_answer_there_is_nothing_to_follow_up(follow_up) -> None:
    assert predict(follow_up, user("第二个怎么走", "find_station", [cue("ordinal", 2)])) is None


def test_a_message_without_a_cue_is_a_new_question(follow_up) -> None:
    assert predict(follow_up, [SlotSet("last_answer", STATIONS), *user("附近有驿站吗", "find_station")]) is None


def test_a_long_message_says_enough_on_its_own(follow_up) -> None:
    long = "第二个驿站门口有人乱停车把路都堵死了好几天了你们管不管啊真是的"
    events = [SlotSet("last_answer", STATIONS), *user(long, "find_station", [cue("ordinal", 2)])]
    assert predict(follow_up, events) is None


def test_a_message_naming_a_place_is_a_new_search(follow_up) -> None:
    text, entities = "英雄中路那边还开着吗", [cue("followup", "open"), cue("place", "英雄中路")]
    assert predict(follow_up, [SlotSet("last_answer", STATIONS), *user(text, "find_station", entities)]) is None


def test_another_topic_goes_its_own_way(follow_up) -> None:
    events = [SlotSet("last_answer", STATIONS), *user("第二个工单进度", "check_ticket", [cue("ordinal", 2)])]
    assert predict(follow_up, events) is None


def test_a_legal_aspect_of_the_same_topic_or_a_vague_message(follow_up) -> None:
    slots = [SlotSet("last_answer", LEGAL), SlotSet("legal_topic", "legal_wage_arrears")]
    same = user("他不给钱我找谁", "legal_wage_arrears", [cue("legal_aspect", "where")])
    other = user("工伤去哪办", "legal_work_injury", [cue("legal_aspect", "where")])
    assert predict(follow_up, [*slots, *same]) == "action_follow_up"
    assert predict(follow_up, [*slots, *other]) is None


def test_an_open_question_is_answered_whatever_the_intent(follow_up) -> None:
    asked = [SlotSet("last_answer", {**LEGAL, "asked": True}), SlotSet("legal_topic", "legal_wage_arrears")]
    answer = user("众包", "legal_work_injury", [cue("work_relationship", "crowd")])
    assert predict(follow_up, [*asked, *answer]) == "action_follow_up"
    assert predict(follow_up, [SlotSet("last_answer", LEGAL), *answer]) is None


def test_a_button_payload_counts_as_short(follow_up) -> None:
    payload = '/inform{"legal_aspect": "evidence", "comment": "a long payload is still a button"}'
    events = [SlotSet("last_answer", LEGAL), *user(payload, "inform", [cue("legal_aspect", "evidence")])]
    assert predict(follow_up, events) == "action_follow_up"


# --- digressions ---------------------------------------------------------------------------


def in_form(form: str) -> List:
    return [*user("附近驿站", "find_station"), ActionExecuted(form), ActiveLoop(form)]


def test_another_topic_in_the_middle_of_a_form_changes_the_topic(digression) -> None:
    assert predict(digression, [*in_form("station_form"), *user("查一下进度", "check_ticket")]) == "action_change_topic"


@pytest.mark.parametrize(
    "answer",
    [
        user("英雄中路", "inform"),
        user("我在火车站", "find_station"),
        user("屯留", "greet", [cue("district", "屯留区")]),
        user("嗯", "nlu_fallback"),
    ],
)
def test_an_answer_to_the_form_stays_in_it(digression, answer) -> None:
    assert predict(digression, [*in_form("station_form"), *answer]) is None


def test_a_form_that_takes_any_text_is_never_left_this_way(digression) -> None:
    assert predict(digression, [*in_form("ticket_form"), *user("老板欠我工资", "legal_wage_arrears")]) is None


# --- the end of a turn -----------------------------------------------------------------------


def test_after_an_action_nothing_else_continues_the_assistant_listens(turn_end) -> None:
    prediction = predict(turn_end, [*user("你好", "greet"), ActionExecuted("action_find_stations")])
    assert prediction == ACTION_LISTEN_NAME


def test_a_message_is_never_answered_with_listening(turn_end) -> None:
    assert predict(turn_end, user("你好", "greet")) is None


def test_the_safety_net_loses_to_any_rule_and_beats_the_core_fallback(turn_end) -> None:
    confidence = TurnEndPolicy.get_default_config()["confidence"]
    assert 0.3 < confidence < 1.0 and turn_end.priority < 4


def test_leaving_the_hand_off_ends_the_turn_although_the_slot_is_off(model_storage, context) -> None:
    """The dead end after 取消: nothing predicted after the leave action, the core fallback
    reverted `handoff=False`, and staff owned the conversation again."""
    policy = HandoffPolicy.create(HandoffPolicy.get_default_config(), model_storage, Resource("h"), context)
    events = [
        SlotSet("handoff", True),
        *user("取消"),
        ActionExecuted("action_leave_handoff"),
        SlotSet("handoff", False),
    ]
    assert predict(policy, events) == ACTION_LISTEN_NAME
