"""The queue and the ticket page: reply, notes, claim, transfer, resolve, attachments."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, datetime, timedelta
from typing import Any, Callable, Dict, Optional, TypeVar
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from bot.console.auth import USER, current_user
from bot.console.middlewares import Refusal, wants_json
from bot.web.database import in_transaction, read_in_transaction
from bot.web.forms import an_id, read_form
from bot.web.keys import CONVERSATION_LOG, SERVICES
from core import knowledge, outbox, safe_text, staff, ticket_queue, ticket_unread, ticket_views, tickets, topics
from core.content.loader import district_names
from core.models import Attachment, StaffUser, Ticket

SEARCH_LIMIT = 100
STATES = (tickets.NEW, tickets.CLAIMED, tickets.ANSWERED, tickets.RESOLVED, tickets.CLOSED)


# What the queue's form sends, kept in the pager's links.
QUEUE_PARAMETERS = (
    "q",
    "district",
    "category",
    "state",
    "overdue",
    "follow_up",
    "mine",
    "unassigned",
    "dispatch",
    "due_soon",
    "unread",
    "from",
    "to",
)


def _day(value: str) -> Optional[date]:
    """A day from a date field (2026-11-30); None for anything else or out of reach."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


async def queue(request: web.Request) -> web.Response:
    user = current_user(request)
    query = request.query
    clock = request.config_dict[SERVICES].clock
    first, last = _day(query.get("from", "")), _day(query.get("to", ""))
    filters = ticket_queue.Filters(
        district=query.get("district") or None,
        category=query.get("category") or None,
        state=query.get("state") or None,
        overdue_only=query.get("overdue") == "1",
        follow_up_only=query.get("follow_up") == "1",
        q=safe_text.clean(query.get("q", ""), SEARCH_LIMIT).strip(),
        created_from=clock.start_of_day(first) if first else None,
        created_before=clock.start_of_day(last + timedelta(days=1)) if last else None,
        claimed_by=user.id if query.get("mine") == "1" else None,
        unassigned=query.get("unassigned") == "1",
        awaiting_dispatch=query.get("dispatch") == "1",
        due_soon_only=query.get("due_soon") == "1",
        unread_only=query.get("unread") == "1",
    )
    now = clock.utc()
    number = an_id(query.get("page") or "1") or 1
    kept = urlencode([(key, query[key]) for key in QUEUE_PARAMETERS if query.get(key)])

    def load(session: Session) -> Dict[str, Any]:
        found = ticket_queue.page(session, user, filters, now, number)
        return {
            "rows": found.rows,
            "page": found,
            "labels": topics.labels(session),
            "categories": topics.category_labels(session, tickets.CATEGORIES),
            "follow_ups": ticket_queue.follow_ups_due(session, user),
            "last_id": ticket_views.newest_ticket_id(session),
            "unread": ticket_queue.unread_count(session, user),
        }

    context = await read_in_transaction(request, load)
    context.update(
        filters=filters,
        districts=district_names(),
        states=STATES,
        pager_base=f"?{kept}&" if kept else "?",
        first_day=first.isoformat() if first else "",
        last_day=last.isoformat() if last else "",
        mine=filters.claimed_by is not None,
        short_window=ticket_queue.SHORT_TERM_WINDOW,
    )
    return aiohttp_jinja2.render_template("queue.html", request, context)


T = TypeVar("T")


def _in_scope_or_error(read: Callable[[], T]) -> T:
    """A read model's answer, or the HTTP error a missing or out-of-scope record means."""
    try:
        return read()
    except ticket_views.NotFound:
        raise Refusal(404, "http_404") from None
    except tickets.TicketError:
        raise Refusal(403, "outside_district") from None


def _ticket_or_404(session: Session, request: web.Request) -> Ticket:
    return _in_scope_or_error(lambda: ticket_views.ticket_in_scope(session, _ticket_id(request), current_user(request)))


def _ticket_id(request: web.Request) -> int:
    return an_id(request.match_info["ticket_id"])


async def ticket_page(request: web.Request) -> web.Response:
    user, now = current_user(request), request.config_dict[SERVICES].clock.utc()

    def load(session: Session) -> Dict[str, Any]:
        page = _in_scope_or_error(lambda: ticket_views.open_ticket(session, _ticket_id(request), user, now))
        return dict(vars(page))

    context = await in_transaction(request, load)
    since, log = context["handed_back_at"], request.config_dict[CONVERSATION_LOG]
    after_handoff = await asyncio.to_thread(log.after, context["ticket"].sender_id, since) if since else []
    context.update(districts=district_names(), request_key=secrets.token_urlsafe(12), after_handoff=after_handoff)
    return aiohttp_jinja2.render_template("ticket.html", request, context)


def _done(request: web.Request, **answer: str) -> web.Response:
    """After a change: for the page's script a JSON answer (the live feed shows the change), else back to the page.

    Without JavaScript every form posts and follows the redirect, as before.
    """
    if wants_json(request):
        return web.json_response({"ok": True, **answer})
    redirect = answer.get("redirect") or f"/console/tickets/{request.match_info['ticket_id']}"
    raise web.HTTPSeeOther(redirect)


StaffAction = Callable[[Session, Ticket, StaffUser, datetime], Any]


async def _act_on_ticket(request: web.Request, action: StaffAction) -> None:
    """`action` on the URL's ticket (404 outside the member's scope), by the logged-in member, in one transaction."""
    user, now = current_user(request), request.config_dict[SERVICES].clock.utc()
    await in_transaction(
        request, lambda s: action(s, _ticket_or_404(s, request), staff.signed_in_member(s, user.id), now)
    )


