"""Childcare and training: asking district and age, listing programmes with places left."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import in_thread, read_in_thread, services, skip_cleared, worker_of
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


def programme_fields(view: programmes.ProgrammeView, index: int) -> Dict[str, Any]:
    p = view.programme
    return {
        "index": index,
        "title": p.title,
        "start": f"{p.start_date.month}月{p.start_date.day}日",
        "end": f"{p.end_date.month}月{p.end_date.day}日",
        "schedule": p.schedule,
        "venue": p.venue,
        "fee": p.fee,
        "places_left": view.places_left,
        "deadline": f"{p.signup_deadline.month}月{p.signup_deadline.day}日",
    }


def enrol_buttons(views: List[programmes.ProgrammeView]) -> List[Dict[str, str]]:
    return [{"title": v.programme.title, "payload": f'/enrol{{"programme_id": {v.programme.id}}}'} for v in views]


class ActionListChildcare(Action):
    """Programmes of the district that take a child of this age, with places left."""

    def name(self) -> Text:
        return "action_list_childcare"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        district: str = tracker.get_slot("district")
        age = int(tracker.get_slot("child_age") or 0)
        today = services().clock.today()
        worker = worker_of(tracker)

        def load(session: Any) -> List[programmes.ProgrammeView]:
            workers.remember_district(session, worker, district)
            return programmes.childcare_for(session, district, age, today)

        views = await in_thread(load)
        if not views:
            dispatcher.utter_message(response="utter_programmes_none", district=district, age=age)
            return [SlotSet("district_text", None)]
        dispatcher.utter_message(response="utter_programmes_found", district=district, age=age)
        for index, view in enumerate(views, 1):
            dispatcher.utter_message(response="utter_programme_item", **programme_fields(view, index))
        dispatcher.utter_message(response="utter_programmes_choose", buttons=enrol_buttons(views))
        return [SlotSet("district_text", None)]


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
        for index, view in enumerate(views, 1):
            dispatcher.utter_message(response="utter_programme_item", **programme_fields(view, index))
        dispatcher.utter_message(response="utter_programmes_choose", buttons=enrol_buttons(views))
        return []
