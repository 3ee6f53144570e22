"""The senders configured for this installation, by channel name.

Web chat and REST need none: their replies wait in the conversation's queue.
Telegram and WeChat have one when their credentials are in the environment;
the delivery worker then sends staff replies through the same sender the
channel uses for the assistant's replies.
"""

from __future__ import annotations

from typing import Dict

from bot.channels.outgoing import Sender
from bot.channels.telegram import TelegramConfig, TelegramSender
from bot.channels.wechat import ApiClient, WeChatConfig, WeChatSender


def configured_senders() -> Dict[str, Sender]:
    senders: Dict[str, Sender] = {}
    telegram = TelegramConfig.load()
    if telegram is not None:
        senders["telegram"] = TelegramSender(telegram.bot())
    wechat = WeChatConfig.load()
    if wechat is not None:
        senders["wechat"] = WeChatSender(ApiClient(wechat))
    return senders


async def close_all(senders: Dict[str, Sender]) -> None:
    for sender in senders.values():
        close = getattr(sender, "close", None)
        if close is not None:
            await close()
