"""actions/programmes.py and actions/enrolment.py: the childcare form, programme lists, sign-ups."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete, select

from actions.enrolment import (
    ENROLMENT_SLOTS,
    ActionAskEnrolConsent,
    ActionAskParticipantName,
    ActionCancelEnrolment,
    ActionEnrol,
    ActionStartEnrolment,
    ValidateEnrolmentForm,
)
from actions.followups import ActionFollowUp
from actions.programmes import ActionListChildcare, ActionListTraining, ValidateChildcareForm
from core import workers
from core.models import Enrolment, Programme
from core.services import Services
from tests.actions.trackers import SENDER, form_tracker, responses, tracker, variables
from tests.conftest import FIXED_TODAY

ME = workers.WorkerRef("rest", SENDER)
DISTRICT = "平顺县"
CLEARED = [SlotSet(slot, None) for slot in (*ENROLMENT_SLOTS, "programme_id")]
BIG_ID = 2**62  # a valid id that no row has


def add_programme(
    core: Services,
    title: str,
    kind: str = "after_school",
    capacity: int = 10,
    opens: Optional[date] = None,
    deadline: date = FIXED_TODAY + timedelta(days=30),
    ages: tuple = (6, 12),
    district: str = DISTRICT,
) -> int:
    def add(session: Any) -> int:
        programme = Programme(
            kind=kind,
            title=title,
            district=district,
            venue="平顺县党群服务中心",
            age_min=ages[0],
            age_max=ages[1],
            start_date=date(2027, 1, 4),
            end_date=date(2027, 1, 29),
            schedule="工作日 16:30-18:30",
            capacity=capacity,
            fee="免费",
            signup_deadline=deadline,
            signup_opens=opens,
        )
        session.add(programme)
        session.flush()
        return programme.id

    return core.transaction(add)


@pytest.fixture
def district_cleared(core: Services) -> None:
    """平顺县 without its sample programmes: only those a test adds."""
    core.transaction(lambda s: s.execute(delete(Programme).where(Programme.district == DISTRICT)))


def enrolments(core: Services) -> List[tuple]:
    return core.read(
        lambda s: [
            (e.programme_id, e.participant_name, e.phone, e.status, e.participant_age)
            for e in s.scalars(select(Enrolment).order_by(Enrolment.id))
        ]
    )


# --- validate_childcare_form ------------------------------------------------------------

CHILDCARE = "childcare_form"


async def test_childcare_form_skips_the_district_when_known(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    state = form_tracker(CHILDCARE, {"child_age": "8岁"}, slots={"district": "屯留区"})

    events = await ValidateChildcareForm().run(dispatcher, state, domain)

    assert events == [SlotSet("child_age", 8.0), SlotSet("requested_slot", None)]
    assert dispatcher.messages == []


async def test_a_district_answer_by_its_old_name(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ValidateChildcareForm().run(dispatcher, form_tracker(CHILDCARE, {"district_text": "长治县"}), domain)

    assert events == [
        SlotSet("district_text", "长治县"),
        SlotSet("district", "上党区"),
        SlotSet("requested_slot", "child_age"),
    ]


@pytest.mark.parametrize("answer", ["太原", "不知道", "12"])
async def test_a_district_outside_the_city_is_asked_again(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, answer: str
) -> None:
    events = await ValidateChildcareForm().run(dispatcher, form_tracker(CHILDCARE, {"district_text": answer}), domain)

    assert events == [SlotSet("district_text", None)]  # the domain's slots: Rasa asks again
    assert responses(dispatcher.messages) == ["utter_invalid_district"]


@pytest.mark.parametrize(("answer", "age"), [("八岁", 8.0), ("3", 3.0), ("16岁了", 16.0), (7.0, 7.0)])
async def test_a_childs_age_in_words_or_digits(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, answer: Any, age: float
) -> None:
    state = form_tracker(CHILDCARE, {"child_age": answer}, slots={"district": "屯留区"})

    events = await ValidateChildcareForm().run(dispatcher, state, domain)

    assert events[0] == SlotSet("child_age", age)
    assert dispatcher.messages == []


@pytest.mark.parametrize("answer", ["2岁", "17", "不告诉你", "", 99999999999999999999.0])
async def test_an_age_outside_3_to_16_is_asked_again(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, answer: Any
) -> None:
    state = form_tracker(CHILDCARE, {"child_age": answer}, slots={"district": "屯留区"})

    events = await ValidateChildcareForm().run(dispatcher, state, domain)

    assert events == [SlotSet("child_age", None), SlotSet("requested_slot", "child_age")]
    assert responses(dispatcher.messages) == ["utter_invalid_child_age"]


# --- action_list_childcare --------------------------------------------------------------


async def test_childcare_lists_the_districts_programmes_for_the_age_with_sign_up_buttons(
    core: Services, district_cleared: None, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    open_now = add_programme(core, "四点半课堂", capacity=2)
    add_programme(core, "幼儿托管", ages=(3, 5))  # too young a group for an 8-year-old
    add_programme(core, "屯留托管", district="屯留区")  # another district
    core.transaction(
        lambda s: s.add(Enrolment(programme_id=open_now, status="confirmed", channel="rest", sender_id="x"))
    )
    slots = {"district": DISTRICT, "child_age": 8.0, "district_text": "平顺"}

    events = await ActionListChildcare().run(dispatcher, tracker("8岁", slots=slots), domain)

    assert responses(dispatcher.messages) == [
        "utter_programmes_found",
        "utter_programme_item",
        "utter_programmes_choose",
    ]
    assert variables(dispatcher.messages[0]) == {"district": DISTRICT, "age": 8}
    assert variables(dispatcher.messages[1]) == {
        "index": 1,
        "title": "四点半课堂",
        "start": "1月4日",
        "end": "1月29日",
        "schedule": "工作日 16:30-18:30",
        "venue": "平顺县党群服务中心",
        "fee": "免费",
        "places_left": 1,
        "deadline": "12月26日",
        "opens": "",
    }
    assert dispatcher.messages[2]["buttons"] == [
        {"title": "四点半课堂", "payload": f'/enrol{{"programme_id": {open_now}}}'}
    ]
    assert events == [
        SlotSet("district_text", None),
        SlotSet(
            "last_answer", {"kind": "programmes", "ids": [open_now], "childcare": True, "district": DISTRICT, "age": 8}
        ),
    ]
    assert core.read(lambda s: workers.remembered_district(s, ME)) == DISTRICT


async def test_out_of_season_it_says_when_sign_up_opens_and_offers_no_button(
    core: Services, district_cleared: None, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    summer = add_programme(core, "暑期托管", "summer_daycare", opens=date(2027, 5, 20), deadline=date(2027, 7, 5))

    await ActionListChildcare().run(dispatcher, tracker(slots={"district": DISTRICT, "child_age": 8.0}), domain)

    assert responses(dispatcher.messages) == ["utter_programmes_not_open", "utter_programme_item_not_open"]
    assert variables(dispatcher.messages[0]) == {"district": DISTRICT, "age": 8, "opens": "5月20日"}
    assert (dispatcher.messages[1]["title"], dispatcher.messages[1]["opens"]) == ("暑期托管", "5月20日")
    assert summer


async def test_no_programme_for_the_age_says_so(
    core: Services, district_cleared: None, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    add_programme(core, "四点半课堂", deadline=FIXED_TODAY - timedelta(days=1))  # sign-up closed yesterday

    events = await ActionListChildcare().run(
        dispatcher, tracker(slots={"district": DISTRICT, "child_age": 8.0}), domain
    )

    assert events == [SlotSet("district_text", None)]
    [message] = dispatcher.messages
    assert (message["response"], message["district"], message["age"]) == ("utter_programmes_none", DISTRICT, 8)


# --- action_list_training ---------------------------------------------------------------


async def test_training_lists_upcoming_courses_and_remembers_the_list(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    events = await ActionListTraining().run(dispatcher, tracker("有什么培训", "skills_training"), domain)

    said = responses(dispatcher.messages)
    assert said[0] == "utter_training_found"
    assert said[-1] == "utter_programmes_choose"
    items = dispatcher.messages[1:-1]
    assert {m["response"] for m in items} == {"utter_programme_item"}
    assert [m["index"] for m in items] == list(range(1, len(items) + 1))
    ids = [int(b["payload"].split(": ")[1].rstrip("}")) for b in dispatcher.messages[-1]["buttons"]]
    assert events == [SlotSet("last_answer", {"kind": "programmes", "ids": ids, "childcare": False, "district": None})]


async def test_no_training_says_so(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    core.transaction(lambda s: s.execute(delete(Programme).where(Programme.kind.in_(("training", "lecture")))))

    events = await ActionListTraining().run(dispatcher, tracker("有什么培训", "skills_training"), domain)

    assert events == []
    assert responses(dispatcher.messages) == ["utter_training_none"]


# --- action_follow_up after a programme list --------------------------------------------


async def test_the_second_programme_of_the_list(
    core: Services, district_cleared: None, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    first, second = add_programme(core, "四点半课堂"), add_programme(core, "周末托管")
    listed = {"kind": "programmes", "ids": [first, second], "childcare": True, "district": DISTRICT, "age": 8}

    events = await ActionFollowUp().run(
        dispatcher, tracker("第二个", "inform", [("ordinal", 2)], slots={"last_answer": listed}), domain
    )

    assert events == []
    assert responses(dispatcher.messages) == ["utter_programme_item", "utter_programmes_choose"]
    assert (dispatcher.messages[0]["index"], dispatcher.messages[0]["title"]) == (2, "周末托管")
    assert dispatcher.messages[1]["buttons"] == [
        {"title": "周末托管", "payload": f'/enrol{{"programme_id": {second}}}'}
    ]


@pytest.mark.parametrize("ordinal", [3, None])
async def test_a_programme_not_in_the_list(
    core: Services, district_cleared: None, dispatcher: CollectingDispatcher, domain: dict, ordinal: Any
) -> None:
    ids = [add_programme(core, "四点半课堂"), add_programme(core, "周末托管")]
    listed = {"kind": "programmes", "ids": ids, "childcare": True, "district": DISTRICT, "age": 8}
    entities = [("ordinal", ordinal)] if ordinal else [("followup", "which")]

    events = await ActionFollowUp().run(
        dispatcher, tracker("第三个", "inform", entities, slots={"last_answer": listed}), domain
    )

    assert events == []
    assert [(m["response"], m["count"]) for m in dispatcher.messages] == [("utter_follow_up_no_such", 2)]


async def test_more_programmes_continue_the_numbering(
    core: Services, district_cleared: None, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    first, second = add_programme(core, "四点半课堂"), add_programme(core, "周末托管")
    listed = {"kind": "programmes", "ids": [first], "childcare": True, "district": DISTRICT, "age": 8}

    events = await ActionFollowUp().run(
        dispatcher, tracker("还有吗", "inform", [("followup", "more")], slots={"last_answer": listed}), domain
    )

    assert [(m["response"], m.get("index")) for m in dispatcher.messages] == [
        ("utter_programme_item", 2),
        ("utter_programmes_choose", None),
    ]
    assert events == [SlotSet("last_answer", {**listed, "ids": [first, second]})]


async def test_no_more_programmes(
    core: Services, district_cleared: None, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    listed = {
        "kind": "programmes",
        "ids": [add_programme(core, "四点半课堂")],
        "childcare": True,
        "district": DISTRICT,
        "age": 8,
    }

    events = await ActionFollowUp().run(
        dispatcher, tracker("还有吗", "inform", [("followup", "more")], slots={"last_answer": listed}), domain
    )

    assert events == []
    assert responses(dispatcher.messages) == ["utter_programmes_no_more"]


# --- action_start_enrolment, the consent and name questions -----------------------------


@pytest.mark.parametrize("value", [7, "abc", None])
async def test_start_enrolment_takes_the_buttons_id_and_clears_the_last_sign_up(
    dispatcher: CollectingDispatcher, domain: dict, value: Any
) -> None:
    entities = [("programme_id", value)] if value is not None else []
    slots = {"participant_name": "王小明", "contact_phone": "13812345678", "enrol_consent": True}

    events = await ActionStartEnrolment().run(dispatcher, tracker("/enrol", "enrol", entities, slots=slots), domain)

    assert events == [SlotSet("programme_id", value), *[SlotSet(s, None) for s in ENROLMENT_SLOTS]]
    assert dispatcher.messages == []


async def test_consent_for_a_child_names_the_programme_and_the_retention(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    programme = add_programme(core, "四点半课堂")

    events = await ActionAskEnrolConsent().run(dispatcher, tracker(slots={"programme_id": float(programme)}), domain)

    assert events == []
    [message] = dispatcher.messages
    assert (message["response"], message["programme"], message["retention"]) == (
        "utter_ask_enrol_consent",
        "四点半课堂",
        30,
    )
    assert message["buttons"] == []  # the buttons come from the domain response


async def test_consent_for_an_adult_course(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    programme = add_programme(core, "叉车司机证培训", kind="training", ages=(None, None))

    await ActionAskEnrolConsent().run(dispatcher, tracker(slots={"programme_id": programme}), domain)

    assert [(m["response"], m["programme"]) for m in dispatcher.messages] == [
        ("utter_ask_enrol_consent_adult", "叉车司机证培训")
    ]


@pytest.mark.parametrize("value", [BIG_ID, "abc", 99999999999999999999, None, True])
async def test_no_consent_question_for_a_programme_that_is_not_there(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, value: Any
) -> None:
    events = await ActionAskEnrolConsent().run(dispatcher, tracker(slots={"programme_id": value}), domain)

    assert events == []
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("kind", "response"),
    [("after_school", "utter_ask_participant_name_child"), ("lecture", "utter_ask_participant_name")],
)
async def test_the_name_is_asked_for_the_child_or_the_participant(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, kind: str, response: str
) -> None:
    programme = add_programme(core, "课程", kind=kind)

    events = await ActionAskParticipantName().run(dispatcher, tracker(slots={"programme_id": programme}), domain)

    assert events == []
    assert responses(dispatcher.messages) == [response]


# --- validate_enrolment_form ------------------------------------------------------------

ENROLMENT = "enrolment_form"


async def test_enrolment_form_collects_for_an_open_programme(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    programme = add_programme(core, "四点半课堂")
    state = form_tracker(
        ENROLMENT, {"participant_name": "孩子叫王小明"}, slots={"programme_id": programme, "enrol_consent": True}
    )

    events = await ValidateEnrolmentForm().run(dispatcher, state, domain)

    assert events == [SlotSet("participant_name", "王小明")]  # the domain's slots: Rasa asks the phone next
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("programme", "consent"),
    [(None, None), ("missing", None), ("closed", None), ("not open", None), ("open", False)],
    ids=["no programme", "no such programme", "sign-up closed", "sign-up not open", "consent declined"],
)
async def test_enrolment_form_collects_nothing_when_there_is_nothing_to_sign_up_for(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, programme: Any, consent: Any
) -> None:
    ids = {
        None: None,
        "missing": BIG_ID,
        "closed": add_programme(core, "已截止", deadline=FIXED_TODAY - timedelta(days=1)),
        "not open": add_programme(core, "暑期", opens=FIXED_TODAY + timedelta(days=1)),
        "open": add_programme(core, "四点半课堂"),
    }
    state = tracker(
        "不同意", "deny", slots={"programme_id": ids[programme], "enrol_consent": consent}, active_loop=ENROLMENT
    )

    events = await ValidateEnrolmentForm().run(dispatcher, state, domain)

    assert events == [SlotSet("requested_slot", None)]
    assert dispatcher.messages == []


@pytest.mark.parametrize("name", ["王", "12345", "a" * 40, "王小明。；DROP"])
async def test_an_unreadable_name_is_asked_again(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, name: str
) -> None:
    programme = add_programme(core, "四点半课堂")
    state = form_tracker(
        ENROLMENT, {"participant_name": name}, slots={"programme_id": programme, "enrol_consent": True}
    )

    events = await ValidateEnrolmentForm().run(dispatcher, state, domain)

    assert events == [SlotSet("participant_name", None)]
    assert responses(dispatcher.messages) == ["utter_invalid_participant_name"]


@pytest.mark.parametrize(("answer", "phone"), [("138 1234 5678", "13812345678"), ("电话13912345678", "13912345678")])
async def test_a_mobile_number_as_written(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, answer: str, phone: str
) -> None:
    programme = add_programme(core, "四点半课堂")
    slots = {"programme_id": programme, "enrol_consent": True, "participant_name": "王小明"}

    events = await ValidateEnrolmentForm().run(
        dispatcher, form_tracker(ENROLMENT, {"contact_phone": answer}, slots=slots), domain
    )

    assert events == [SlotSet("contact_phone", phone)]
    assert dispatcher.messages == []


@pytest.mark.parametrize("answer", ["12345", "0355-2100000", "138123456789"])
async def test_a_number_that_is_not_a_mobile_is_asked_again(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, answer: str
) -> None:
    programme = add_programme(core, "四点半课堂")
    slots = {"programme_id": programme, "enrol_consent": True, "participant_name": "王小明"}

    events = await ValidateEnrolmentForm().run(
        dispatcher, form_tracker(ENROLMENT, {"contact_phone": answer}, slots=slots), domain
    )

    assert events == [SlotSet("contact_phone", None)]
    assert responses(dispatcher.messages) == ["utter_invalid_contact_phone"]


# --- action_enrol -----------------------------------------------------------------------


def signed(programme: Any, name: str = "王小明", consent: Any = True, age: Any = 8.0) -> Dict[str, Any]:
    return {
        "programme_id": programme,
        "enrol_consent": consent,
        "participant_name": name,
        "contact_phone": "13812345678",
        "child_age": age,
    }


async def test_a_sign_up_with_a_place_left_is_confirmed_and_the_details_forgotten(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    programme = add_programme(core, "四点半课堂", capacity=1)

    events = await ActionEnrol().run(dispatcher, tracker("13812345678", slots=signed(float(programme))), domain)

    assert events == CLEARED
    [message] = dispatcher.messages
    [(programme_id, name, phone, status, age)] = enrolments(core)
    assert (programme_id, name, phone, status, age) == (programme, "王小明", "13812345678", "confirmed", 8)
    enrolment_id = core.read(lambda s: s.scalar(select(Enrolment.id)))
    assert message["response"] == "utter_enrolled"
    assert (message["programme"], message["venue"], message["dates"], message["enrolment_id"]) == (
        "四点半课堂",
        "平顺县党群服务中心",
        "01月04日至01月29日",
        enrolment_id,
    )


async def test_a_full_programme_puts_the_child_on_the_waiting_list(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    programme = add_programme(core, "四点半课堂", capacity=1)
    await ActionEnrol().run(CollectingDispatcher(), tracker(slots=signed(programme, "李小红")), domain)

    events = await ActionEnrol().run(dispatcher, tracker(slots=signed(programme, "王小明")), domain)

    assert events == CLEARED
    [message] = dispatcher.messages
    assert (message["response"], message["programme"], message["position"]) == ("utter_waitlisted", "四点半课堂", 1)
    assert [e[3] for e in enrolments(core)] == ["confirmed", "waitlisted"]


async def test_the_same_child_twice_is_a_duplicate(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    programme = add_programme(core, "四点半课堂")
    await ActionEnrol().run(CollectingDispatcher(), tracker(slots=signed(programme)), domain)

    events = await ActionEnrol().run(dispatcher, tracker(slots=signed(programme)), domain)

    assert events == CLEARED
    [message] = dispatcher.messages
    assert (message["response"], message["name"], message["programme"]) == (
        "utter_enrolment_duplicate",
        "王小明",
        "四点半课堂",
    )
    assert len(enrolments(core)) == 1


async def test_consent_not_given_books_nothing(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    programme = add_programme(core, "四点半课堂")

    events = await ActionEnrol().run(dispatcher, tracker(slots=signed(programme, consent=False)), domain)

    assert events == CLEARED
    assert responses(dispatcher.messages) == ["utter_consent_declined"]
    assert enrolments(core) == []


async def test_a_programme_whose_sign_up_has_closed(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    programme = add_programme(core, "四点半课堂", deadline=FIXED_TODAY - timedelta(days=1))

    events = await ActionEnrol().run(dispatcher, tracker(slots=signed(programme)), domain)

    assert events == CLEARED
    assert [(m["response"], m["programme"]) for m in dispatcher.messages] == [("utter_enrolment_closed", "四点半课堂")]
    assert enrolments(core) == []


async def test_a_programme_whose_sign_up_opens_later(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    programme = add_programme(core, "暑期托管", opens=date(2027, 5, 20), deadline=date(2027, 7, 5))

    await ActionEnrol().run(dispatcher, tracker(slots=signed(programme, consent=None)), domain)

    [message] = dispatcher.messages
    assert (message["response"], message["programme"], message["opens"]) == (
        "utter_enrolment_not_open",
        "暑期托管",
        "5月20日",
    )
    assert enrolments(core) == []


@pytest.mark.parametrize(
    ("value", "consent"),
    [("abc", None), (99999999999999999999, None), (-3, None), (None, None), (BIG_ID, None), (BIG_ID, True)],
    ids=["text", "beyond 64 bits", "negative", "none", "no such programme", "no such programme, consented"],
)
async def test_a_programme_id_that_names_no_programme_is_not_found(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, value: Any, consent: Any
) -> None:
    events = await ActionEnrol().run(dispatcher, tracker(slots=signed(value, consent=consent)), domain)

    assert events == CLEARED
    assert responses(dispatcher.messages) == ["utter_enrolment_not_found"]
    assert enrolments(core) == []


# --- action_cancel_enrolment ------------------------------------------------------------


async def book(core: Services, programme: int, name: str, sender: str = SENDER) -> int:
    await ActionEnrol().run(CollectingDispatcher(), tracker(slots=signed(programme, name), sender=sender), {})
    return core.read(lambda s: s.scalar(select(Enrolment.id).order_by(Enrolment.id.desc())))


async def test_without_a_button_the_workers_sign_ups_are_listed_with_cancel_buttons(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    programme = add_programme(core, "四点半课堂", capacity=1)
    first = await book(core, programme, "王小明")
    second = await book(core, programme, "李小红")
    await book(core, programme, "赵大宝", sender="someone-else")

    events = await ActionCancelEnrolment().run(dispatcher, tracker("取消报名", "cancel_enrolment"), domain)

    assert events == []
    assert [(m["response"], variables(m)) for m in dispatcher.messages] == [
        (
            "utter_my_enrolment_waitlisted",
            {"id": second, "programme": "四点半课堂", "name": "李*红", "status": "waitlisted"},
        ),
        (
            "utter_my_enrolment_confirmed",
            {"id": first, "programme": "四点半课堂", "name": "王*明", "status": "confirmed"},
        ),
    ]


async def test_no_sign_ups_to_list(core: Services, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionCancelEnrolment().run(dispatcher, tracker("取消报名", "cancel_enrolment"), domain)

    assert responses(dispatcher.messages) == ["utter_my_enrolments_none"]


async def test_cancelling_frees_the_place_for_the_waiting_list(
    core: Services, dispatcher: CollectingDispatcher, domain: dict
) -> None:
    programme = add_programme(core, "四点半课堂", capacity=1)
    mine = await book(core, programme, "王小明")
    await book(core, programme, "李小红", sender="someone-else")

    events = await ActionCancelEnrolment().run(
        dispatcher, tracker("/cancel_enrolment", "cancel_enrolment", [("enrolment_id", float(mine))]), domain
    )

    assert events == [SlotSet("enrolment_id", None)]
    assert [(m["response"], m["programme"]) for m in dispatcher.messages] == [
        ("utter_enrolment_cancelled", "四点半课堂")
    ]
    assert [e[3] for e in enrolments(core)] == ["cancelled", "confirmed"]


@pytest.mark.parametrize("value", ["theirs", "again", BIG_ID])
async def test_a_sign_up_that_is_not_the_workers_or_is_gone_is_not_found(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, value: Any
) -> None:
    programme = add_programme(core, "四点半课堂")
    theirs = await book(core, programme, "李小红", sender="someone-else")
    mine = await book(core, programme, "王小明")
    if value == "again":
        await ActionCancelEnrolment().run(CollectingDispatcher(), tracker(entities=[("enrolment_id", mine)]), domain)
    enrolment_id = {"theirs": theirs, "again": mine}.get(value, value)

    events = await ActionCancelEnrolment().run(dispatcher, tracker(entities=[("enrolment_id", enrolment_id)]), domain)

    assert events == [SlotSet("enrolment_id", None)]
    assert responses(dispatcher.messages) == ["utter_enrolment_not_found"]
    assert enrolments(core)[0][3] == "confirmed"  # someone else's sign-up stays


@pytest.mark.parametrize("value", [99999999999999999999, "abc", -1, True])
async def test_an_enrolment_id_that_cannot_be_one_lists_the_sign_ups_instead(
    core: Services, dispatcher: CollectingDispatcher, domain: dict, value: Any
) -> None:
    programme = add_programme(core, "四点半课堂")
    mine = await book(core, programme, "王小明")

    events = await ActionCancelEnrolment().run(dispatcher, tracker(entities=[("enrolment_id", value)]), domain)

    assert events == []
    assert [(m["response"], m["id"]) for m in dispatcher.messages] == [("utter_my_enrolment_confirmed", mine)]
    assert enrolments(core)[0][3] == "confirmed"
