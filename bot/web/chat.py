"""The web chat: the page, and the API that carries a visitor's messages to Rasa."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List

import aiohttp
from aiohttp import web

from bot.web import identity, replies
from bot.web.keys import HTTP_CLIENT
from core.settings import Settings

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
MAX_MESSAGE_CHARS = 2000
CHAT_PAGE = "chat.html"
# The page talks to Rasa through its rest channel, so its queue is the rest one.
CHANNEL = "rest"


def setup(app: web.Application, settings: Settings) -> None:
    handler = ChatHandler(settings)
    app.router.add_get("/", handler.page)
    app.router.add_post("/api/chat", handler.send)
    app.router.add_get("/api/chat/events", handler.events)


class ChatHandler:
    """Keeps the settings the handlers need; holds no per-request state."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _conversation(self, request: web.Request) -> tuple:
        """(conversation id, whether the cookie must be set)."""
        found = identity.verify(request.cookies.get(identity.COOKIE), self._settings.secret_key)
        return (found, False) if found else (identity.new_conversation_id(), True)

    def _with_cookie(self, response: web.StreamResponse, conversation_id: str) -> web.StreamResponse:
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
        response = web.FileResponse(_static(CHAT_PAGE), headers={"Cache-Control": "no-store"})
        return self._with_cookie(response, conversation_id) if fresh else response

    async def send(self, request: web.Request) -> web.Response:
        conversation_id, fresh = self._conversation(request)
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text='body must be JSON: {"message": "..."}') from None
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str):
            raise web.HTTPBadRequest(text="'message' must be a string")
        message = message[:MAX_MESSAGE_CHARS]
        replies = await self._ask_rasa(request, conversation_id, message)
        response = web.json_response({"messages": replies})
        return self._with_cookie(response, conversation_id) if fresh else response

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Staff replies to this visitor's conversation, live."""
        conversation_id, fresh = self._conversation(request)
        if fresh:
            raise web.HTTPUnauthorized(text="no conversation yet")
        return await replies.stream(request, CHANNEL, conversation_id)

    async def _ask_rasa(self, request: web.Request, sender: str, message: str) -> List[Dict[str, Any]]:
        url = f"{self._settings.rasa_url}/webhooks/rest/webhook"
        try:
            async with request.app[HTTP_CLIENT].post(url, json={"sender": sender, "message": message}) as reply:
                if reply.status != 200:
                    log.warning("rasa answered %s for %s", reply.status, sender)
                    raise web.HTTPBadGateway(text="the assistant is not answering; please try again")
                return await reply.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("rasa unreachable: %s", error)
            raise web.HTTPServiceUnavailable(text="the assistant is restarting; please try again") from None


def _static(name: str) -> str:
    return str(STATIC_DIR / name)
