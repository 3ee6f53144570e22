"""Replies a channel sends on its own, in the domain's words: retype, try again."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

logger = logging.getLogger(__name__)
HANDOFF_SLOT = "handoff"


def domain_messages(agent: Any, response_name: Text, recipient: Text) -> List[Dict[Text, Any]]:
    """The first variant of a domain response, as the rest channel returns messages."""
    variants = agent.domain.responses.get(response_name) if agent and agent.domain else None
    if not variants:
        logger.error("the domain has no response '%s'", response_name)
        return []
    return [{"recipient_id": recipient, "text": variants[0].get("text", "")}]


async def staff_own_conversation(agent: Any, sender: Text) -> bool:
    """Whether the assistant is silent on purpose: staff answer this conversation."""
    try:
        tracker = await agent.tracker_store.retrieve(sender)
    except Exception:  # the tracker store is down: better a needless "try again" than silence
        logger.exception("could not read the conversation of %s", sender)
        return False
    return bool(tracker and tracker.get_slot(HANDOFF_SLOT))
