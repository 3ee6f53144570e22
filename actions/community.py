"""Community pass guidance, FAQ answers and topic answers (volunteering, union)."""

from __future__ import annotations

from typing import Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions import unanswered
from actions.runtime import (
    district_of,
    entity_value,
    faq_search,
    in_thread,
    latest_intent,
    latest_text,
    read_in_thread,
    utter_faq,
    worker_of,
)
from core import community, faq, validation, workers


class ActionCommunityPass(Action):
    """How to get the rider pass in the worker's district, or which district they mean."""

    def name(self) -> Text:
        return "action_community_pass"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        district: Optional[str] = tracker.get_slot("district")
        if not district:
            dispatcher.utter_message(response="utter_pass_ask_district")
            return []
        worker = worker_of(tracker)

        def load(session: Session) -> Optional[Dict[str, str]]:
            workers.remember_district(session, worker, district)
            guide = community.pass_guide(session, district)
            if guide is None:
                return None
            return {"how_to_apply": guide.how_to_apply, "honoured_at": guide.honoured_at, "contact": guide.contact}

        guide = await in_thread(load)
        if guide is None:
            dispatcher.utter_message(response="utter_pass_unknown_district", district=district)
        else:
            dispatcher.utter_message(response="utter_pass_guide", district=district, **guide)
        return []


class ActionAnswerFaq(Action):
    """Answer from the FAQ table at question time; unsure, offer the closest questions."""

    def name(self) -> Text:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        chosen = validation.record_id(entity_value(tracker, "faq_id"))
        if chosen is not None:
            entry = await read_in_thread(lambda s: faq.entry(s, chosen))
            if entry:
                utter_faq(dispatcher, entry)
                return [SlotSet("faq_id", None)]
        matches = await faq_search(latest_text(tracker), district=district_of(tracker))
        unanswered_as = answer_or_suggest(dispatcher, matches)
        if unanswered_as:  # no entry clearly fits: the review inbox shows what riders asked
            await unanswered.keep(tracker, unanswered_as)
        return [SlotSet("faq_id", None)]


def answer_or_suggest(dispatcher: CollectingDispatcher, matches: List[faq.FaqMatch]) -> Optional[str]:
    """The best answer when it clearly fits, else buttons for the close ones, else a person.

    Returns None when it answered, else the review inbox's reason (a question back, or nothing found).
    """
    reply = faq.reply_to(matches)
    if reply.answer:
        utter_faq(dispatcher, reply.answer)
        return None
    if reply.offered:
        buttons = [{"title": m.question, "payload": f'/faq{{"faq_id": {m.entry_id}}}'} for m in reply.offered]
        dispatcher.utter_message(response="utter_faq_suggestions", buttons=buttons)
        return "clarification"
    dispatcher.utter_message(response="utter_topic_none")
    return "fallback"


class ActionTopicAnswer(Action):
    """Volunteering and registration: the FAQ entries written for that intent."""

    def name(self) -> Text:
        return "action_topic_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = latest_intent(tracker)
        matches = await faq_search(latest_text(tracker), intent=intent, limit=1, district=district_of(tracker))
        # The worker's words share nothing with the entries: give the intent's first one.
        best = matches[0] if matches else await read_in_thread(lambda s: faq.first_of_intent(s, intent))
        if best:
            utter_faq(dispatcher, best)
        else:
            dispatcher.utter_message(response="utter_topic_none")
        return []
