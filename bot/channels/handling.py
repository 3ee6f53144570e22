"""Handing a worker's message to the assistant, the same way on every channel.

The assistant's replies are collected while it works and delivered only once
the turn is saved: if anything fails on the way (the action server, the
database), the worker gets none of a half-done answer but a polite request to
try again, in the domain's words, and nothing they saw is missing from the
conversation's record. Silence is passed on only when staff own the
conversation, where it is intended.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.replies import domain_messages, staff_own_conversation
from bot.stores.tracker_store import TrackerStoreUnavailable
from core.tickets import PHOTO_PLACEHOLDER

logger = logging.getLogger(__name__)
PHOTO_TEXT = PHOTO_PLACEHOLDER
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def location_payload(latitude: float, longitude: float) -> Text:
    """A shared location as an intent payload: coordinates never go to the NLU as text."""
    return f'/share_location{{"latitude": {latitude:.6f}, "longitude": {longitude:.6f}}}'


async def answer(
    agent: Any,
    on_new_message: OnNewMessage,
    text: Text,
    sender: Text,
    channel: Text,
    metadata: Optional[Dict[Text, Any]] = None,
) -> List[Dict[Text, Any]]:
    """The assistant's replies to one message, as Rasa's collecting channel shapes them."""
    collector = CollectingOutputChannel()
    try:
        await on_new_message(UserMessage(text, collector, sender, input_channel=channel, metadata=metadata))
    except asyncio.CancelledError:
        logger.warning("handling a %s message from %s was cancelled", channel, sender)
        return domain_messages(agent, "utter_try_again", sender)
    except (Exception, TrackerStoreUnavailable):
        logger.exception("handling a %s message from %s failed", channel, sender)
        return domain_messages(agent, "utter_try_again", sender)
    if collector.messages or await staff_own_conversation(agent, sender):
        return collector.messages
    return domain_messages(agent, "utter_try_again", sender)


def as_rendered(message: Dict[Text, Any]) -> Dict[Text, Any]:
    """A collected message as a `Sender` takes it: text and buttons."""
    rendered: Dict[Text, Any] = {"text": message.get("text") or message.get("image") or ""}
    if message.get("buttons"):
        rendered["buttons"] = message["buttons"]
    return rendered
