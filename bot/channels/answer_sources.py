"""What produced each of the assistant's messages, and the answer a rider may rate 👍/👎.

Rasa puts a bot message's metadata into the dict it hands an output channel:
the domain response's name (`utter_action`) and whatever an action passed to
`utter_message` besides the template values (`faq_id` for an FAQ answer, see
`actions.runtime.utter_faq`). Rasa's collecting channel drops both; the
collector here keeps them under `source`, so the channel that shows the answer
can store it with what produced it.

A turn's answer is rated once, on its last message, unless that message only
asks something back (a form question, a clarification) or says sorry.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel
from sqlalchemy.exc import SQLAlchemyError

from core import answer_ratings, safe_text
from core.services import Services
from core.workers import WorkerRef

logger = logging.getLogger(__name__)
SOURCE = "source"
ANSWER_ID = "answer_id"
# Responses that ask, apologise or greet rather than answer: nothing to rate.
NOT_ANSWERS_PREFIXES = ("utter_ask_", "utter_invalid_", "utter_legal_ask_", "utter_clarify", "utter_handoff_")
NOT_ANSWERS = {
    "utter_greet",
    "utter_goodbye",
    "utter_you_are_welcome",
    "utter_anything_else",
    "utter_offer_human",
    "utter_faq_suggestions",
    "utter_inform_ack",
    "utter_default",
    "utter_try_again",
    "utter_please_rephrase",
    "utter_pass_ask_district",
    "utter_programmes_choose",
    "utter_follow_up_which",
    "utter_staff_reply",
    "utter_rating_thanks",
    "utter_rating_unknown",
    "utter_ticket_created",
    "utter_forwarded_to_staff",
}


class SourcedCollector(CollectingOutputChannel):
    """Rasa's collecting channel, with each message's response name and FAQ id kept under `source`."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        start = len(self.messages)
        await super().send_response(recipient_id, dict(message))
        source = {"response": message.get("utter_action"), "faq_id": message.get("faq_id")}
        source = {key: value for key, value in source.items() if value is not None}
        for collected in self.messages[start:]:
            collected[SOURCE] = source


def responses(messages: List[Dict[str, Any]]) -> List[str]:
    """The names of the domain responses the messages came from."""
    return [str((m.get(SOURCE) or {}).get("response")) for m in messages if (m.get(SOURCE) or {}).get("response")]


def without_sources(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The messages as a client sees them: what produced them stays on the server."""
    return [{key: value for key, value in m.items() if key != SOURCE} for m in messages]


def rated_index(messages: List[Dict[str, Any]]) -> Optional[int]:
    """The message that carries the turn's 👍/👎: its last, when that one answers."""
    if not messages or not messages[-1].get("text"):
        return None
    response = str((messages[-1].get(SOURCE) or {}).get("response") or "")
    if not response or response in NOT_ANSWERS or response.startswith(NOT_ANSWERS_PREFIXES):
        return None
    return len(messages) - 1


def _answer_of(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The turn's answer as stored: its text, its first response's name and the FAQ entry it came from."""
    sources = [m.get(SOURCE) or {} for m in messages]
    return {
        "answer": "\n\n".join(str(m.get("text") or "") for m in messages if m.get("text")),
        "response": next((s["response"] for s in sources if s.get("response")), None),
        "faq_id": next((s["faq_id"] for s in sources if isinstance(s.get("faq_id"), int)), None),
    }


async def offer_rating(
    services: Services, worker: WorkerRef, question: str, messages: List[Dict[str, Any]]
) -> List[Dict[str, Any]]:
    """The messages without their sources, the answer among them carrying `answer_id` for its 👍/👎.

    Keeping the answer is one insert; if it fails the rider still gets the
    answer (without the buttons), and the cause is logged. The question is the
    rider's text as the channel received it: made safe here, as `handle` makes
    the text Rasa gets (a lone surrogate cannot be stored).
    """
    question = safe_text.clean(question)
    shown = without_sources(messages)
    index = rated_index(messages)
    if index is None:
        return shown
    answer, now = _answer_of(messages), services.clock.utc()
    try:
        shown[index][ANSWER_ID] = await asyncio.to_thread(
            services.transaction, lambda s: answer_ratings.offer(s, worker, question, now=now, **answer)
        )
    except SQLAlchemyError:
        logger.exception("could not keep the answer to %s %s for rating", worker.channel, worker.sender_id)
    return shown
