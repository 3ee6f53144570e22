"""Keeping the rider's message in the review inbox when the assistant could not answer it.

The write runs on a worker thread after the reply is decided; if it fails the
rider still gets the reply, and the failure is logged with its cause.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from sqlalchemy.exc import SQLAlchemyError

from actions.runtime import REDISPATCHED, in_thread, latest_text, services
from core import review
from core.search_terms import clean

logger = logging.getLogger(__name__)
FALLBACK_INTENT = "nlu_fallback"


# Responses that tell the rider the assistant did not understand or cannot help.
FAILED_ANSWERS = {"utter_out_of_scope", "utter_clarify", "utter_clarify_none"}


def predicted(parsed: Dict[str, Any]) -> Tuple[Optional[str], Optional[float]]:
    """The classifier's own best intent and confidence (behind `nlu_fallback`, which only says it was unsure)."""
    for ranked in parsed.get("intent_ranking") or []:
        if ranked.get("name") and ranked.get("name") != FALLBACK_INTENT:
            return ranked["name"], ranked.get("confidence")
    intent = parsed.get("intent") or {}
    return intent.get("name"), intent.get("confidence")


def _said(tracker: Tracker) -> List[Dict[str, Any]]:
    """The rider's and the assistant's messages, without copies handed to the policies again."""
    return [
        e
        for e in tracker.events
        if e.get("event") in ("user", "bot") and not (e.get("metadata") or {}).get(REDISPATCHED)
    ]


def repeated(tracker: Tracker) -> bool:
    """The rider sent the same words as in their message before (a repeat means the answer did not help)."""
    texts = [str(e.get("text") or "") for e in _said(tracker) if e["event"] == "user"]
    texts = [t for t in texts if not t.startswith("/")]
    return len(texts) >= 2 and bool(clean(texts[-1])) and clean(texts[-1]) == clean(texts[-2])


def failed_before(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The rider's message before the latest one, when the assistant's answer to it was a failure."""
    said = _said(tracker)
    users = [i for i, e in enumerate(said) if e["event"] == "user"]
    if len(users) < 2:
        return None
    answers = said[users[-2] + 1 : users[-1]]
    failed = any((e.get("metadata") or {}).get("utter_action") in FAILED_ANSWERS for e in answers)
    return said[users[-2]] if failed else None


async def keep(tracker: Tracker, reason: str) -> None:
    """Record the latest message in the review inbox; a repeat is recorded as one whatever else happened."""
    reason = "repeat" if reason != "handoff" and repeated(tracker) else reason
    await _record(tracker, latest_text(tracker), tracker.latest_message, reason)


async def keep_handoff_after_failure(tracker: Tracker) -> None:
    """The rider asks for a person right after an answer that failed them: keep the message it failed."""
    failed = failed_before(tracker)
    if failed is not None:
        await _record(tracker, str(failed.get("text") or ""), failed.get("parse_data") or {}, "handoff")


async def _record(tracker: Tracker, text: str, parsed: Dict[str, Any], reason: str) -> None:
    intent, confidence = predicted(parsed)
    channel = tracker.get_latest_input_channel() or "rest"
    item = review.Unanswered(text, reason, channel, intent, confidence, tracker.get_slot("district"))
    now = services().clock.utc()
    try:
        await in_thread(lambda s: review.record(s, item, now))
    except SQLAlchemyError:
        logger.exception("could not keep a %s message of %s for review", item.reason, tracker.sender_id)
