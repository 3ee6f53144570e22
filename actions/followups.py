"""A question about the last answer, handed to the area that gave it (nlu.followup_policy decides)."""

from __future__ import annotations

from typing import Awaitable, Callable, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import legal, programmes, stations

FollowUp = Callable[[CollectingDispatcher, Tracker, DomainDict], Awaitable[List[EventType]]]
# Kind of the last answer (slot `last_answer`) → the area's follow-up handler.
HANDLERS: Dict[str, FollowUp] = {
    stations.STATIONS: stations.follow_up,
    legal.LEGAL: legal.follow_up,
    programmes.PROGRAMMES: programmes.follow_up,
}


class ActionFollowUp(Action):
    """`第二个怎么走` after a station list, `那证据怎么留` after a legal answer, `第一个多少钱` after programmes."""

    def name(self) -> Text:
        return "action_follow_up"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        answer = tracker.get_slot("last_answer")
        handler = HANDLERS.get(str(answer.get("kind"))) if isinstance(answer, dict) else None
        if handler is None:
            dispatcher.utter_message(response="utter_follow_up_nothing")
            return []
        return await handler(dispatcher, tracker, domain)
