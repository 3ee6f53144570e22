"""Sending a message to a worker on their channel: the one abstraction every sender follows."""

from __future__ import annotations

from typing import Any, Dict, Protocol


class SendError(Exception):
    """The channel did not take the message; `retryable` says whether to try again later."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Sender(Protocol):
    """Sends one rendered message (`{"text": ..., "buttons": [...]}`) to one recipient."""

    async def send(self, recipient: str, message: Dict[str, Any]) -> None: ...
