"""Sending to a worker on their channel: one abstraction for assistant and staff replies.

A `Sender` delivers one rendered message (`{"text": ..., "buttons": [...]}`)
to one recipient. Each channel's Rasa output channel is a `SenderOutput` around
its sender, and the delivery worker sends staff replies through the very same
sender; web chat and REST, whose replies wait in a queue, are the exception.
"""

from __future__ import annotations

from typing import Any, Dict, List, Protocol, Text

from rasa.core.channels.channel import OutputChannel


class SendError(Exception):
    """The channel did not take the message; `retryable` says whether to try again later."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Sender(Protocol):
    """Sends one rendered message to one recipient of a channel."""

    async def send(self, recipient: str, message: Dict[str, Any]) -> None: ...


class SenderOutput(OutputChannel):
    """Rasa's output channel for a channel that has a `Sender`; counts what it sent."""

    def __init__(self, channel_name: Text, sender: Sender) -> None:
        self._name = channel_name
        self._sender = sender
        self.sent = 0

    def name(self) -> Text:  # type: ignore[override]  (Rasa declares it a classmethod)
        return self._name

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, {"text": text, "buttons": buttons})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, {"text": image})

    async def _send(self, recipient_id: Text, message: Dict[str, Any]) -> None:
        await self._sender.send(recipient_id, message)
        self.sent += 1


def split_text(text: str, limit: int) -> List[str]:
    """Pieces of at most `limit` characters, cut at line ends where possible."""
    pieces: List[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n")
    if rest or not pieces:
        pieces.append(rest)
    return pieces
