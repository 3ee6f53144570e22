"""Security headers on every console response, and domain errors as friendly pages."""

from __future__ import annotations

from typing import Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web

from core.staff import StaffError
from core.tickets import TicketError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Everything the console loads comes from this server; nothing inline runs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not response.headers.get("Cache-Control"):
        response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A ticket or account change that is not allowed becomes a 409 page saying why."""
    try:
        return await handler(request)
    except (TicketError, StaffError) as error:
        return aiohttp_jinja2.render_template("error.html", request, {"message": str(error)}, status=409)
