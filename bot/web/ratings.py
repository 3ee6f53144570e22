"""👍/👎 under the web chat's answers.

The web app keeps each answer a visitor may rate (`bot.channels.answer_sources`)
and gives the page its id; the page posts the rating with that id. The
visitor is known by the signed cookie alone, so an id from another
conversation, or one that does not exist, rates nothing (404); a body that is
not `{"answer_id": <id>, "rating": "up"|"down"}` is a 400, never a 500.
"""

from __future__ import annotations

import json
from typing import Tuple

from aiohttp import web

from bot.web import identity
from bot.web.chat import CHANNEL, within_limits
from bot.web.database import in_transaction
from bot.web.keys import SERVICES
from core import answer_ratings, validation
from core.settings import Settings
from core.workers import WorkerRef

RATINGS = {"up": answer_ratings.UP, "down": answer_ratings.DOWN}
MAX_BODY_BYTES = 1024


def setup(app: web.Application, settings: Settings) -> None:
    app.router.add_post("/api/chat/feedback", RatingHandler(settings).rate)


def _refuse(status: int, reason: str) -> web.HTTPException:
    """A refusal the page (or whoever forged the request) can read: JSON with the reason."""
    kinds = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 404: web.HTTPNotFound}
    return kinds[status](text=json.dumps({"error": reason}, ensure_ascii=False), content_type="application/json")


class RatingHandler:
    """Receives a visitor's rating of an answer in their own conversation."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def rate(self, request: web.Request) -> web.Response:
        conversation_id = identity.verify(request.cookies.get(identity.COOKIE), self._settings.secret_key)
        if conversation_id is None:
            raise _refuse(401, "no conversation")
        within_limits(request, ("chat", conversation_id), ("chat_address", request.remote or ""))
        answer_id, rating = await self._body(request)
        worker, now = WorkerRef(CHANNEL, conversation_id), request.config_dict[SERVICES].clock.utc()
        if not await in_transaction(request, lambda s: answer_ratings.rate(s, answer_id, worker, rating, now)):
            raise _refuse(404, "no such answer in this conversation")
        return web.json_response({"ok": True})

    @staticmethod
    async def _body(request: web.Request) -> Tuple[int, int]:
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise _refuse(400, "body too large")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise _refuse(400, 'body must be JSON: {"answer_id": 1, "rating": "up"}') from None
        if not isinstance(body, dict) or not isinstance(body.get("rating"), str) or body["rating"] not in RATINGS:
            raise _refuse(400, '\'rating\' must be "up" or "down"')
        given = body.get("answer_id")
        answer_id = validation.record_id(given) if isinstance(given, int) else None
        if answer_id is None:
            raise _refuse(400, "'answer_id' must be an answer's id")
        return answer_id, RATINGS[body["rating"]]
