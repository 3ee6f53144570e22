"""👍/👎 under the assistant's answers on Telegram, as inline buttons.

Each button's callback data names the answer (`rate:<id>:up|down`, well
within Telegram's 64 bytes). A tap is stored and acknowledged here; it never
reaches the assistant as a message. Callback data is only as trustworthy as
the client that sent it, so a rating counts only for an answer given in the
conversation the tap came from (`core.answer_ratings.rate`), and data of
another shape is acknowledged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Optional

from aiogram import Bot, types
from aiogram.utils import exceptions

from core import answer_ratings
from core.services import Services
from core.workers import WorkerRef

logger = logging.getLogger(__name__)
PREFIX = "rate:"
CALLBACK = re.compile(r"rate:([1-9]\d{0,8}):(up|down)")
RATINGS = {"up": answer_ratings.UP, "down": answer_ratings.DOWN}
THANKS = {answer_ratings.UP: "谢谢您的反馈！", answer_ratings.DOWN: "谢谢反馈，我们会改进这个回答。"}
NOT_RATED = "这条回答无法评价。"


Keyboard = Optional[types.InlineKeyboardMarkup]


def with_rating(markup: Keyboard, answer_id: object) -> Keyboard:
    """The message's keyboard with a 👍/👎 row added when it carries an answer to rate."""
    if not isinstance(answer_id, int) or isinstance(answer_id, bool):
        return markup
    markup = markup or types.InlineKeyboardMarkup()
    markup.row(
        types.InlineKeyboardButton(text="👍 有帮助", callback_data=f"{PREFIX}{answer_id}:up"),
        types.InlineKeyboardButton(text="👎 没帮助", callback_data=f"{PREFIX}{answer_id}:down"),
    )
    return markup


def is_rating(update: types.Update) -> bool:
    """A tap on a rating button (or something posing as one), which the assistant never sees."""
    query = update.callback_query
    return bool(query and isinstance(query.data, str) and query.data.startswith(PREFIX))


async def take(bot: Bot, services: Services, update: types.Update, conversation: str) -> None:
    """Store the rating a tap names, for an answer of this conversation, and acknowledge the tap."""
    query = update.callback_query
    found = CALLBACK.fullmatch(query.data)
    reply = NOT_RATED
    if found:
        answer_id, rating = int(found.group(1)), RATINGS[found.group(2)]
        worker, now = WorkerRef("telegram", conversation), services.clock.utc()
        if await asyncio.to_thread(
            services.transaction, lambda s: answer_ratings.rate(s, answer_id, worker, rating, now)
        ):
            reply = THANKS[rating]
    if reply == NOT_RATED:
        logger.warning("refused a Telegram rating %r from %s", query.data[:64], conversation)
    try:
        await bot.answer_callback_query(query.id, text=reply)
    except (exceptions.TelegramAPIError, exceptions.NetworkError) as error:
        logger.info("answerCallbackQuery failed: %s", error)
