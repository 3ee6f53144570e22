"""Login, server-side sessions and CSRF protection of every console form.

The session cookie holds only a random token; the server keeps its hash, the
user and the session's CSRF token. Every POST must carry that token (form
field `csrf`), and the login form a token bound to a pre-login cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Awaitable, Callable, Dict, Optional

import aiohttp_jinja2
from aiohttp import web

from bot.web.database import in_transaction, read_in_transaction
from bot.web.keys import SERVICES
from core import staff
from core.models import StaffUser

SESSION_COOKIE = "nx_console"
LOGIN_COOKIE = "nx_login"
# aiohttp 3.9 has typed keys for the application only; requests use plain keys.
USER = "staff_user"
CSRF = "csrf_token"
PUBLIC = {"/console/login", "/console/static"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _is_public(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PUBLIC)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_public(request.path):
        return await handler(request)
    services = request.config_dict[SERVICES]
    token = request.cookies.get(SESSION_COOKIE)
    found = await read_in_transaction(request, lambda s: staff.session_user(s, token, services.clock.utc()))
    if found is None:
        if request.method == "GET" and "text/event-stream" not in request.headers.get("Accept", ""):
            raise web.HTTPSeeOther(f"/console/login?next={request.path}")
        raise web.HTTPUnauthorized(text="login required")
    request[USER], request[CSRF] = found
    if request.method == "POST":
        form = await request.post()
        if not staff.csrf_matches(request[CSRF], form.get("csrf") or request.headers.get("X-CSRF-Token")):
            raise web.HTTPForbidden(text="CSRF token missing or wrong; reload the page and try again")
    return await handler(request)


async def template_context(request: web.Request) -> Dict[str, Any]:
    return {"user": request.get(USER), "csrf": request.get(CSRF)}


def current_user(request: web.Request) -> StaffUser:
    return request[USER]


def require_admin(request: web.Request) -> StaffUser:
    user = request[USER]
    if user.role != "admin":
        raise web.HTTPForbidden(text="admins only")
    return user


def _login_token(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


async def login_page(request: web.Request) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    secret = request.config_dict[SERVICES].settings.secret_key
    response = aiohttp_jinja2.render_template(
        "login.html", request, {"login_csrf": _login_token(secret, nonce), "next": _safe_next(request), "error": None}
    )
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="Strict", path="/console")
    return response


def _safe_next(request: web.Request, form: Optional[Any] = None) -> str:
    target = (form or {}).get("next") or request.query.get("next") or "/console/"
    return target if target.startswith("/console/") and "//" not in target else "/console/"


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    services = request.config_dict[SERVICES]
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not staff.csrf_matches(_login_token(services.settings.secret_key, nonce), form.get("login_csrf")):
        raise web.HTTPForbidden(text="login form expired; reload the page")
    username, password = str(form.get("username", "")), str(form.get("password", ""))

    def check(session: Any) -> Optional[staff.NewSession]:
        user = staff.authenticate(session, username, password)
        return staff.open_session(session, user, services.clock.utc()) if user else None

    opened = await in_transaction(request, check)
    if opened is None:
        context = {"login_csrf": form.get("login_csrf"), "next": _safe_next(request, form), "error": "用户名或密码不对"}
        return aiohttp_jinja2.render_template("login.html", request, context, status=401)
    response = web.HTTPSeeOther(_safe_next(request, form))
    response.set_cookie(
        SESSION_COOKIE, opened.token, httponly=True, samesite="Strict", path="/console",
        max_age=int(staff.SESSION_LIFETIME.total_seconds()),
    )  # fmt: skip
    response.del_cookie(LOGIN_COOKIE, path="/console")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE, "")
    await in_transaction(request, lambda s: staff.close_session(s, token))
    response = web.HTTPSeeOther("/console/login")
    response.del_cookie(SESSION_COOKIE, path="/console")
    raise response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
