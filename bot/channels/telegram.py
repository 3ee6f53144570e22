"""Telegram through aiogram 2.25, replacing Rasa's built-in channel.

Rasa's own Telegram channel never checks the webhook's secret token, drops
photos, passes a shared location to the NLU as JSON text and answers updates
without a message with HTTP 500. This one:

- refuses updates whose `X-Telegram-Bot-Api-Secret-Token` is wrong (403);
- handles each `update_id` once, so a redelivered or replayed update is ignored;
- turns a shared location into the `/share_location` intent with its coordinates;
- stores a photo as an attachment and passes its caption (or [照片]) on;
- answers inline buttons (`answerCallbackQuery`) and passes their payload on;
- puts 👍/👎 under an answer and stores a tap on them (bot/channels/telegram_ratings.py);
- acknowledges edited messages and updates without a message with 200;
- treats each member of a group as a conversation of their own;
- splits replies longer than Telegram's 4096 characters at line ends, and waits
  out a `429 retry_after` before trying again.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text, Tuple

import aiohttp
from aiogram import Bot, types
from aiogram.bot.api import TelegramAPIServer
from aiogram.utils import exceptions
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.channels import buttons as button_kinds
from bot.channels import conversations, telegram_ratings
from bot.channels.answer_sources import offer_rating
from bot.channels.handling import answer, as_rendered, location_payload
from bot.channels.outgoing import SendError, send_through_outbox, split_text
from bot.channels.replies import domain_messages
from core import inbound, tickets
from core.services import from_environment
from core.workers import WorkerRef

logger = logging.getLogger(__name__)
CHANNEL = "telegram"
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
MAX_UPDATE_BYTES = 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class TelegramConfig:
    """From `credentials.yml` or the environment (TELEGRAM_TOKEN, TELEGRAM_SECRET_TOKEN, TELEGRAM_API_URL)."""

    token: str
    secret_token: str
    api_url: Optional[str] = None

    @classmethod
    def load(
        cls, credentials: Optional[Mapping[str, Any]] = None, environ: Mapping[str, str] = os.environ
    ) -> Optional[TelegramConfig]:
        values = dict(credentials or {})
        token = values.get("access_token") or environ.get("TELEGRAM_TOKEN")
        if not token:
            return None
        secret = values.get("secret_token") or environ.get("TELEGRAM_SECRET_TOKEN")
        if not secret:
            raise ValueError("TELEGRAM_SECRET_TOKEN is required: the webhook refuses updates without it")
        return cls(token, secret, values.get("api_url") or environ.get("TELEGRAM_API_URL") or None)

    def bot(self) -> Bot:
        """An aiogram bot, against a custom Bot API server when one is configured."""
        server = TelegramAPIServer.from_base(self.api_url) if self.api_url else None
        return Bot(self.token, server=server) if server else Bot(self.token)


def conversation_id(chat: types.Chat, user: Optional[types.User]) -> str:
    """A private chat is one conversation; in a group, each member is their own (`tg:` marked)."""
    if chat.type == types.ChatType.PRIVATE or user is None:
        return conversations.marked(conversations.TELEGRAM, str(chat.id))
    return conversations.marked(conversations.TELEGRAM, f"{chat.id}:{user.id}")


def chat_of(conversation: str) -> int:
    return int(conversations.unmarked(conversations.TELEGRAM, conversation).split(":", 1)[0])


class MalformedUpdate(ValueError):
    """An update whose message or chat is not what Telegram's documentation describes."""


