"""Session start, low-confidence messages, and leaving a form."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, EventType, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import unanswered
from actions.runtime import (
    district_of,
    faq_search,
    latest_text,
    read_in_thread,
    redispatch,
    reset,
    utter_faq,
    worker_of,
)
from core import faq, topics, workers

# Intents never offered as a button: they are not things a worker wants done.
NOT_OFFERED = {"nlu_fallback", "out_of_scope", "inform", "affirm", "deny", "greet", "goodbye", "thanks"}
# Slots kept when a new session starts.
CARRIED_SLOTS = ("district", "handoff", "ticket_number", "rating_ticket")
# Slots a form may have left half-filled.
FORM_SLOTS = (
    "location_text",
    "district_text",
    "child_age",
    "enrol_consent",
    "participant_name",
    "contact_phone",
    "ticket_description",
    "ticket_place",
)


class ActionSessionStart(Action):
    """Start a session and restore what the worker profile remembers (the district)."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        # Slots the worker relies on across sessions; everything else starts afresh.
        for slot in CARRIED_SLOTS:
            if tracker.get_slot(slot) is not None:
                events.append(SlotSet(slot, tracker.get_slot(slot)))
        if not tracker.get_slot("district"):
            worker = worker_of(tracker)
            district = await read_in_thread(lambda s: workers.remembered_district(s, worker))
            if district:
                events.append(SlotSet("district", district))
        events.append(ActionExecuted("action_listen"))
        return events


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many user messages in a row ended in `nlu_fallback`, the latest included."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") == "nlu_fallback":
            count += 1
        else:
            break
    return count


class ActionHandleFallback(Action):
    """Low confidence: answer from the FAQ if one fits, else ask with the likeliest intents.

    A second failure in a row hands the conversation to staff.
    """

    def name(self) -> Text:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = latest_text(tracker)
        if not text.strip():
            dispatcher.utter_message(response="utter_please_rephrase")
            return []
        reply = faq.reply_to(await faq_search(text, district=district_of(tracker)))
        if reply.answer:
            utter_faq(dispatcher, reply.answer)
            return []
        if consecutive_fallbacks(tracker) >= 2:
            dispatcher.utter_message(response="utter_clarify_handoff")
            await unanswered.keep(tracker, "handoff")
            return [SlotSet("ticket_intent", "request_human"), FollowupAction("action_start_ticket")]
        ranking = [r.get("name") for r in tracker.latest_message.get("intent_ranking") or []]
        ranked = [name for name in ranking if name not in NOT_OFFERED]
        choices = await read_in_thread(lambda s: topics.clarification_choices(s, ranked, limit=3))
        buttons = [{"title": t.label, "payload": f"/{t.intent}"} for t in choices]
        offered = [{"title": m.question, "payload": f'/faq{{"faq_id": {m.entry_id}}}'} for m in reply.offered]
        buttons += offered[: max(0, 4 - len(buttons))]
        if buttons:
            dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_clarify_none")
        await unanswered.keep(tracker, "clarification" if buttons else "fallback")
        return []


class ActionLeaveForm(Action):
    """The worker said no or goodbye inside a form: stop it and clear what it collected."""

    def name(self) -> Text:
        return "action_leave_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_anything_else")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset(*FORM_SLOTS)]


class ActionChangeTopic(Action):
    """The rider asked something else while a form waited (nlu.digression_policy): close the form,
    forget what it collected, and answer the new message by its own flow."""

    def name(self) -> Text:
        return "action_change_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset(*FORM_SLOTS), *redispatch(tracker)]
