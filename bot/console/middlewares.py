"""Security headers on every console response, and refusals as pages in Chinese."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict

import aiohttp_jinja2
from aiohttp import web

from core.staff import StaffError
from core.tickets import TicketError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Refusal(Exception):
    """The console refuses a request; `code` names the reason, worded in templates/labels.html."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


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


def wants_json(request: web.Request) -> bool:
    """The console's script asked (fetch with `Accept: application/json`), not a form post."""
    return request.headers.get("Accept", "").startswith("application/json")


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every refusal becomes a page in Chinese with its own status; nothing internal is shown.

    A ticket or account change that is not allowed is a 409; the console's own
    refusals keep their status; any other 4xx (an unreadable form, a record
    that does not exist) gets the wording of its status.
    """
    try:
        return await handler(request)
    except TicketError as error:
        return _page(request, 409, code=error.code, params=error.params)
    except StaffError as error:
        return _page(request, 409, message=str(error))
    except Refusal as error:
        return _page(request, error.status, code=error.code)
    except web.HTTPClientError as error:
        return _page(request, error.status, code=f"http_{error.status}")


def _page(request: web.Request, status: int, **context: Any) -> web.Response:
    values: Dict[str, Any] = {"message": "", "code": "", "params": {}, **context}
    if wants_json(request):  # the page's script shows the same words beside the form
        error = aiohttp_jinja2.render_string("error_message.html", request, values).strip()
        return web.json_response({"error": error}, status=status)
    return aiohttp_jinja2.render_template("error.html", request, values, status=status)