def text_of(value: Any) -> str:
    """A text field of an update, which Telegram documents as a string (absent: empty)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedUpdate("a text field that is not a string")
    return value


def chat_of_update(update: types.Update) -> Optional[str]:
    """The conversation an update belongs to (None for one without a message), read strictly,
    so a hand-made update with a chat of the wrong shape is refused before anything else."""
    message = update.callback_query.message if update.callback_query else update.message
    if message is None:
        return None
    chat_id = message.chat.id
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        raise TypeError("chat.id must be an integer")
    return conversation_id(
        message.chat, update.callback_query.from_user if update.callback_query else message.from_user
    )


class TelegramSender:
    """Sends rendered messages with inline buttons; waits out short flood limits."""

    def __init__(self, bot: Bot, longest_wait_s: float = 30, attempts: int = 3) -> None:
        self._bot = bot
        self._longest_wait_s = longest_wait_s
        self._attempts = attempts

    async def close(self) -> None:
        await self._bot.close()

    async def send(self, recipient: str, message: Dict[str, Any]) -> None:
        pieces = split_text(message.get("text") or "", TEXT_LIMIT)
        markup = telegram_ratings.with_rating(_keyboard(message.get("buttons") or []), message.get("answer_id"))
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            await self._call(self._bot.send_message, chat_of(recipient), piece, reply_markup=markup if last else None)

    async def _call(self, method: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, self._attempts + 1):
            try:
                return await method(*args, **kwargs)
            except exceptions.RetryAfter as limited:
                if limited.timeout > self._longest_wait_s or attempt == self._attempts:
                    raise SendError(f"429 retry after {limited.timeout}s", retryable=True) from limited
                await asyncio.sleep(limited.timeout)
            except (exceptions.Unauthorized, exceptions.BadRequest) as refused:
                raise SendError(f"Telegram refused: {refused}", retryable=False) from refused
            except (exceptions.TelegramAPIError, exceptions.NetworkError, OSError) as error:
                raise SendError(f"Telegram unreachable: {error}", retryable=True) from error
        raise SendError("no attempt left", retryable=True)


def _keyboard(buttons: List[Dict[str, Any]]) -> Optional[types.InlineKeyboardMarkup]:
    """Choices as callback buttons, web links as URL buttons; `tel:` links are left out (Telegram
    refuses them, and its apps make the phone number in the text tappable)."""
    options, links = button_kinds.choices(buttons), button_kinds.links(buttons)
    if not options and not links:
        return None
    markup = types.InlineKeyboardMarkup()
    for button in options:
        payload = str(button["payload"])
        # callback_data is limited to 64 bytes; a longer payload goes as its title, for the NLU.
        data = payload if len(payload.encode()) <= CALLBACK_DATA_LIMIT else str(button["title"])[:20]
        markup.row(types.InlineKeyboardButton(text=str(button["title"]), callback_data=data))
    if links:
        markup.row(*(types.InlineKeyboardButton(text=str(b["title"]), url=str(b["url"])) for b in links))
    return markup


class TelegramInput(InputChannel):
    """`POST /webhooks/telegram/webhook`; 503 until TELEGRAM_TOKEN is configured."""

    def __init__(self, config: Optional[TelegramConfig]) -> None:
        self._config = config
        self._bot: Optional[Bot] = None

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(TelegramConfig.load(credentials))

    def _get_bot(self) -> Bot:
        if self._bot is None:
            if self._config is None:  # the routes answer 503 before anything gets here
                raise RuntimeError("Telegram is not configured")
            self._bot = self._config.bot()
        return self._bot

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self._config else "not configured"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self._config is None:
                return response.json({"error": "Telegram is not configured"}, status=503)
            given = request.headers.get(SECRET_HEADER, "")
            expected = self._config.secret_token.encode()
            if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
                logger.warning("refused a Telegram update with a wrong secret token")
                return response.json({"error": "wrong secret token"}, status=403)
            if len(request.body or b"") > MAX_UPDATE_BYTES:
                return response.json({"error": "update too large"}, status=413)
            try:
                data = json.loads(request.body)
                update = types.Update.to_object(data) if isinstance(data, dict) else None
            except (ValueError, TypeError, KeyError, RecursionError, OverflowError, OSError):
                update = None  # OverflowError, OSError: a date beyond the platform's time_t
            if update is None or not isinstance(data.get("update_id"), int):
                logger.warning("refused a malformed Telegram update")
                return response.json({"error": "not a Telegram update"}, status=400)
            try:
                await self.handle(request, on_new_message, update)
            except MalformedUpdate as error:
                logger.warning("refused a malformed Telegram update: %s", error)
                return response.json({"error": "not a Telegram update"}, status=400)
            return response.json({"ok": True})

        return webhook

    async def handle(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]], update: types.Update
    ) -> None:
        services = from_environment()
        try:
            chat_of_update(update)
        except (AttributeError, TypeError, ValueError) as error:
            raise MalformedUpdate(str(error)) from None
        handled = (CHANNEL, str(update.update_id))
        if await asyncio.to_thread(services.read, lambda s: inbound.seen(s, *handled)):
            logger.info("Telegram update %s seen before; ignored", update.update_id)
            return
        if telegram_ratings.is_rating(update):
            await telegram_ratings.take(self._get_bot(), services, update, chat_of_update(update) or "")
            incoming = None
        else:
            incoming = await self._incoming(update)
        if incoming is None:
            # Edited messages, channel posts, membership changes: acknowledged, nothing to answer.
            await asyncio.to_thread(
                services.transaction, lambda s: inbound.first_time(s, *handled, services.clock.utc())
            )
            return
        sender, text, metadata = incoming
        agent = request.app.ctx.agent
        if text is None:  # a sticker, a voice message…: ask for words
            replies = domain_messages(agent, "utter_please_rephrase", sender)
        else:
            replies = await answer(request.app, on_new_message, text, sender, CHANNEL, metadata)
            replies = await offer_rating(services, WorkerRef(CHANNEL, sender), text, replies)
        rendered = [as_rendered(reply) for reply in replies]
        telegram = TelegramSender(self._get_bot())
        await send_through_outbox(services, telegram, CHANNEL, sender, rendered, f"tg:{update.update_id}", handled)

    async def _incoming(self, update: types.Update) -> Optional[Tuple[str, Optional[str], Dict[str, Any]]]:
        """(conversation, text for the assistant or None, metadata) of an update worth answering."""
        bot = self._get_bot()
        if update.callback_query:
            query = update.callback_query
            try:
                await bot.answer_callback_query(query.id)
            except (exceptions.TelegramAPIError, exceptions.NetworkError) as error:
                logger.info("answerCallbackQuery failed: %s", error)
            if query.message is None or not query.data:
                return None
            return conversation_id(query.message.chat, query.from_user), text_of(query.data), {}
        message = update.message
        if message is None:
            return None
        sender = conversation_id(message.chat, message.from_user)
        if message.location:
            latitude, longitude = message.location.latitude, message.location.longitude
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (latitude, longitude)):
                raise MalformedUpdate("a location without numeric coordinates")
            return sender, location_payload(latitude, longitude), {}
        if message.photo:
            photo = message.photo[-1]
            if not isinstance(photo, types.PhotoSize) or not isinstance(photo.file_id, str):
                raise MalformedUpdate("a photo that is not a PhotoSize")
            attachment_id = await self._store_photo(sender, photo)
            metadata = {"attachment_id": attachment_id} if attachment_id else {}
            return sender, text_of(message.caption).strip() or tickets.PHOTO_PLACEHOLDER, metadata
        if message.text:
            return sender, text_of(message.text), {}
        return sender, None, {}

    async def _store_photo(self, sender: str, photo: types.PhotoSize) -> Optional[int]:
        bot = self._get_bot()
        try:
            file = await bot.get_file(photo.file_id)
            if (file.file_size or 0) > MAX_PHOTO_BYTES:
                return None
            buffer = io.BytesIO()
            await bot.download_file(file.file_path, destination=buffer)
        except (exceptions.TelegramAPIError, exceptions.NetworkError, aiohttp.ClientError, OSError) as error:
            # aiohttp.ClientResponseError: a download refused (an expired file link) is no Telegram API error
            logger.warning("could not fetch a Telegram photo: %s", error)
            return None
        services = from_environment()
        worker, now, data = WorkerRef(CHANNEL, sender), services.clock.utc(), buffer.getvalue()
        cap = services.settings.attachment_bytes_per_day

        def store(session: Session) -> Optional[int]:
            stored = tickets.store_attachment(session, worker, "image/jpeg", data, "photo.jpg", now, cap)
            return stored.id if stored else None

        return await asyncio.to_thread(services.transaction, store)
