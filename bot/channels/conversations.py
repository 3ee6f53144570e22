"""Whose conversation an id is: each channel's ids carry the channel's own mark.

Rasa keys conversations by id alone. Without a mark, a Telegram chat's numeric
id or a WeChat openid posted as the `rest` channel's `sender` wrote into that
rider's conversation (and was answered with their ticket's state). With it, a
channel only ever reaches ids of its own kind.
"""

from __future__ import annotations

TELEGRAM = "tg:"
WECHAT = "wx:"
WEBCHAT = "web-"
MARKS = (TELEGRAM, WECHAT, WEBCHAT)


def belongs_to_a_marked_channel(conversation_id: str) -> bool:
    """Telegram's, WeChat's or the web chat's: never the `rest` channel's to address."""
    return conversation_id.startswith(MARKS)


def marked(mark: str, external_id: str) -> str:
    return f"{mark}{external_id}"


def unmarked(mark: str, conversation_id: str) -> str:
    """The channel's own id (chat id, openid) back from a conversation id; an unmarked one as it is."""
    return conversation_id.removeprefix(mark)
