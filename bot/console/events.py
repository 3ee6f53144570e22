"""New tickets in the viewer's scope, pushed to the open queue page as they arrive."""

from __future__ import annotations

from typing import List

from aiohttp import web
from sqlalchemy.orm import Session

from bot.console.auth import SESSION_COOKIE, current_user
from bot.web import sse
from bot.web.database import read_in_transaction
from bot.web.keys import SERVICES
from core import staff, ticket_views


class SessionEnded(ConnectionResetError):
    """The viewer's session ended while the feed was open; `sse.stream` ends quietly on this."""


async def ticket_events(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    token, clock = request.cookies.get(SESSION_COOKIE), request.config_dict[SERVICES].clock

    async def fetch(after: int) -> List[sse.Event]:
        def load(session: Session) -> List[sse.Event]:
            if staff.session_user(session, token, clock.utc()) is None:
                raise SessionEnded("the console session ended")  # disabled, password set, logged out
            return [(item.id, "ticket", vars(item)) for item in ticket_views.tickets_after(session, user, after)]

        return await read_in_transaction(request, load)

    return await sse.stream(request, fetch, sse.last_event_id(request))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/events", ticket_events)
