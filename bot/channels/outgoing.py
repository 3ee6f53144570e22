"""Sending to a worker on their channel: one abstraction for assistant and staff replies.

A `Sender` delivers one rendered message (`{"text": ..., "buttons": [...]}`)
to one recipient. A channel sends the assistant's replies through its sender
once the turn is saved (bot/channels/handling.py), and the delivery worker
sends staff replies through the very same sender. Web chat and REST are the
exception: the assistant's replies are the HTTP response, staff replies wait
in the conversation's queue.
"""

from __future__ import annotations

from typing import Any, Dict, List, Protocol


class SendError(Exception):
    """The channel did not take the message; `retryable` says whether to try again later."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Sender(Protocol):
    """Sends one rendered message to one recipient of a channel."""

    async def send(self, recipient: str, message: Dict[str, Any]) -> None: ...


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
