"""Live feeds of the console: the queue's new tickets and unread count, and an open ticket's thread.

Both are server-sent events polled from the database (`bot.web.sse`), so a
rider's message written by the action server or a reply written by another
console process shows up without either knowing of the other.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from bot.console.auth import SESSION_COOKIE, current_user
from bot.web import sse
from bot.web.database import read_in_transaction
from bot.web.forms import an_id
from bot.web.keys import SERVICES
from core import staff, ticket_queue, ticket_views, tickets
from core.content.loader import district_names
from core.models import StaffUser


class SessionEnded(ConnectionResetError):
    """The viewer's session ended, or the ticket left their scope: `sse.stream` ends quietly on this."""


def _signed_in(request: web.Request) -> Callable[[Session], StaffUser]:
    """A check, run in each poll's transaction, that the viewer's session still stands."""
    user, token, clock = current_user(request), request.cookies.get(SESSION_COOKIE), request.config_dict[SERVICES].clock

    def check(session: Session) -> StaffUser:
        if staff.session_user(session, token, clock.utc()) is None:
            raise SessionEnded("the console session ended")  # disabled, password set, logged out
        return user

    return check


async def queue_events(request: web.Request) -> web.StreamResponse:
    """New tickets in the viewer's scope as they arrive, and the count of tickets with unread rider messages."""
    signed_in = _signed_in(request)
    last_unread: Optional[Tuple[int, List[int]]] = None

    async def fetch(after: int) -> List[sse.Event]:
        nonlocal last_unread

        def load(session: Session) -> Tuple[List[ticket_views.FeedItem], Tuple[int, List[int]]]:
            user = signed_in(session)
            unread = (ticket_queue.unread_count(session, user), ticket_queue.unread_ids(session, user))
            return ticket_views.tickets_after(session, user, after), unread

        items, unread = await read_in_transaction(request, load)
        events: List[sse.Event] = [(item.id, "ticket", vars(item)) for item in items]
        if unread != last_unread:
            last_unread = unread
            newest = max([after, *(item.id for item in items)])
            events.append((newest, "unread", {"count": unread[0], "ids": unread[1]}))
        return events

    return await sse.stream(request, fetch, sse.last_event_id(request))


async def thread_events(request: web.Request) -> web.StreamResponse:
    """An open ticket's new messages, and its heading and side panel whenever they change.

    Event ids are message ids, so a reconnecting page resumes after the last line it has;
    the panel is sent once on every (re)connection and again on each change.
    """
    signed_in, ticket_id = _signed_in(request), an_id(request.match_info["ticket_id"])
    clock = request.config_dict[SERVICES].clock
    shown: Dict[str, Any] = {"mark": None, "gone": False}

    async def fetch(after: int) -> List[sse.Event]:
        if shown["gone"]:
            raise SessionEnded("the ticket left the viewer's scope")
        now = clock.utc()

        def load(session: Session) -> Optional[Tuple[List[ticket_views.Line], Optional[ticket_views.TicketPage]]]:
            user = signed_in(session)
            try:
                ticket = ticket_views.ticket_in_scope(session, ticket_id, user)
            except (ticket_views.NotFound, tickets.TicketError):
                return None
            mark = ticket_views.status_mark(session, ticket, now)
            changed = mark != shown["mark"]
            shown["mark"] = mark
            return ticket_views.lines_after(session, ticket, after), (
                ticket_views.page_of(session, ticket, user, now) if changed else None
            )

        loaded = await read_in_transaction(request, load)
        if loaded is None:
            shown["gone"] = True
            return [(after, "gone", {})]
        lines, page = loaded
        events: List[sse.Event] = [
            (
                line.message.id,
                "line",
                {"author": line.message.author, "html": _render(request, "ticket/line.html", {"line": line})},
            )
            for line in lines
        ]
        if page is not None:
            events.append((max([after, *(line.message.id for line in lines)]), "status", _status(request, page)))
        return events

    return await sse.stream(request, fetch, sse.last_event_id(request))


def _status(request: web.Request, page: ticket_views.TicketPage) -> Dict[str, Any]:
    context = {**vars(page), "districts": district_names()}
    return {
        "state": page.ticket.state,
        "open": page.ticket.state in tickets.OPEN_STATES,
        "heading": _render(request, "ticket/heading.html", context),
        "facts": _render(request, "ticket/facts.html", context),
        # Staff replies again, each with its delivery state as it is now (待发送 → 已送达).
        "replies": {
            line.message.id: _render(request, "ticket/line.html", {"line": line})
            for line in page.lines
            if line.delivery
        },
    }


def _render(request: web.Request, template: str, context: Dict[str, Any]) -> str:
    return aiohttp_jinja2.render_string(template, request, context)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/events", queue_events)
    app.router.add_get("/tickets/{ticket_id:\\d+}/events", thread_events)
