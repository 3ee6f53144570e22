"""「试一试」: what a rider asking a question now would get, for an admin checking the content.

The intent and confidence come from the live model (Rasa's /model/parse, asked by
the console); the answer from the FAQ retriever the actions ask (`FaqRetriever.search`),
decided as they decide it: `action_answer_faq` for `faq`, `action_handle_fallback`
for `nlu_fallback`, `action_topic_answer` for the topic intents (data/rules.yml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Tuple

from core import faq
from core.faq import FaqMatch

FAQ_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"
# Intents answered by the first FAQ entry written for them (actions.community.ActionTopicAnswer).
TOPIC_INTENTS = ("volunteer", "register_community")
Search = Callable[[str, int, Optional[str], Optional[str]], List[FaqMatch]]  # question, limit, intent, district
FirstOfIntent = Callable[[str], Optional[FaqMatch]]

# What happens to the question: an FAQ answer (or the close questions offered), a topic's
# entry, another flow of the assistant, or — the model not answering — the FAQ search alone.
ROUTE_FAQ, ROUTE_TOPIC, ROUTE_FLOW, ROUTE_NO_MODEL = "faq", "topic", "flow", "no_model"


@dataclass(frozen=True)
class Parsed:
    """The live model's reading of the question."""

    intent: str
    confidence: float


def parsed(body: Any) -> Optional[Parsed]:
    """Rasa's /model/parse reply as an intent and confidence; None if it holds none."""
    intent = body.get("intent") if isinstance(body, Mapping) else None
    if not isinstance(intent, Mapping) or not isinstance(intent.get("name"), str):
        return None
    try:
        return Parsed(intent["name"], float(intent.get("confidence") or 0.0))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class RiderView:
    """What a rider would get: the route, the entry that answers (if one does) and the close ones offered."""

    question: str
    parsed: Optional[Parsed]
    route: str
    district: Optional[str]
    answer: Optional[FaqMatch]
    offered: Tuple[FaqMatch, ...]


def what_a_rider_gets(
    question: str, parsed_as: Optional[Parsed], search: Search, first_of_intent: FirstOfIntent,
    district: Optional[str] = None,
) -> RiderView:  # fmt: skip
    """The answer a rider (of `district`, None: not known) gets for `question` now; `parsed_as` None means
    the model did not answer."""
    if parsed_as is None or parsed_as.intent in (FAQ_INTENT, FALLBACK_INTENT):
        reply = faq.reply_to(search(question, 3, None, district))
        route = ROUTE_NO_MODEL if parsed_as is None else ROUTE_FAQ
        return RiderView(question, parsed_as, route, district, reply.answer, reply.offered)
    if parsed_as.intent in TOPIC_INTENTS:
        found = search(question, 1, parsed_as.intent, district)
        best = found[0] if found else first_of_intent(parsed_as.intent)
        return RiderView(question, parsed_as, ROUTE_TOPIC, district, best, ())
    return RiderView(question, parsed_as, ROUTE_FLOW, district, None, ())
