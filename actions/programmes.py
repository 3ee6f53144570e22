"""Childcare and training: asking district and age, listing programmes with places left."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.runtime import day_text, entity_value, in_thread, read_in_thread, services, skip_cleared, worker_of
from core import gazetteer, programmes, validation, workers

CHILD_AGE_RANGE = (3, 16)


class ValidateChildcareForm(FormValidationAction):
    """District (skipped when known) and the child's age, each re-asked with a hint."""

    def name(self) -> Text:
        return "validate_childcare_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot("district"):
            return [slot for slot in domain_slots if slot != "district_text"]
        return domain_slots

    @skip_cleared
    async def validate_district_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "")
        district = await read_in_thread(lambda s: gazetteer.district_named(s, text))
        if district is None:
            dispatcher.utter_message(response="utter_invalid_district")
            return {"district_text": None}
        return {"district_text": text, "district": district}

    @skip_cleared
    async def validate_child_age(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        age = value if isinstance(value, (int, float)) else validation.parse_age(str(value or ""))
        low, high = CHILD_AGE_RANGE
        if age is None or not low <= age <= high:
            dispatcher.utter_message(response="utter_invalid_child_age")
            return {"child_age": None}
        return {"child_age": float(int(age))}


PROGRAMMES = "programmes"


def programme_fields(view: programmes.ProgrammeView, index: int) -> Dict[str, Any]:
    p = view.programme
    return {
        "index": index,
        "title": p.title,
        "start": day_text(p.start_date),
        "end": day_text(p.end_date),
        "schedule": p.schedule,
        "venue": p.venue,
        "fee": p.fee,
        "places_left": view.places_left,
        "deadline": day_text(p.signup_deadline),
        "opens": day_text(p.signup_opens) if p.signup_opens else "",
    }


def enrol_buttons(views: List[programmes.ProgrammeView], today: date) -> List[Dict[str, str]]:
    """A sign-up button for each programme whose sign-up is open now."""
    return [
        {"title": v.programme.title, "payload": f'/enrol{{"programme_id": {v.programme.id}}}'}
        for v in views
        if programmes.is_open_for_signup(v.programme, today)
    ]


def utter_programmes(
    dispatcher: CollectingDispatcher, views: List[programmes.ProgrammeView], today: date, start: int = 1
) -> None:
    """Each programme (with when sign-up opens, if it has not yet), then the sign-up buttons."""
    for index, view in enumerate(views, start):
        opens_later = not programmes.is_open_for_signup(view.programme, today)
        response = "utter_programme_item_not_open" if opens_later else "utter_programme_item"
        dispatcher.utter_message(response=response, **programme_fields(view, index))
    buttons = enrol_buttons(views, today)
    if buttons:
        dispatcher.utter_message(response="utter_programmes_choose", buttons=buttons)


def not_open_yet(views: List[programmes.ProgrammeView], today: date) -> Optional[date]:
    """The first opening day when no listed programme takes sign-ups yet (out of season)."""
    if not views or any(programmes.is_open_for_signup(v.programme, today) for v in views):
        return None
    return min((v.programme.signup_opens for v in views if v.programme.signup_opens), default=None)


def remember(ids: List[int], query: Dict[str, Any]) -> List[EventType]:
    """The list and the query behind it, for `第二个` and `还有别的吗`."""
    kept = {k: v for k, v in query.items() if k in ("childcare", "district", "age")}
    return [SlotSet("last_answer", {"kind": PROGRAMMES, "ids": ids, **kept})]


def ids_of(views: List[programmes.ProgrammeView]) -> List[int]:
    return [v.programme.id for v in views]


class ActionListChildcare(Action):
    """Programmes of the district that take a child of this age, with places left and when sign-up opens."""

    def name(self) -> Text:
        return "action_list_childcare"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        district: str = tracker.get_slot("district")
        age = validation.whole_number(tracker.get_slot("child_age")) or 0
        today = services().clock.today()
        worker = worker_of(tracker)

        def load(session: Session) -> List[programmes.ProgrammeView]:
            workers.remember_district(session, worker, district)
            return programmes.childcare_for(session, district, age, today)

        views = await in_thread(load)
        if not views:
            dispatcher.utter_message(response="utter_programmes_none", district=district, age=age)
            return [SlotSet("district_text", None)]
        opens = not_open_yet(views, today)
        if opens:
            dispatcher.utter_message(
                response="utter_programmes_not_open", district=district, age=age, opens=day_text(opens)
            )
        else:
            dispatcher.utter_message(response="utter_programmes_found", district=district, age=age)
        utter_programmes(dispatcher, views, today)
        query = {"childcare": True, "district": district, "age": age}
        return [SlotSet("district_text", None), *remember(ids_of(views), query)]


class ActionListTraining(Action):
    """Upcoming training courses and 暖新讲堂 lectures, the worker's district first."""

    def name(self) -> Text:
        return "action_list_training"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        district: Optional[str] = tracker.get_slot("district")
        today = services().clock.today()
        views = await read_in_thread(lambda s: programmes.upcoming_training(s, today, district))
        if not views:
            dispatcher.utter_message(response="utter_training_none")
            return []
        dispatcher.utter_message(response="utter_training_found")
        utter_programmes(dispatcher, views, today)
        return remember(ids_of(views), {"childcare": False, "district": district})


async def follow_up(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
    """`第二个` (that programme and its sign-up button) or `还有别的吗` (the next ones) after a list."""
    answer = tracker.get_slot("last_answer") or {}
    ids = [int(i) for i in answer.get("ids") or []]
    today = services().clock.today()
    if "more" in set(tracker.get_latest_entity_values("followup")):
        views = await read_in_thread(lambda s: programmes.more_like(s, answer, ids, today))
        if not views:
            dispatcher.utter_message(response="utter_programmes_no_more")
            return []
        utter_programmes(dispatcher, views, today, start=len(ids) + 1)
        return remember([*ids, *ids_of(views)], answer)
    ordinal = entity_value(tracker, "ordinal")
    views = await read_in_thread(lambda s: programmes.views_of(s, ids))
    if ordinal is None or not views or not (int(ordinal) == -1 or 1 <= int(ordinal) <= len(views)):
        dispatcher.utter_message(response="utter_follow_up_no_such", count=len(views))
        return []
    index = len(views) if int(ordinal) == -1 else int(ordinal)
    utter_programmes(dispatcher, [views[index - 1]], today, start=index)
    return []
