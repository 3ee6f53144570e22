"""Legal first steps, the nearest legal-aid point and the 12348 hotline."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import in_thread, latest_intent, read_in_thread, worker_of
from core import geo, legal, workers


def aid_point_fields(point: Any) -> Dict[str, Any]:
    return {
        "name": point.name,
        "address": point.address,
        "phone": point.phone,
        "hours": point.hours,
        "map": geo.amap_link(point.lat, point.lon, point.name),
    }


class ActionLegalGuide(Action):
    """The guide for the intent, then the aid point for the worker's district (or the question)."""

    def name(self) -> Text:
        return "action_legal_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = latest_intent(tracker)
        if intent not in legal.LEGAL_INTENTS:
            intent = "legal_aid_general"
        district: Optional[str] = tracker.get_slot("district")

        def load(session: Any) -> tuple:
            guide = legal.guide(session, intent)
            point = legal.nearest_aid_point(session, district) if district else None
            return (
                {c: getattr(guide, c) for c in ("title", "steps", "evidence", "deadlines", "where_to_go")}
                if guide
                else None,
                aid_point_fields(point) if point else None,
            )

        guide, point = await read_in_thread(load)
        if guide:
            dispatcher.utter_message(response="utter_legal_guide", **guide)
        if point:
            dispatcher.utter_message(response="utter_legal_aid_point", **point)
        else:
            dispatcher.utter_message(response="utter_legal_ask_district")
        dispatcher.utter_message(response="utter_legal_hotline")
        return [SlotSet("ticket_intent", intent)]


class ActionLegalAidPoint(Action):
    """After the worker names a district: the nearest legal-aid point there."""

    def name(self) -> Text:
        return "action_legal_aid_point"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        district = tracker.get_slot("district")
        if not district:
            dispatcher.utter_message(response="utter_invalid_district")
            return []
        worker = worker_of(tracker)

        def load(session: Any) -> Optional[Dict[str, Any]]:
            workers.remember_district(session, worker, district)
            point = legal.nearest_aid_point(session, district)
            return aid_point_fields(point) if point else None

        point = await in_thread(load)
        if point:
            dispatcher.utter_message(response="utter_legal_aid_point", **point)
        dispatcher.utter_message(response="utter_legal_hotline")
        return []
