"""Replies that staff sent to a conversation, read live: the web chat page and REST clients.

The web chat reads its own conversation (from its signed cookie) as server-sent
events. A REST client reads a conversation's queue with the Rasa token, as it
is a server talking to a server.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, List

from aiohttp import web

from bot.web import sse
from bot.web.database import read_in_transaction
from bot.web.keys import SERVICES
from core import outbox


def _events(rows: List[Any]) -> List[sse.Event]:
    return [(r.id, "reply", json.loads(r.payload)) for r in rows]


async def conversation_replies(request: web.Request) -> web.Response:
    """GET /api/conversations/{sender}/replies?after=N (Authorization: Bearer <RASA_TOKEN>)."""
    token = request.config_dict[SERVICES].settings.rasa_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(token, given):
        raise web.HTTPUnauthorized(text="a valid token is required")
    sender = request.match_info["sender"]
    after = sse.last_event_id(request)
    rows = await read_in_transaction(request, lambda s: outbox.replies_after(s, "rest", sender, after))
    return web.json_response([{"id": i, **data} for i, _, data in _events(rows)])


async def stream(request: web.Request, channel: str, recipient: str) -> web.StreamResponse:
    """Server-sent events of a conversation's queued replies, from the client's last seen id."""

    async def fetch(after: int) -> List[sse.Event]:
        return _events(await read_in_transaction(request, lambda s: outbox.replies_after(s, channel, recipient, after)))

    return await sse.stream(request, fetch, sse.last_event_id(request))


def setup(app: web.Application) -> None:
    app.router.add_get("/api/conversations/{sender}/replies", conversation_replies)
