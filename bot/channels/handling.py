"""Handing a worker's message to the assistant, the same way on every channel.

A failure while handling is logged, never passed to the worker as silence: if
the assistant said nothing and staff do not own the conversation (when silence
is intended), the worker is asked to try again, in the domain's words.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.channels.replies import domain_messages, staff_own_conversation
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
    output: OutputChannel,
    produced: Callable[[], int],
    text: Text,
    sender: Text,
    channel: Text,
    metadata: Optional[Dict[Text, Any]] = None,
) -> None:
    """Run one message through the assistant; `produced()` counts what `output` sent."""
    before = produced()
    try:
        await on_new_message(UserMessage(text, output, sender, input_channel=channel, metadata=metadata))
    except asyncio.CancelledError:
        logger.warning("handling a %s message from %s was cancelled", channel, sender)
    except Exception:
        logger.exception("handling a %s message from %s failed", channel, sender)
    if produced() > before or await staff_own_conversation(agent, sender):
        return
    for message in domain_messages(agent, "utter_try_again", sender):
        await output.send_text_message(sender, message["text"])
