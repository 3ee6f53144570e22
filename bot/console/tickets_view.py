"""The queue and the ticket page: reply, notes, claim, transfer, resolve, attachments."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.auth import current_user
from bot.web.database import in_transaction, read_in_transaction
from bot.web.forms import an_id, read_form
from bot.web.keys import SERVICES
from core import outbox, ticket_queue, tickets, topics
from core.content.loader import district_names
from core.models import Attachment, AuditEvent, CannedReply, OutboxMessage, StaffUser, Ticket, TicketMessage

STATES = ("new", "claimed", "answered", "resolved", "closed")


async def queue(request: web.Request) -> web.Response:
    user = current_user(request)
    query = request.query
    filters = ticket_queue.Filters(
        district=query.get("district") or None,
        category=query.get("category") or None,
        state=query.get("state") or None,
        overdue_only=query.get("overdue") == "1",
    )
    now = request.config_dict[SERVICES].clock.utc()
    number = an_id(query.get("page") or "1") or 1

    def load(session: Session) -> Dict[str, Any]:
        found = ticket_queue.page(session, user, filters, now, number)
        return {
            "rows": found.rows,
            "page": found,
            "labels": topics.labels(session),
            "last_id": session.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)) or 0,
        }

    context = await read_in_transaction(request, load)
    context.update(filters=filters, districts=district_names(), states=STATES)
    return aiohttp_jinja2.render_template("queue.html", request, context)


@dataclass(frozen=True)
class Line:
    """One line of a ticket's conversation, with its delivery state for staff replies."""

    message: TicketMessage
    author_name: str
    delivery: str


def _ticket_or_404(session: Session, request: web.Request) -> Ticket:
    try:
        ticket = session.get(Ticket, an_id(request.match_info["ticket_id"]))
    except ValueError:
        ticket = None
    if ticket is None:
        raise web.HTTPNotFound(text="no such ticket")
    try:
        tickets.check_scope(current_user(request), ticket)
    except tickets.TicketError:
        raise web.HTTPForbidden(text="this ticket belongs to another district") from None
    return ticket


async def ticket_page(request: web.Request) -> web.Response:
    user = current_user(request)
    services = request.config_dict[SERVICES]

    def load(session: Session) -> Dict[str, Any]:
        ticket = _ticket_or_404(session, request)
        # Personal data is shown in full here: record who looked.
        session.add(AuditEvent(at=services.clock.utc(), actor=tickets.staff_actor(user), action="viewed_personal_data",
                               ticket_id=ticket.id, detail=""))  # fmt: skip
        staff_names = {u.id: u.display_name for u in session.scalars(select(StaffUser))}
        deliveries = list(session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)))
        delivery_of = {json.loads(d.payload).get("message_id"): d.state for d in deliveries}
        messages = session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
        )
        lines = [Line(m, staff_names.get(m.staff_id, ""), delivery_of.get(m.id, "")) for m in messages]
        audit = list(
            session.scalars(select(AuditEvent).where(AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id))
        )
        return {
            "ticket": ticket,
            "lines": lines,
            "audit": audit,
            "outbox": deliveries,
            "labels": topics.labels(session),
            "canned": list(session.scalars(select(CannedReply).order_by(CannedReply.title))),
            "overdue": tickets.is_overdue(ticket, services.clock.utc()),
            "attachments": list(session.scalars(select(Attachment.id).where(Attachment.ticket_id == ticket.id))),
        }

    context = await in_transaction(request, load)
    context.update(districts=district_names(), request_key=secrets.token_urlsafe(12))
    return aiohttp_jinja2.render_template("ticket.html", request, context)


def _back(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/console/tickets/{request.match_info['ticket_id']}")


StaffAction = Callable[[Session, Ticket, StaffUser, datetime], Any]


async def _act_on_ticket(request: web.Request, action: StaffAction) -> None:
    """`action` on the URL's ticket (404 outside the member's scope), by the logged-in member, in one transaction."""
    user, now = current_user(request), request.config_dict[SERVICES].clock.utc()
    await in_transaction(request, lambda s: action(s, _ticket_or_404(s, request), s.get(StaffUser, user.id), now))


async def reply(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    text, key = str(form.get("text", "")), str(form.get("request_key", "")) or secrets.token_urlsafe(12)
    await _act_on_ticket(request, lambda s, ticket, user, now: tickets.reply(s, ticket, user, text, now, key))
    raise _back(request)


async def note(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    text = str(form.get("text", "")).strip()
    if text:
        await _act_on_ticket(request, lambda s, ticket, user, now: tickets.note(s, ticket, user, text, now))
    raise _back(request)


async def claim(request: web.Request) -> web.StreamResponse:
    await _act_on_ticket(request, tickets.claim)
    raise _back(request)


async def transfer(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    district = str(form.get("district", ""))
    if district not in district_names():
        raise web.HTTPBadRequest(text="unknown district")
    await _act_on_ticket(request, lambda s, ticket, user, now: tickets.transfer(s, ticket, user, district, now))
    user = current_user(request)
    if user.role != "admin" and user.district != district:
        raise web.HTTPSeeOther("/console/")  # the ticket has left this member's scope
    raise _back(request)


async def resolve(request: web.Request) -> web.StreamResponse:
    await _act_on_ticket(request, tickets.resolve)
    raise _back(request)


async def retry_delivery(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    now = request.config_dict[SERVICES].clock.utc()

    def retry(session: Session) -> None:
        ticket = _ticket_or_404(session, request)
        row = session.get(OutboxMessage, an_id(form.get("outbox_id")))
        if row is None or row.ticket_id != ticket.id:
            raise web.HTTPNotFound(text="no such delivery")
        outbox.retry_now(session, row.id, now)

    await in_transaction(request, retry)
    raise _back(request)


async def attachment(request: web.Request) -> web.Response:
    def load(session: Session) -> Attachment:
        found = session.get(Attachment, an_id(request.match_info["attachment_id"]))
        if found is None or found.ticket_id is None:
            raise web.HTTPNotFound()
        ticket = session.get(Ticket, found.ticket_id)
        tickets.check_scope(current_user(request), ticket)
        return found

    try:
        found = await read_in_transaction(request, load)
    except tickets.TicketError:
        raise web.HTTPForbidden() from None
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
    app.router.add_post("/tickets/{ticket_id:\\d+}/resolve", resolve)
    app.router.add_post("/tickets/{ticket_id:\\d+}/retry", retry_delivery)
    app.router.add_get("/attachments/{attachment_id:\\d+}", attachment)
