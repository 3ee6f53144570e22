"""actions/legal.py: the first answer for the rider's working relationship, its parts, legal aid near by."""

from __future__ import annotations

import csv
from typing import Any, Dict, List

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.followups import ActionFollowUp
from actions.legal import ActionLegalGuide
from core import workers
from core.services import Services
from core.settings import PROJECT_ROOT
from tests.actions.trackers import SENDER, responses, tracker, variables

ME = workers.WorkerRef("rest", SENDER)


def section(topic: str, relationship: str, aspect: str) -> str:
    """The text content/legal_sections.csv gives (the one without a validity date)."""
    with (PROJECT_ROOT / "content" / "legal_sections.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if (r["topic"], r["relationship"], r["aspect"]) == (topic, relationship, aspect) and not r["valid_from"]
        ]
    [row] = rows
    return row["text"]


def answered(topic: str, asked: bool = False) -> SlotSet:
    return SlotSet("last_answer", {"kind": "legal", "topic": topic, "asked": asked})


# --- action_legal_guide -----------------------------------------------------------------


async def test_wage_arrears_asks_the_relationship_first(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionLegalGuide().run(dispatcher, tracker("老板欠工资不给", "legal_wage_arrears"), domain)

    assert events == [
        SlotSet("ticket_intent", "legal_wage_arrears"),
        SlotSet("legal_topic", "legal_wage_arrears"),
        answered("wage_arrears", asked=True),
    ]
    assert [(m["response"], variables(m)) for m in dispatcher.messages] == [
        ("utter_legal_ask_relationship", {"title": "讨要工资"})
    ]


async def test_with_the_relationship_named_it_answers_for_it(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = tracker("我是众包，老板欠工资", "legal_wage_arrears", [("work_relationship", "crowd")])

    events = await ActionLegalGuide().run(dispatcher, state, domain)

    assert events == [
        SlotSet("ticket_intent", "legal_wage_arrears"),
        SlotSet("legal_topic", "legal_wage_arrears"),
        SlotSet("work_relationship", "crowd"),
        answered("wage_arrears"),
    ]
    [message] = dispatcher.messages
    assert message["response"] == "utter_legal_first"
    assert variables(message) == {
        "title": "讨要工资",
        "summary": section("wage_arrears", "crowd", "summary"),
        "steps": section("wage_arrears", "crowd", "steps"),
    }


async def test_a_specific_relationship_wins_over_not_sure(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    entities = [("work_relationship", "unknown"), ("work_relationship", "dedicated")]

    events = await ActionLegalGuide().run(
        dispatcher, tracker("不清楚，应该是专送", "legal_wage_arrears", entities), domain
    )

    assert SlotSet("work_relationship", "dedicated") in events
    assert dispatcher.messages[0]["summary"] == section("wage_arrears", "dedicated", "summary")


async def test_a_keyword_picks_the_branch_of_the_intent(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionLegalGuide().run(dispatcher, tracker("货主的运费一直不给", "legal_wage_arrears"), domain)

    assert events[-1] == answered("fare_unpaid")  # no relationship asked for a driver's fare
    [message] = dispatcher.messages
    assert (message["response"], message["title"]) == ("utter_legal_first", "运费、车费、代驾费被拖欠（司机）")
    assert message["summary"] == section("fare_unpaid", "any", "summary")


async def test_the_same_topic_again_gets_the_short_form(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    slots = {"last_answer": {"kind": "legal", "topic": "fare_unpaid", "asked": False}}

    await ActionLegalGuide().run(dispatcher, tracker("运费还是没给", "legal_wage_arrears", slots=slots), domain)

    assert responses(dispatcher.messages) == ["utter_legal_again"]


async def test_a_non_legal_intent_falls_back_to_the_topic_in_the_slot(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionLegalGuide().run(
        dispatcher, tracker("那怎么办", "inform", slots={"legal_topic": "legal_traffic_accident"}), domain
    )

    assert events[:2] == [
        SlotSet("ticket_intent", "legal_traffic_accident"),
        SlotSet("legal_topic", "legal_traffic_accident"),
    ]
    assert dispatcher.messages[0]["title"] == "交通事故"


async def test_a_topic_without_content_gives_the_hotline(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    from sqlalchemy import delete

    from core.models import LegalTopic

    core.transaction(lambda s: s.execute(delete(LegalTopic).where(LegalTopic.intent == "legal_social_insurance")))

    events = await ActionLegalGuide().run(dispatcher, tracker("社保怎么交", "legal_social_insurance"), domain)

    assert events == [
        SlotSet("ticket_intent", "legal_social_insurance"),
        SlotSet("legal_topic", "legal_social_insurance"),
    ]
    assert responses(dispatcher.messages) == ["utter_legal_hotline"]


# --- action_follow_up after a legal answer ----------------------------------------------


def after(topic: str, text: str, entities: List[tuple], asked: bool = False, **slots: Any) -> Any:
    answer = {"kind": "legal", "topic": topic, "asked": asked}
    return tracker(text, "inform", entities, slots={"last_answer": answer, **slots})


async def test_the_relationship_answered_by_button_gives_the_first_answer(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = after("wage_arrears", "/inform", [("work_relationship", "contract")], asked=True)

    events = await ActionFollowUp().run(dispatcher, state, domain)

    assert events == [SlotSet("work_relationship", "contract"), answered("wage_arrears")]
    assert dispatcher.messages[0]["response"] == "utter_legal_first"
    assert dispatcher.messages[0]["steps"] == section("wage_arrears", "contract", "steps")


@pytest.mark.parametrize("aspect", ["evidence", "deadlines", "where"])
async def test_one_part_of_the_answer(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, aspect: str
) -> None:
    state = after("fare_unpaid", "/inform", [("legal_aspect", aspect)])

    events = await ActionFollowUp().run(dispatcher, state, domain)

    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == f"utter_legal_{aspect}"
    assert variables(message) == {
        "title": "运费、车费、代驾费被拖欠（司机）",
        "detail": section("fare_unpaid", "any", aspect),
    }


@pytest.mark.parametrize("aspect", ["summary'; --", "steps"])
async def test_an_aspect_that_is_not_a_button_gives_the_hotline(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, aspect: str
) -> None:
    await ActionFollowUp().run(dispatcher, after("fare_unpaid", "/inform", [("legal_aspect", aspect)]), domain)

    assert responses(dispatcher.messages) == ["utter_legal_hotline"]


async def test_a_part_asked_before_the_relationship_repeats_the_question(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionFollowUp().run(
        dispatcher, after("wage_arrears", "证据", [("legal_aspect", "evidence")], asked=True), domain
    )

    assert events == []
    assert responses(dispatcher.messages) == ["utter_legal_ask_relationship_again"]


async def test_a_lawyer_in_the_riders_district(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    state = after("fare_unpaid", "找律师", [("legal_aspect", "lawyer")], district="屯留区")

    events = await ActionFollowUp().run(dispatcher, state, domain)

    assert events == [SlotSet("district", "屯留区")]
    point, hotline = dispatcher.messages
    assert (point["response"], point["name"]) == ("utter_legal_aid_point", "屯留区法律援助中心（示例数据）")
    assert [b["title"] for b in point["buttons"]] == ["地图导航", "拨打电话"]
    assert hotline["response"] == "utter_legal_hotline"
    assert core.read(lambda s: workers.remembered_district(s, ME)) == "屯留区"


async def test_a_district_named_now_beats_the_remembered_origin(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    origin = {"lat": 36.1955, "lon": 113.116, "where": "英雄中路", "approximate": False, "district": "潞州区"}
    state = after("fare_unpaid", "襄垣的呢", [("district", "襄垣县")], search_origin=origin)

    await ActionFollowUp().run(dispatcher, state, domain)

    assert dispatcher.messages[0]["name"].startswith("襄垣县")


async def test_a_lawyer_without_a_district_asks_for_one(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionFollowUp().run(
        dispatcher, after("fare_unpaid", "找律师", [("legal_aspect", "lawyer")]), domain
    )

    assert events == []
    assert responses(dispatcher.messages) == ["utter_legal_ask_district"]


async def test_a_lawyer_outside_the_city_gets_the_citys_centre_and_the_hotline(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = after("fare_unpaid", "找律师", [("legal_aspect", "lawyer")], district="北京市")

    await ActionFollowUp().run(dispatcher, state, domain)

    assert [(m["response"], m.get("name")) for m in dispatcher.messages] == [
        ("utter_legal_aid_point", "潞州区法律援助中心（示例数据）"),
        ("utter_legal_hotline", None),
    ]


# --- action_follow_up with nothing to follow --------------------------------------------


@pytest.mark.parametrize("answer", [None, {"kind": "weather"}, "stations", {"ids": [1]}])
async def test_a_follow_up_without_a_last_answer(
    dispatcher: CollectingDispatcher, domain: dict, answer: Dict[str, Any]
) -> None:
    events = await ActionFollowUp().run(
        dispatcher, tracker("第二个", "inform", [("ordinal", 2)], slots={"last_answer": answer}), domain
    )

    assert events == []
    assert responses(dispatcher.messages) == ["utter_follow_up_nothing"]
