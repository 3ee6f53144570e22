"""Turns the channel layer keeps for the review inbox: those no action sees as a failure.

Out-of-scope messages are answered by a rule with a domain response
(data/rules.yml: utter_out_of_scope), so no action runs for them. A rider who
sends the same words again after an ordinary answer (a station list, a legal
guide) goes through that flow again, and its action cannot tell. The channel
sees every turn: it keeps these, through the same `core.review`. Fallbacks,
clarifications and FAQ misses are kept by the action server, with the
classifier's guess (actions/unanswered.py), and are not kept twice here.

The last words of each conversation are remembered in this process only
(bounded): with several Rasa workers each rider's messages go to one worker
(bot.stack), and a restart at worst misses one repeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.channels.answer_sources import responses
from core import review, workers
from core.search_terms import clean
from core.services import from_environment
from core.workers import WorkerRef

logger = logging.getLogger(__name__)
OUT_OF_SCOPE_RESPONSE = "utter_out_of_scope"
# Responses whose turns the action server already keeps (actions/unanswered.py).
KEPT_BY_ACTIONS = {
    "utter_clarify",
    "utter_clarify_none",
    "utter_clarify_handoff",
    "utter_faq_suggestions",
    "utter_topic_none",
}
REPEAT_WITHIN_S = 30 * 60
REMEMBERED_CONVERSATIONS = 10_000


class LastWords:
    """Each conversation's last typed words, for the newest conversations only."""

    def __init__(self, limit: int = REMEMBERED_CONVERSATIONS) -> None:
        self._limit = limit
        self._words: OrderedDict[str, Tuple[str, float]] = OrderedDict()

    def repeated(self, sender: str, text: str, now: Optional[float] = None) -> bool:
        """Remember `text` as the sender's last words; whether they said the same just before."""
        words = clean(text)
        if not words or text.lstrip().startswith("/"):
            return False  # a button's payload is no one's words
        now = time.monotonic() if now is None else now
        before = self._words.pop(sender, None)
        self._words[sender] = (words, now)
        while len(self._words) > self._limit:
            self._words.popitem(last=False)
        return before is not None and before[0] == words and now - before[1] <= REPEAT_WITHIN_S


LAST_WORDS = LastWords()
Messages = List[Dict[str, Any]]


def reason_for(worker: WorkerRef, text: str, messages: Messages, last_words: LastWords) -> Optional[str]:
    """Why this turn belongs in the review inbox, if the channel is the one to keep it."""
    again = last_words.repeated(worker.sender_id, text)
    answered_by = set(responses(messages))
    if OUT_OF_SCOPE_RESPONSE in answered_by:
        return "repeat" if again else "out_of_scope"
    return "repeat" if again and not answered_by & KEPT_BY_ACTIONS else None


async def keep(worker: WorkerRef, text: str, messages: Messages, last_words: LastWords = LAST_WORDS) -> None:
    """Keep the turn in the review inbox if it failed in a way no action saw; failures are logged."""
    reason = reason_for(worker, text, messages, last_words)
    if reason is None:
        return
    services = from_environment()
    now = services.clock.utc()
    intent = "out_of_scope" if OUT_OF_SCOPE_RESPONSE in responses(messages) else None

    def record(session: Session) -> None:
        district = workers.remembered_district(session, worker)
        review.record(session, review.Unanswered(text, reason, worker.channel, intent, None, district), now)

    try:
        await asyncio.to_thread(services.transaction, record)
    except SQLAlchemyError:
        logger.exception("could not keep a %s message of %s for review", reason, worker.sender_id)
