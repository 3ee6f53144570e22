"""Handing a worker's message to the assistant, the same way on every channel.

The assistant's replies are collected while it works and delivered only once
the turn is saved: if anything fails on the way (the action server, the
database), the worker gets none of a half-done answer but a polite request to
try again, in the domain's words, and nothing they saw is missing from the
conversation's record. Silence is passed on only when staff own the
conversation, where it is intended.

Rasa interleaves every message in flight at each of its awaits (tracker
store, action server), so under load a message with several awaits queues
behind all the others several times over and the slowest replies take many
times the typical one. A Rasa process therefore works on a few messages at a
time (`RASA_MESSAGES_AT_ONCE`, default 2: one runs while the other
waits for the action server or the database) and the rest wait their turn in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage

from bot.channels import buttons, unanswered_turns
from bot.channels.answer_sources import ANSWER_ID, SourcedCollector
from bot.channels.replies import domain_messages, staff_own_conversation
from bot.stores.tracker_store import TrackerStoreUnavailable
from core import safe_text
from core.settings import Settings
from core.workers import WorkerRef

logger = logging.getLogger(__name__)
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
MAX_SENDER_CHARS = 128


def location_payload(latitude: float, longitude: float) -> Text:
    """A shared location as an intent payload: coordinates never go to the NLU as text."""
    return f'/share_location{{"latitude": {latitude:.6f}, "longitude": {longitude:.6f}}}'


def admission(app: Any) -> asyncio.Semaphore:
    """The Sanic app's turnstile for messages (see the module docstring)."""
    if getattr(app.ctx, "admission", None) is None:
        app.ctx.admission = asyncio.Semaphore(Settings.from_env().messages_at_once)
    return app.ctx.admission


async def answer(
    app: Any,
    on_new_message: OnNewMessage,
    text: Text,
    sender: Text,
    channel: Text,
    metadata: Optional[Dict[Text, Any]] = None,
) -> List[Dict[Text, Any]]:
    """The assistant's replies to one message, as Rasa's collecting channel shapes them.

    Every channel's messages pass here, so this is where text from outside is made safe.
    """
    agent = app.ctx.agent
    collector = SourcedCollector()
    text = safe_text.clean(text) if isinstance(text, str) else ""
    sender = safe_text.clean(sender, MAX_SENDER_CHARS)
    try:
        metadata = safe_text.clean_json(metadata) if metadata else metadata
    except safe_text.TooDeep:
        metadata = None
    try:
        async with admission(app):
            text = await numbered_choice(agent, sender, text)
            await on_new_message(UserMessage(text, collector, sender, input_channel=channel, metadata=metadata))
    except asyncio.CancelledError:
        logger.warning("handling a %s message from %s was cancelled", channel, sender)
        return domain_messages(agent, "utter_try_again", sender)
    except (Exception, TrackerStoreUnavailable):
        logger.exception("handling a %s message from %s failed", channel, sender)
        return domain_messages(agent, "utter_try_again", sender)
    if collector.messages or await staff_own_conversation(agent, sender):
        await unanswered_turns.keep(WorkerRef(channel, sender), text, collector.messages)
        return collector.messages
    return domain_messages(agent, "utter_try_again", sender)


async def numbered_choice(agent: Any, sender: Text, text: Text) -> Text:
    """A lone digit picks that choice of the assistant's last message, on every channel.

    WeChat shows choices as numbered lines, and riders type the number on any
    channel; a digit the last message offered no choice for stays a digit.
    """
    if not buttons.is_digit_choice(text):
        return text  # no need to read the conversation
    tracker = await agent.tracker_store.retrieve(sender)
    return buttons.pick(buttons.last_buttons(tracker.events if tracker else []), text) or text


def as_rendered(message: Dict[Text, Any]) -> Dict[Text, Any]:
    """A collected message as a `Sender` takes it: text, buttons and the id of an answer to rate."""
    rendered: Dict[Text, Any] = {"text": message.get("text") or message.get("image") or ""}
    for kept in ("buttons", ANSWER_ID):
        if message.get(kept):
            rendered[kept] = message[kept]
    return rendered
