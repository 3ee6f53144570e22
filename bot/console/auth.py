"""Login, server-side sessions and CSRF protection of every console form.

The session cookie holds only a random token; the server keeps its hash, the
user and the session's CSRF token. Every POST must carry that token (form
field `csrf`), and the login form a token bound to a pre-login cookie.
Failed logins slow down per account and per address (`core.staff.log_in`);
cookies are `Secure` whenever the console was reached over HTTPS.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, NoReturn, Optional

import aiohttp_jinja2
from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy
from sqlalchemy.orm import Session

from bot.console.middlewares import Refusal
from bot.web.database import in_transaction, read_in_transaction
from bot.web.forms import read_form
from bot.web.keys import SERVICES
from core import staff
from core.models import StaffUser

SESSION_COOKIE = "nx_console"
LOGIN_COOKIE = "nx_login"
# aiohttp 3.9 has typed keys for the application only; requests use plain keys.
USER = "staff_user"
CSRF = "csrf_token"
PUBLIC = {"/console/login", "/console/static"}
# All a member whose password an admin reset may reach until they set their own.
PASSWORD_PAGE = "/console/account/password"
WHILE_PASSWORD_MUST_CHANGE = {PASSWORD_PAGE, "/console/logout"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _is_public(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PUBLIC)


def _from_local_proxy(request: web.Request) -> bool:
    """The peer is on this machine: the nginx that `bot.stack` starts, or an operator's own.

    Only such a peer's X-Forwarded-* headers are believed; anyone else could write them.
    """
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def served_over_https(request: web.Request) -> bool:
    """HTTPS to this server, or to the local proxy in front of it (X-Forwarded-Proto)."""
    if request.secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and _from_local_proxy(request)


def client_address(request: web.Request) -> str:
    """The browser's address: what the local proxy appended to X-Forwarded-For, else the peer's."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _from_local_proxy(request):
        return forwarded.split(",")[-1].strip()[:64] or "unknown"
    return request.remote or "unknown"


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/console",
        max_age=int(staff.SESSION_LIFETIME.total_seconds()), secure=served_over_https(request),
    )  # fmt: skip


def wait_text(wait: timedelta) -> str:
    """「8 秒」, 「3 分钟」: how long to wait, rounded up."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    return f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_public(request.path):
        return await handler(request)
    services = request.config_dict[SERVICES]
    token = request.cookies.get(SESSION_COOKIE)
    found = await read_in_transaction(request, lambda s: staff.session_user(s, token, services.clock.utc()))
    if found is None:
        _turn_away(request, f"/console/login?next={request.path}", 401, "login_required")
    request[USER], request[CSRF] = found
    if request[USER].must_change_password and request.path not in WHILE_PASSWORD_MUST_CHANGE:
        _turn_away(request, PASSWORD_PAGE, 403, "password_change_required")
    if request.method == "POST":
        form = await read_form(request)
        if not staff.csrf_matches(request[CSRF], form.get("csrf") or request.headers.get("X-CSRF-Token")):
            _close_uploads(form)
            raise Refusal(403, "csrf")
    return await handler(request)


def _turn_away(request: web.Request, page: str, status: int, code: str) -> NoReturn:
    """A page load is sent to `page`; a form or a live feed is refused with `code`, as it cannot follow."""
    if request.method == "GET" and "text/event-stream" not in request.headers.get("Accept", ""):
        raise web.HTTPSeeOther(page)
    raise Refusal(status, code)


def _close_uploads(form: MultiDictProxy[Any]) -> None:
    """Files a refused form spooled to disk (aiohttp's uploads): closed now, not left to the collector."""
    for value in form.values():
        if isinstance(value, FileField):
            value.file.close()


async def template_context(request: web.Request) -> Dict[str, Any]:
    return {"user": request.get(USER), "csrf": request.get(CSRF)}


def current_user(request: web.Request) -> StaffUser:
    return request[USER]


def require_admin(request: web.Request) -> StaffUser:
    user = request[USER]
    if user.role != "admin":
        raise Refusal(403, "admins_only")
    return user


def _login_token(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


async def login_page(request: web.Request) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    secret = request.config_dict[SERVICES].settings.secret_key
    response = aiohttp_jinja2.render_template(
        "login.html", request, {"login_csrf": _login_token(secret, nonce), "next": _safe_next(request), "error": None}
    )
    response.set_cookie(
        LOGIN_COOKIE, nonce, httponly=True, samesite="Strict", path="/console", secure=served_over_https(request)
    )
    return response


def _safe_next(request: web.Request, form: Optional[Any] = None) -> str:
    target = (form or {}).get("next") or request.query.get("next") or "/console/"
    return target if target.startswith("/console/") and "//" not in target else "/console/"


async def login(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    services = request.config_dict[SERVICES]
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not staff.csrf_matches(_login_token(services.settings.secret_key, nonce), form.get("login_csrf")):
        raise Refusal(403, "login_expired")
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    address, now = client_address(request), services.clock.utc()
    outcome = await in_transaction(request, lambda s: staff.log_in(s, username, password, address, now))
    if outcome.opened is None:
        return _refused(request, form, outcome)
    response = web.HTTPSeeOther(_safe_next(request, form))
    set_session_cookie(request, response, outcome.opened.token)
    response.del_cookie(LOGIN_COOKIE, path="/console")
    raise response


def _refused(request: web.Request, form: Any, outcome: staff.LoginOutcome) -> web.Response:
    """The login page again, saying why; 429 with Retry-After while the attempts must wait."""
    error, status, headers = "用户名或密码不对", 401, {}
    if outcome.retry_after:
        wait = wait_text(outcome.retry_after)
        headers["Retry-After"] = str(max(1, math.ceil(outcome.retry_after.total_seconds())))
        if outcome.throttled:
            error, status = f"登录失败次数太多，请 {wait}后再试。", 429
        else:
            error = f"用户名或密码不对。失败次数太多，请 {wait}后再试。"
    context = {"login_csrf": form.get("login_csrf"), "next": _safe_next(request, form), "error": error}
    response = aiohttp_jinja2.render_template("login.html", request, context, status=status)
    response.headers.update(headers)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE, "")
    await in_transaction(request, lambda s: staff.close_session(s, token))
    response = web.HTTPSeeOther("/console/login")
    response.del_cookie(SESSION_COOKIE, path="/console")
    raise response


async def password_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    current_user(request)
    context = {"error": error, "changed": request.query.get("changed") == "1", "min_chars": staff.MIN_PASSWORD_CHARS}
    return aiohttp_jinja2.render_template("password.html", request, context, status=status)


async def change_password(request: web.Request) -> web.StreamResponse:
    """The user's own new password: every session of the account ends, this browser gets a new one."""
    user_id = current_user(request).id
    form = await read_form(request)
    current, new = str(form.get("current", "")), str(form.get("password", ""))
    if new != str(form.get("password_again", "")):
        return await password_page(request, "两次输入的新密码不一样", 400)
    now = request.config_dict[SERVICES].clock.utc()

    def change(session: Session) -> staff.NewSession:
        return staff.change_own_password(session, staff.signed_in_member(session, user_id), current, new, now)

    try:
        opened = await in_transaction(request, change)
    except staff.StaffError as error:
        return await password_page(request, str(error), 400)
    response = web.HTTPSeeOther("/console/account/password?changed=1")
    set_session_cookie(request, response, opened.token)
    raise response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/account/password", password_page)
    app.router.add_post("/account/password", change_password)
