"""What every action needs: the domain services, the worker's identity, and threads.

The action server runs every action on one event loop; database work runs in a
worker thread (`in_thread`) so one slow query never stalls the other riders.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import date
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from core import validation
from core.faq import FaqMatch
from core.services import Services, from_environment
from core.workers import WorkerRef

T = TypeVar("T")
ACTION_LISTEN = "action_listen"
# Metadata key of a message handed to the policies a second time (`redispatch`).
REDISPATCHED = "redispatched"


def services() -> Services:
    """The process's services, built on first use from the environment."""
    return from_environment()


async def in_thread(work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction on a worker thread."""
    return await asyncio.to_thread(services().transaction, work)


async def read_in_thread(work: Callable[[Session], T]) -> T:
    """Run `work(session)`, a lookup that writes nothing, on a worker thread."""
    return await asyncio.to_thread(services().read, work)


async def faq_search(
    text: str, intent: Optional[str] = None, limit: int = 3, district: Optional[str] = None
) -> List[FaqMatch]:
    """FAQ entries for a question, from the index the retriever keeps fresh; those written for `district`
    (the rider's) before those written for another."""
    return await asyncio.to_thread(services().faq.search, text, limit, intent, district)


def utter_faq(dispatcher: CollectingDispatcher, match: FaqMatch) -> None:
    """An FAQ entry's answer; the message carries the entry's id, so a rider's 👍/👎 names the entry."""
    dispatcher.utter_message(
        response="utter_faq_answer", question=match.question, answer=match.answer, faq_id=match.entry_id
    )


def worker_of(tracker: Tracker) -> WorkerRef:
    """The worker behind a conversation: input channel and sender id."""
    return WorkerRef(tracker.get_latest_input_channel() or "rest", tracker.sender_id)


def entity_value(tracker: Tracker, entity: str) -> Optional[Any]:
    """The first value of an entity in the latest message."""
    return next(tracker.get_latest_entity_values(entity), None)


def district_of(tracker: Tracker) -> Optional[str]:
    """The district the rider's question is about: named in this message, else the one they gave before."""
    return entity_value(tracker, "district") or tracker.get_slot("district") or None


def shared_location(tracker: Tracker) -> Optional[Tuple[float, float]]:
    """The location the rider shared, if the slots hold a usable one (a bad payload holds none)."""
    return validation.coordinates(tracker.get_slot("latitude"), tracker.get_slot("longitude"))


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def skip_cleared(validate: Callable[..., Awaitable[Dict[str, Any]]]) -> Callable[..., Awaitable[Dict[str, Any]]]:
    """For a `validate_<slot>` method: a slot another action just cleared needs no check.

    rasa-sdk validates every slot set since the user's message, also those an
    action reset to None before the form started; without this the worker would
    be told their (not yet given) answer is wrong.
    """
    slot = validate.__name__.removeprefix("validate_")

    @functools.wraps(validate)
    async def checked(self: Any, value: Any, *args: Any) -> Dict[str, Any]:
        if value is None:
            return {slot: None}
        return await validate(self, value, *args)

    return checked


def redispatch(tracker: Tracker) -> List[Dict[str, Any]]:
    """Events that hand the rider's latest message to the policies once more.

    For an action that finds the message was not its to handle (the hand-off
    had ended on the way): after these events the message is answered by its
    own flow, as if it had just arrived. The copy is marked, so histories and
    transcripts show the message once.
    """
    message = tracker.latest_message
    return [
        ActionExecuted(ACTION_LISTEN),
        {
            "event": "user",
            "text": message.get("text"),
            "parse_data": {key: message.get(key) for key in ("intent", "entities", "intent_ranking", "text")},
            "input_channel": tracker.get_latest_input_channel(),
            "metadata": {**(message.get("metadata") or {}), REDISPATCHED: True},
        },
    ]


def day_text(day: date) -> str:
    """A date as riders write it: 5月20日."""
    return f"{day.month}月{day.day}日"


def line(domain: Dict[str, Any], response: str, **values: Any) -> str:
    """The text of a domain response filled in, for a line inside a longer message."""
    variants = (domain.get("responses") or {}).get(response) or [{}]
    return str(variants[0].get("text", "")).format(**values)


def reset(*slots: str) -> List[Dict[str, Any]]:
    """SlotSet events that clear the given slots."""
    return [SlotSet(slot, None) for slot in slots]
