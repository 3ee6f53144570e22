"""Trackers as the Rasa server would send them to the action server, and the domain they refer to.

`tracker()` builds the state after one user message: every domain slot (None unless given),
the parsed message, and the events that carry its channel and metadata. `form_tracker()` adds
the slot candidates a form extracted from that message, which a `FormValidationAction` validates.
"""

from __future__ import annotations

import string
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SlotSet

from core.settings import PROJECT_ROOT

DOMAIN: Dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
SENDER = "rider-1"
# Keys every CollectingDispatcher message has; everything else is a variable for the response.
MESSAGE_KEYS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}

Entities = Iterable[Tuple[str, Any]]


def user_event(
    text: str = "",
    intent: Optional[str] = None,
    entities: Entities = (),
    channel: Optional[str] = "rest",
    metadata: Optional[Dict[str, Any]] = None,
    ranking: Sequence[Dict[str, Any]] = (),
) -> Dict[str, Any]:
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99} if intent else {},
        "entities": [{"entity": entity, "value": value} for entity, value in entities],
        "intent_ranking": list(ranking),
    }
    return {
        "event": "user",
        "text": text,
        "parse_data": parse_data,
        "input_channel": channel,
        "metadata": metadata or {},
    }


def bot_event(text: str) -> Dict[str, Any]:
    return {"event": "bot", "text": text, "data": {}, "metadata": {}}


def tracker(
    text: str = "",
    intent: Optional[str] = None,
    entities: Entities = (),
    slots: Optional[Dict[str, Any]] = None,
    history: Sequence[Dict[str, Any]] = (),
    after: Sequence[Dict[str, Any]] = (),
    channel: Optional[str] = "rest",
    metadata: Optional[Dict[str, Any]] = None,
    ranking: Sequence[Dict[str, Any]] = (),
    active_loop: Optional[str] = None,
    sender: str = SENDER,
) -> Tracker:
    """The tracker after the user said `text`: `history` before the message, `after` behind it."""
    message = user_event(text, intent, list(entities), channel, metadata, ranking)
    latest = {**message["parse_data"], "metadata": message["metadata"]}
    values: Dict[str, Any] = {name: None for name in DOMAIN["slots"]}
    values["requested_slot"] = None
    values.update(slots or {})
    events = [*history, ActionExecuted("action_listen"), message, *after]
    return Tracker(
        sender,
        values,
        latest,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def form_tracker(
    form: str,
    candidates: Dict[str, Any],
    text: str = "",
    intent: Optional[str] = "inform",
    slots: Optional[Dict[str, Any]] = None,
    **kwargs: Any,
) -> Tracker:
    """A form's tracker after a message: `candidates` are the slots the form extracted from it."""
    return tracker(
        text,
        intent,
        slots={**(slots or {}), **candidates},
        after=[SlotSet(name, value) for name, value in candidates.items()],
        active_loop=form,
        **kwargs,
    )


def variables(message: Dict[str, Any]) -> Dict[str, Any]:
    """What an action passed to fill its response."""
    return {key: value for key, value in message.items() if key not in MESSAGE_KEYS}


def responses(messages: List[Dict[str, Any]]) -> List[str]:
    return [message["response"] for message in messages]


def template_fields(template: str) -> List[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def check_against_domain(messages: List[Dict[str, Any]]) -> None:
    """Every message names a domain response and gives every variable its text uses."""
    for message in messages:
        name = message["response"]
        assert name in DOMAIN["responses"], f"{name} is not a response of domain.yml"
        for variant in DOMAIN["responses"][name]:
            missing = set(template_fields(variant.get("text", ""))) - set(variables(message))
            assert not missing, f"{name} needs {sorted(missing)}, the action gave {sorted(variables(message))}"
