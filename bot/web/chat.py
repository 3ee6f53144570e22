"""The web chat: the page, and the API that carries a visitor's messages to Rasa.

The visitor is known by a signed cookie only; the page never sees or sends the
conversation id. Messages go to Rasa's `webchat` channel signed with the
installation's secret; staff replies come back as server-sent events.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
from aiohttp import web
from aiohttp.web_request import FileField

from bot.channels.answer_sources import offer_rating
from bot.channels.signature import SIGNATURE_HEADER, sign
from bot.web import identity, replies
from bot.web.database import in_transaction, read_in_transaction
from bot.web.forms import read_form
from bot.web.keys import HTTP_CLIENT, LIMITER, SERVICES
from core import outbox, tickets
from core.settings import Settings
from core.workers import WorkerRef

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
CHAT_PAGE = "chat.html"
CHANNEL = "webchat"
MAX_MESSAGE_CHARS = 2000
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Leading bytes of the image formats accepted.
IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
HISTORY_EVENTS = 60
CONVERSATION_HEADER = "X-Conversation-Id"
TOO_MANY = "发得太快了，请稍等一会儿再发。"
# Metadata mark of a message the assistant handled a second time (actions.runtime.REDISPATCHED).
REDISPATCHED = "redispatched"


def setup(app: web.Application, settings: Settings) -> None:
    handler = ChatHandler(settings)
    app.router.add_get("/", handler.page)
    app.router.add_post("/api/chat", handler.send)
    app.router.add_post("/api/chat/photo", handler.photo)
    app.router.add_get("/api/chat/history", handler.history)
    app.router.add_get("/api/chat/events", handler.events)


def image_type(data: bytes) -> Optional[str]:
    """The content type of a JPEG or PNG, judged by its bytes, not by what the client claims."""
    return next((kind for magic, kind in IMAGE_SIGNATURES if data.startswith(magic)), None)


def within_limits(request: web.Request, *checks: Tuple[str, str]) -> None:
    """Raise 429, with a Chinese word for the rider, if one of (kind, who) is past its limit."""
    limiter = request.config_dict[LIMITER]
    for kind, who in checks:
        if not limiter.allows(kind, who):
            raise web.HTTPTooManyRequests(
                text=json.dumps({"error": TOO_MANY}, ensure_ascii=False), content_type="application/json"
            )


def history_line(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """A message of the conversation as the page shows it after a reload; None for what it does not show.

    Button payloads and messages handed to the assistant a second time
    (actions.runtime.redispatch) are left out; the assistant's buttons come along.
    """
    kind, text = event.get("event"), str(event.get("text") or "")
    metadata = event.get("metadata") or {}
    if kind not in ("user", "bot") or not text or text.startswith("/") or metadata.get(REDISPATCHED):
        return None
    if kind == "user":
        return {"from": "me", "text": text}
    line: Dict[str, Any] = {"from": "staff" if metadata.get("staff") else "bot", "text": text}
    buttons = (event.get("data") or {}).get("buttons")
    if buttons:
        line["buttons"] = buttons
    return line


class ChatHandler:
    """Keeps the settings the handlers need; holds no per-request state."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _conversation(self, request: web.Request) -> Tuple[str, bool]:
        """(conversation id, whether the cookie must be set)."""
        found = identity.verify(request.cookies.get(identity.COOKIE), self._settings.secret_key)
        return (found, False) if found else (identity.new_conversation_id(), True)

    def _respond(self, response: web.StreamResponse, conversation_id: str, fresh: bool) -> web.StreamResponse:
        if fresh:
            response.set_cookie(
                identity.COOKIE,
                identity.sign(conversation_id, self._settings.secret_key),
                max_age=identity.MAX_AGE_S,
                httponly=True,
                samesite="Lax",
            )
        return response

    async def page(self, request: web.Request) -> web.StreamResponse:
        conversation_id, fresh = self._conversation(request)
        response = web.FileResponse(STATIC_DIR / CHAT_PAGE, headers={"Cache-Control": "no-store"})
        return self._respond(response, conversation_id, fresh)

    async def send(self, request: web.Request) -> web.StreamResponse:
        conversation_id, fresh = self._conversation(request)
        within_limits(request, ("chat", conversation_id), ("chat_address", request.remote or ""))
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError, LookupError):
            raise web.HTTPBadRequest(text='body must be JSON: {"message": "..."}') from None
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str):
            raise web.HTTPBadRequest(text="'message' must be a string")
        answer = await self._ask_rasa(request, conversation_id, message[:MAX_MESSAGE_CHARS])
        return self._respond(web.json_response({"messages": answer}), conversation_id, fresh)

    async def photo(self, request: web.Request) -> web.StreamResponse:
        """A photo for a report: stored as an attachment, then announced to the assistant."""
        conversation_id, fresh = self._conversation(request)
        within_limits(request, ("photo", conversation_id), ("chat_address", request.remote or ""))
        form = await read_form(request)
        upload = form.get("photo")
        if not isinstance(upload, FileField):
            raise web.HTTPBadRequest(text="'photo' must be a file")
        with upload.file as handle:
            data = handle.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_PHOTO_BYTES, actual_size=len(data))
        kind = image_type(data)
        if kind is None:
            raise web.HTTPUnsupportedMediaType(text="only JPEG or PNG photos")
        worker = WorkerRef(CHANNEL, conversation_id)
        services = request.config_dict[SERVICES]
        now, cap = services.clock.utc(), services.settings.attachment_bytes_per_day
        stored = await in_transaction(
            request, lambda s: tickets.store_attachment(s, worker, kind, data, "photo", now, cap)
        )
        if stored is None:
            raise web.HTTPRequestEntityTooLarge(
                max_size=cap, actual_size=len(data), text="今天发的照片太多了，明天再发；有急事请直接打字说明。"
            )
        attachment_id = stored.id
        caption = str(form.get("caption") or "").strip()[:MAX_MESSAGE_CHARS] or tickets.PHOTO_PLACEHOLDER
        answer = await self._ask_rasa(request, conversation_id, caption, {"attachment_id": attachment_id})
        return self._respond(web.json_response({"messages": answer}), conversation_id, fresh)

    async def history(self, request: web.Request) -> web.StreamResponse:
        """The visitor's conversation so far, so a reload shows where they were."""
        conversation_id, fresh = self._conversation(request)
        if fresh:
            return self._respond(web.json_response({"messages": [], "last_reply_id": 0}), conversation_id, fresh)
        url = f"{self._settings.rasa_url}/conversations/{conversation_id}/tracker"
        params = {"token": self._settings.rasa_token or ""}
        try:
            async with request.app[HTTP_CLIENT].get(url, params=params) as reply:
                events = (await reply.json()).get("events", []) if reply.status == 200 else []
        except (aiohttp.ClientError, TimeoutError, ValueError):
            events = []
        lines = [line for line in map(history_line, events) if line is not None][-HISTORY_EVENTS:]
        last = await read_in_transaction(request, lambda s: outbox.last_reply_id(s, CHANNEL, conversation_id))
        return web.json_response({"messages": lines, "last_reply_id": last})

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Staff replies to this visitor's conversation, live."""
        conversation_id, fresh = self._conversation(request)
        if fresh:
            raise web.HTTPUnauthorized(text="no conversation yet")
        within_limits(request, ("events", conversation_id), ("chat_address", request.remote or ""))
        return await replies.stream(request, CHANNEL, conversation_id)

    async def _ask_rasa(
        self, request: web.Request, sender: str, message: str, metadata: Optional[Dict[str, Any]] = None
    ) -> List[Dict[str, Any]]:
        body = json.dumps({"sender": sender, "message": message, "metadata": metadata or {}}).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._settings.secret_key, body),
            CONVERSATION_HEADER: sender,  # with several Rasa workers: one rider, one worker, in order
        }
        url = f"{self._settings.rasa_url}/webhooks/webchat/webhook"
        try:
            async with request.app[HTTP_CLIENT].post(url, data=body, headers=headers) as reply:
                if reply.status != 200:
                    log.warning("rasa answered %s for %s", reply.status, sender)
                    raise web.HTTPBadGateway(text="the assistant is not answering; please try again")
                answered = await reply.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("rasa unreachable: %s", error)
            raise web.HTTPServiceUnavailable(text="the assistant is restarting; please try again") from None
        return await offer_rating(request.config_dict[SERVICES], WorkerRef(CHANNEL, sender), message, answered)
