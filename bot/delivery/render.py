"""Outbox payloads become messages in the domain's own words (domain.yml responses)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict

from rasa.core.nlg.interpolator import interpolate
from rasa.shared.core.domain import Domain

from core.settings import PROJECT_ROOT

STAFF_REPLY_RESPONSE = "utter_staff_reply"
ASSISTANT = "assistant"


class Renderer:
    """Renders payloads with the responses of the project's domain, loaded once."""

    def __init__(self, domain_path: Path = PROJECT_ROOT / "domain.yml") -> None:
        self._responses = Domain.load(str(domain_path)).responses

    def render(self, payload: Dict[str, Any]) -> Dict[str, Any]:
        """`{"text": ..., "buttons": [...]}` for a payload of the outbox."""
        if payload.get("kind") == ASSISTANT:
            return dict(payload["message"])  # rendered by Rasa already
        if payload.get("kind") == "staff_reply":
            name, values = STAFF_REPLY_RESPONSE, {"staff": payload.get("staff", ""), "text": payload.get("text", "")}
        else:
            name, values = payload["response"], payload.get("vars", {})
        variants = self._responses.get(name)
        if not variants:
            raise KeyError(f"the domain has no response '{name}'")
        # Rasa's interpolate fills a dict template in place: give it a copy.
        response = interpolate(copy.deepcopy(variants[0]), values)
        message = {"text": response.get("text", "")}
        if response.get("buttons"):
            message["buttons"] = response["buttons"]
        if payload.get("kind") == "staff_reply":
            message["staff"] = payload.get("staff", "")
        return message
