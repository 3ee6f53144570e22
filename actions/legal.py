"""Legal first steps that fit the rider's working relationship, short first, and where to get help."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.runtime import (
    district_of,
    entity_value,
    in_thread,
    latest_intent,
    latest_text,
    read_in_thread,
    services,
    worker_of,
)
from actions.stations import link_buttons
from core import legal, nearby, workers

LEGAL = "legal"
LAWYER = "lawyer"
# The names the aspects have in the answer the rider reads (domain responses utter_legal_<aspect>).
ASPECT_RESPONSES = {aspect: f"utter_legal_{aspect}" for aspect in ("evidence", "deadlines", "where")}


def relationship_in(tracker: Tracker) -> Optional[str]:
    """The relationship the latest message names (a specific one before 不清楚), else the one known."""
    named = set(tracker.get_latest_entity_values("work_relationship"))
    specific = [r for r in legal.RELATIONSHIPS if r in named and r != legal.UNKNOWN]
    if specific:
        return specific[0]
    if legal.UNKNOWN in named:
        return legal.UNKNOWN
    return tracker.get_slot("work_relationship")


def context(topic: str, asked: bool = False) -> Dict[str, Any]:
    return {"kind": LEGAL, "topic": topic, "asked": asked}


class ActionLegalGuide(Action):
    """The topic's summary and first steps for the rider's relationship; asks it first where it matters.

    Asking the same topic again gets the short form; the other parts (evidence,
    deadlines, where to go, a lawyer) are buttons, answered by `follow_up`.
    """

    def name(self) -> Text:
        return "action_legal_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = latest_intent(tracker)
        if intent not in legal.LEGAL_INTENTS:
            intent = tracker.get_slot("legal_topic") or "legal_aid_general"
        text = latest_text(tracker)
        topic = await read_in_thread(lambda s: legal.topic_for(s, intent, text))
        events: List[EventType] = [SlotSet("ticket_intent", intent), SlotSet("legal_topic", intent)]
        if topic is None:
            dispatcher.utter_message(response="utter_legal_hotline")
            return events
        relationship = relationship_in(tracker)
        if relationship is not None:
            events.append(SlotSet("work_relationship", relationship))
        if topic.asks_relationship and relationship is None:
            dispatcher.utter_message(response="utter_legal_ask_relationship", title=topic.title)
            return [*events, SlotSet("last_answer", context(topic.key, asked=True))]
        previous = tracker.get_slot("last_answer") or {}
        repeat = previous.get("kind") == LEGAL and previous.get("topic") == topic.key and not previous.get("asked")
        await _answer(dispatcher, topic.key, relationship, short=repeat)
        return [*events, SlotSet("last_answer", context(topic.key))]


async def _answer(dispatcher: CollectingDispatcher, topic_key: str, relationship: Optional[str], short: bool) -> None:
    today = services().clock.today()

    def load(session: Session) -> Optional[legal.Answer]:
        topic = legal.topic_named(session, topic_key)
        return legal.answer(session, topic, relationship, today) if topic else None

    found = await read_in_thread(load)
    if found is None:
        dispatcher.utter_message(response="utter_legal_hotline")
        return
    dispatcher.utter_message(
        response="utter_legal_again" if short else "utter_legal_first",
        title=found.title,
        summary=found.text("summary"),
        steps=found.text("steps"),
    )


async def follow_up(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
    """After a legal answer: the relationship asked for, one part of the answer, or legal aid near by."""
    answer = tracker.get_slot("last_answer") or {}
    topic_key = str(answer.get("topic") or "")
    named = set(tracker.get_latest_entity_values("work_relationship"))
    if named:
        relationship = relationship_in(tracker)
        await _answer(dispatcher, topic_key, relationship, short=False)
        return [SlotSet("work_relationship", relationship), SlotSet("last_answer", context(topic_key))]
    aspect = entity_value(tracker, "legal_aspect")
    if aspect == LAWYER or (aspect is None and entity_value(tracker, "district")):
        return await _aid_point(dispatcher, tracker)
    if answer.get("asked"):
        # The question is still open: an aspect cannot be answered before the relationship is known.
        dispatcher.utter_message(response="utter_legal_ask_relationship_again")
        return []
    today = services().clock.today()
    relationship = tracker.get_slot("work_relationship")

    def load(session: Session) -> Optional[legal.Answer]:
        topic = legal.topic_named(session, topic_key)
        return legal.answer(session, topic, relationship, today) if topic else None

    found = await read_in_thread(load)
    response = ASPECT_RESPONSES.get(str(aspect))
    if found is None or response is None or not found.text(str(aspect)):
        dispatcher.utter_message(response="utter_legal_hotline")
        return []
    dispatcher.utter_message(response=response, title=found.title, detail=found.text(str(aspect)))
    return []


async def _aid_point(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """The legal-aid point nearest to where the rider is (or their district), and the 12348 hotline."""
    origin = nearby.Origin.from_dict(tracker.get_slot("search_origin"))
    district = district_of(tracker)
    if origin is None and not district:
        dispatcher.utter_message(response="utter_legal_ask_district")
        return []
    worker = worker_of(tracker)

    def load(session: Session) -> Optional[Dict[str, Any]]:
        if district:
            workers.remember_district(session, worker, district)
        near = origin if origin is not None and not entity_value(tracker, "district") else None
        point = legal.nearest_aid_point(session, district, near.lat if near else None, near.lon if near else None)
        if point is None:
            return None
        fields = {k: getattr(point, k) for k in ("name", "address", "phone", "hours")}
        return {**fields, "buttons": link_buttons(point.name, point.lat, point.lon, point.phone)}

    point = await in_thread(load)
    if point:
        dispatcher.utter_message(response="utter_legal_aid_point", **point)
    dispatcher.utter_message(response="utter_legal_hotline")
    return [SlotSet("district", district)] if district else []
