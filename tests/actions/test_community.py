"""actions/community.py: the rider pass, FAQ answers and topic answers."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete

from actions.community import ActionAnswerFaq, ActionCommunityPass, ActionTopicAnswer
from core import workers
from core.models import FaqEntry
from core.services import Services
from tests.actions.trackers import SENDER, responses, tracker, variables

ME = workers.WorkerRef("rest", SENDER)


async def test_the_pass_guide_of_the_riders_district(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionCommunityPass().run(
        dispatcher, tracker("进小区", "community_pass", slots={"district": "屯留区"}), domain
    )

    assert events == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_pass_guide"
    assert message["district"] == "屯留区"
    assert message["how_to_apply"].startswith("1. 带身份证和平台骑手App工作页截图，到屯留区")
    assert message["honoured_at"] == "屯留区已挂牌的骑手友好小区、友好商圈和医院（示例数据）"
    assert message["contact"] == "屯留区社会工作部 0355-2102222（示例数据）"
    assert core.read(lambda s: workers.remembered_district(s, ME)) == "屯留区"


@pytest.mark.parametrize("district", [None, ""])
async def test_without_a_district_it_asks_which(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, district: Any
) -> None:
    events = await ActionCommunityPass().run(
        dispatcher, tracker("进小区", "community_pass", slots={"district": district}), domain
    )

    assert events == []
    assert responses(dispatcher.messages) == ["utter_pass_ask_district"]


async def test_a_district_without_a_guide(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionCommunityPass().run(
        dispatcher, tracker("进小区", "community_pass", slots={"district": "北京市"}), domain
    )

    assert [(m["response"], variables(m)) for m in dispatcher.messages] == [
        ("utter_pass_unknown_district", {"district": "北京市"})
    ]


# --- action_answer_faq ------------------------------------------------------------------


async def test_a_faq_button_answers_that_entry(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ActionAnswerFaq().run(dispatcher, tracker("/faq", "faq", [("faq_id", 18.0)]), domain)

    assert events == [SlotSet("faq_id", None)]
    [message] = dispatcher.messages
    assert (message["response"], message["question"]) == ("utter_faq_answer", "骑手能加入工会吗")


@pytest.mark.parametrize("value", ["abc", 99999999999999999999, 2**62, -1])
async def test_a_faq_id_that_names_no_entry_falls_back_to_the_text(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, value: Any
) -> None:
    events = await ActionAnswerFaq().run(dispatcher, tracker("暖新驿站收费吗", "faq", [("faq_id", value)]), domain)

    assert events == [SlotSet("faq_id", None)]
    assert [(m["response"], m["question"]) for m in dispatcher.messages] == [("utter_faq_answer", "暖新驿站收费吗")]


async def test_a_vague_question_gets_the_close_questions_as_buttons(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    await ActionAnswerFaq().run(dispatcher, tracker("志愿者怎么报名", "faq"), domain)

    [message] = dispatcher.messages
    assert message["response"] == "utter_faq_suggestions"
    assert message["buttons"] == [
        {"title": "怎么参加志愿服务", "payload": '/faq{"faq_id": 15}'},
        {"title": "志愿服务有什么回报", "payload": '/faq{"faq_id": 16}'},
        {"title": "怎么申请成为爱心商户", "payload": '/faq{"faq_id": 8}'},
    ]


async def test_an_unanswerable_question_offers_a_person(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    await ActionAnswerFaq().run(dispatcher, tracker("qwxz", "faq"), domain)

    assert responses(dispatcher.messages) == ["utter_topic_none"]


async def test_an_admins_edit_is_answered_at_once(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    def add(session: Any) -> None:
        session.add(
            FaqEntry(question="驿站冬天有暖气吗", variants="", answer="有，11月15日起供暖。", tags="暖气", intent="faq")
        )

    core.transaction(add)

    await ActionAnswerFaq().run(dispatcher, tracker("驿站冬天有暖气吗", "faq"), domain)

    assert [(m["question"], m["answer"]) for m in dispatcher.messages] == [("驿站冬天有暖气吗", "有，11月15日起供暖。")]


# --- action_topic_answer ----------------------------------------------------------------


async def test_a_topic_question_gets_its_best_entry(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionTopicAnswer().run(dispatcher, tracker("能入工会吗", "register_community"), domain)

    assert events == []
    assert [(m["response"], m["question"]) for m in dispatcher.messages] == [("utter_faq_answer", "骑手能加入工会吗")]


async def test_words_that_match_no_entry_get_the_topics_first_entry(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    await ActionTopicAnswer().run(dispatcher, tracker("qwxz", "volunteer"), domain)

    assert [(m["response"], m["question"]) for m in dispatcher.messages] == [("utter_faq_answer", "怎么参加志愿服务")]


async def test_a_topic_without_entries_offers_a_person(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    core.transaction(lambda s: s.execute(delete(FaqEntry).where(FaqEntry.intent == "volunteer")))

    await ActionTopicAnswer().run(dispatcher, tracker("怎么当志愿者", "volunteer"), domain)

    assert responses(dispatcher.messages) == ["utter_topic_none"]


async def test_an_faq_written_for_the_riders_district_is_the_one_answered(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    """The district the rider gave before, or the one named in the question, picks among entries alike."""
    core.transaction(
        lambda s: s.add_all(
            FaqEntry(question="驿站夜里几点关门", variants="", answer=answer, tags="", district=district)
            for district, answer in (("屯留区", "屯留区22点关门"), ("潞州区", "潞州区通宵开放"))
        )
    )
    await ActionAnswerFaq().run(dispatcher, tracker("驿站夜里几点关门", "faq", slots={"district": "潞州区"}), domain)
    await ActionAnswerFaq().run(
        dispatcher, tracker("屯留区驿站夜里几点关门", "faq", [("district", "屯留区")], {"district": "潞州区"}), domain
    )
    assert [m["answer"] for m in dispatcher.messages] == ["潞州区通宵开放", "屯留区22点关门"]
