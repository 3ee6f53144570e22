"""Keeping the rider's message in the review inbox when the assistant could not answer it.

The write runs on a worker thread after the reply is decided; if it fails the
rider still gets the reply, and the failure is logged with its cause.
"""

from __future__ import annotations

import logging
from typing import Optional, Tuple

from rasa_sdk import Tracker
from sqlalchemy.exc import SQLAlchemyError

from actions.runtime import REDISPATCHED, in_thread, latest_text, services
from core import review
from core.search_terms import clean

logger = logging.getLogger(__name__)
FALLBACK_INTENT = "nlu_fallback"


def predicted(tracker: Tracker) -> Tuple[Optional[str], Optional[float]]:
    """The classifier's own best intent and confidence (behind `nlu_fallback`, which only says it was unsure)."""
    for ranked in tracker.latest_message.get("intent_ranking") or []:
        if ranked.get("name") and ranked.get("name") != FALLBACK_INTENT:
            return ranked["name"], ranked.get("confidence")
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), intent.get("confidence")


def repeated(tracker: Tracker) -> bool:
    """The rider sent the same words as in their message before (a repeat means the answer did not help)."""
    said = [e for e in tracker.events if e.get("event") == "user" and not (e.get("metadata") or {}).get(REDISPATCHED)]
    texts = [str(e.get("text") or "") for e in said if not str(e.get("text") or "").startswith("/")]
    return len(texts) >= 2 and bool(clean(texts[-1])) and clean(texts[-1]) == clean(texts[-2])


async def keep(tracker: Tracker, reason: str) -> None:
    """Record the latest message in the review inbox; a repeat is recorded as one whatever else happened."""
    intent, confidence = predicted(tracker)
    item = review.Unanswered(
        latest_text(tracker),
        "repeat" if reason != "handoff" and repeated(tracker) else reason,
        tracker.get_latest_input_channel() or "rest",
        intent,
        confidence,
        tracker.get_slot("district"),
    )
    now = services().clock.utc()
    try:
        await in_thread(lambda s: review.record(s, item, now))
    except SQLAlchemyError:
        logger.exception("could not keep a %s message of %s for review", item.reason, tracker.sender_id)