async def reply(request: web.Request) -> web.Response:
    form = await read_form(request)
    text, key = str(form.get("text", "")), str(form.get("request_key", "")) or secrets.token_urlsafe(12)
    await _act_on_ticket(request, lambda s, ticket, user, now: tickets.reply(s, ticket, user, text, now, key))
    return _done(request, request_key=secrets.token_urlsafe(12))  # the page's next reply is another one


async def note(request: web.Request) -> web.Response:
    form = await read_form(request)
    text = str(form.get("text", "")).strip()
    if text:
        await _act_on_ticket(request, lambda s, ticket, user, now: tickets.note(s, ticket, user, text, now))
    return _done(request)


async def claim(request: web.Request) -> web.Response:
    await _act_on_ticket(request, tickets.claim)
    return _done(request)


async def transfer(request: web.Request) -> web.Response:
    form = await read_form(request)
    district = str(form.get("district", ""))
    if district not in district_names():
        raise Refusal(400, "unknown_district")
    await _act_on_ticket(request, lambda s, ticket, user, now: tickets.transfer(s, ticket, user, district, now))
    user = current_user(request)
    if user.role != "admin" and user.district != district:
        return _done(request, redirect="/console/")  # the ticket has left this member's scope
    return _done(request)


async def assign(request: web.Request) -> web.Response:
    form = await read_form(request)
    assignee_id = an_id(form.get("assignee"))

    def give(session: Session, ticket: Ticket, user: StaffUser, now: datetime) -> None:
        assignee = staff.member(session, assignee_id)
        if assignee is None:
            raise tickets.TicketError("not_assignable")
        tickets.assign(session, ticket, user, assignee, now)

    await _act_on_ticket(request, give)
    return _done(request)


async def deadline_context(request: web.Request) -> Dict[str, Any]:
    """The header's deadline reminder on every page of a signed-in member."""
    user = request.get(USER)
    if user is None:
        return {}
    now = request.config_dict[SERVICES].clock.utc()
    counts = await read_in_transaction(request, lambda s: ticket_queue.deadline_counts(s, user, now))
    return {"deadlines": counts}


async def resolve(request: web.Request) -> web.Response:
    await _act_on_ticket(request, tickets.resolve)
    return _done(request)


async def to_knowledge(request: web.Request) -> web.Response:
    """转为知识: the staff answer becomes an FAQ draft that an admin edits and publishes."""
    await _act_on_ticket(request, knowledge.draft_from_ticket)
    return _done(request)


async def follow_up(request: web.Request) -> web.Response:
    form = await read_form(request)
    text = str(form.get("text", ""))
    await _act_on_ticket(request, lambda s, ticket, user, now: tickets.record_follow_up(s, ticket, user, text, now))
    return _done(request)


async def retry_delivery(request: web.Request) -> web.Response:
    form = await read_form(request)
    now = request.config_dict[SERVICES].clock.utc()

    def retry(session: Session) -> None:
        ticket = _ticket_or_404(session, request)
        row = _in_scope_or_error(lambda: ticket_views.delivery_of_ticket(session, ticket, an_id(form.get("outbox_id"))))
        outbox.retry_now(session, row.id, now)

    await in_transaction(request, retry)
    return _done(request)


async def seen(request: web.Request) -> web.Response:
    """The open page showed the rider's messages up to `message_id`: they are no longer unread."""
    form = await read_form(request)
    message_id = an_id(form.get("message_id"))
    user = current_user(request)

    def mark(session: Session) -> None:
        ticket = _in_scope_or_error(lambda: ticket_views.ticket_in_scope(session, _ticket_id(request), user))
        ticket_unread.mark_seen(session, ticket, message_id)

    await in_transaction(request, mark)
    return web.json_response({"ok": True})


async def attachment(request: web.Request) -> web.Response:
    user = current_user(request)

    def load(session: Session) -> Attachment:
        return _in_scope_or_error(
            lambda: ticket_views.attachment_in_scope(session, an_id(request.match_info["attachment_id"]), user)
        )

    found = await read_in_transaction(request, load)
    # Served as an image only, never as something the browser would run.
    content_type = (
        found.content_type
        if found.content_type in ("image/jpeg", "image/png", "image/webp")
        else "application/octet-stream"
    )
    return web.Response(body=found.data, content_type=content_type, headers={"Content-Disposition": "inline"})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", queue, name="queue")
    app.router.add_get("/tickets/{ticket_id:\\d+}", ticket_page, name="ticket")
    app.router.add_post("/tickets/{ticket_id:\\d+}/reply", reply)
    app.router.add_post("/tickets/{ticket_id:\\d+}/note", note)
    app.router.add_post("/tickets/{ticket_id:\\d+}/claim", claim)
    app.router.add_post("/tickets/{ticket_id:\\d+}/transfer", transfer)
    app.router.add_post("/tickets/{ticket_id:\\d+}/assign", assign)
    app.router.add_post("/tickets/{ticket_id:\\d+}/resolve", resolve)
    app.router.add_post("/tickets/{ticket_id:\\d+}/follow-up", follow_up)
    app.router.add_post("/tickets/{ticket_id:\\d+}/retry", retry_delivery)
    app.router.add_post("/tickets/{ticket_id:\\d+}/seen", seen)
    app.router.add_post("/tickets/{ticket_id:\\d+}/knowledge", to_knowledge)
    app.router.add_get("/attachments/{attachment_id:\\d+}", attachment)
