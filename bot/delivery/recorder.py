"""Copies delivered messages into the Rasa conversation, so its history is whole."""

from __future__ import annotations

from typing import Any, Dict, List
from urllib.parse import quote

import aiohttp

HANDOFF_SLOT = "handoff"
# The ticket whose rating the worker was asked for (nlu.reopen_policy reads it).
RATING_SLOT = "rating_ticket"


class RecordingError(Exception):
    """Rasa did not take the events; try again later."""


class TrackerRecorder:
    """Appends events through Rasa's HTTP API (token-protected)."""

    def __init__(self, client: aiohttp.ClientSession, rasa_url: str, token: str | None) -> None:
        self._client = client
        self._rasa_url = rasa_url
        self._token = token

    async def record(self, conversation_id: str, message: Dict[str, Any], payload: Dict[str, Any]) -> None:
        events: List[Dict[str, Any]] = [
            {
                "event": "bot",
                "text": message.get("text"),
                "data": {"buttons": message.get("buttons")} if message.get("buttons") else {},
                "metadata": {"delivered_by": "outbox", "kind": payload.get("kind"), "staff": payload.get("staff")},
            }
        ]
        if payload.get("end_handoff"):
            events.append({"event": "slot", "name": HANDOFF_SLOT, "value": False})
        if payload.get("kind") == "rating_request":
            number = (payload.get("vars") or {}).get("number")
            events.append({"event": "slot", "name": RATING_SLOT, "value": number})
        url = f"{self._rasa_url}/conversations/{quote(conversation_id, safe='')}/tracker/events"
        params = {"include_events": "NONE", **({"token": self._token} if self._token else {})}
        try:
            async with self._client.post(url, json=events, params=params) as response:
                if response.status != 200:
                    raise RecordingError(f"Rasa answered {response.status}: {(await response.text())[:200]}")
        except aiohttp.ClientError as error:
            raise RecordingError(str(error)) from error
