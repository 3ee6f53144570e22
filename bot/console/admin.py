"""Admin pages: content tables (CSV export; imports previewed, then confirmed), accounts, canned replies."""

from __future__ import annotations

import asyncio
import io
from typing import Any, Dict, List, Optional

import aiohttp_jinja2
from aiohttp import web
from aiohttp.web_request import FileField
from sqlalchemy.orm import Session

from bot.console.auth import current_user, require_admin
from bot.console.middlewares import Refusal
from bot.web.database import in_transaction, read_in_transaction
from bot.web.forms import an_id, read_form
from bot.web.keys import SERVICES
from core import canned_replies, staff, tickets, topics
from core.content import csv_io, editing
from core.content.loader import district_names
from core.content.staging import StagedImport, StagedImports
from core.content.tables import TableSpec, table_specs
from core.models import StaffUser

MAX_UPLOAD_BYTES = csv_io.MAX_BYTES


async def content_page(request: web.Request, status: int = 200, **shown: Any) -> web.Response:
    """The content tables; `shown` adds an import's preview (`plan`, `token`), `report`, `errors` or `problem`."""
    require_admin(request)
    context = {"tables": table_specs(district_names()), "report": None, "errors": None, "plan": None, **shown}
    return aiohttp_jinja2.render_template("content.html", request, context, status=status)


def _spec_or_404(request: web.Request) -> TableSpec:
    spec = table_specs(district_names()).get(request.match_info["table"])
    if spec is None:
        raise Refusal(404, "no_such_table")
    return spec


def _staged_imports(request: web.Request) -> StagedImports:
    return StagedImports(request.config_dict[SERVICES].settings.var_dir / "imports")


async def export_table(request: web.Request) -> web.Response:
    require_admin(request)
    spec = _spec_or_404(request)
    out = io.StringIO()
    await read_in_transaction(request, lambda s: csv_io.export_table(s, spec, out))
    return web.Response(
        body=b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{spec.name}.csv"'},
    )


async def preview_import(request: web.Request) -> web.Response:
    """Check an uploaded file and show what importing it would change; nothing is written yet.

    The file waits under a token for 确认导入 (`confirm_import`), with the digest of
    the table the preview was made against.
    """
    admin = require_admin(request)
    spec = _spec_or_404(request)
    form = await read_form(request)
    upload = form.get("file")
    if not isinstance(upload, FileField):
        return await content_page(request, status=400, problem="no_file")
    with upload.file as handle:  # aiohttp spools uploads to a temporary file
        data = handle.read(MAX_UPLOAD_BYTES + 1)
    replace = form.get("replace") == "1"
    try:
        plan = await read_in_transaction(request, lambda s: csv_io.plan_import(s, spec, data, replace))
    except csv_io.ImportRejected as rejected:
        return await content_page(request, status=400, errors=[str(e) for e in rejected.errors][:100])
    token = None
    if not plan.empty:
        staged = StagedImport(spec.name, replace, plan.digest, admin.id, data)
        now = request.config_dict[SERVICES].clock.utc()
        token = await asyncio.to_thread(_staged_imports(request).put, staged, now)
    return await content_page(request, plan=plan, token=token, replace=replace)


async def confirm_import(request: web.Request) -> web.Response:
    """Write the previewed file, exactly as previewed: refused if the table changed in between."""
    admin = require_admin(request)
    spec = _spec_or_404(request)
    form = await read_form(request)
    token = str(form.get("token", ""))
    store, now = _staged_imports(request), request.config_dict[SERVICES].clock.utc()
    staged = await asyncio.to_thread(store.get, token, admin.id, now)
    if staged is None or staged.table != spec.name:
        return await content_page(request, status=410, problem="preview_expired")

    def confirm(session: Session) -> csv_io.ImportReport:
        history = editing.import_history(session, f"staff:{admin.username}", now)
        return csv_io.confirm_import(session, spec, staged.data, staged.replace, staged.table_digest, history)

    try:
        report = await in_transaction(request, confirm)
    except csv_io.ImportStale:
        await asyncio.to_thread(store.discard, token)
        return await content_page(request, status=409, problem="table_changed")
    except csv_io.ImportRejected as rejected:
        return await content_page(request, status=400, errors=[str(e) for e in rejected.errors][:100])
    await asyncio.to_thread(store.discard, token)
    return await content_page(request, report=report)


Errors = Dict[str, str]  # a form field (or "" for the whole form) → why it was refused, in Chinese


def _refused(error: staff.StaffError, field: str = "") -> Errors:
    """The refusal beside the field it concerns (`field` when the domain names none)."""
    return {error.field or field: str(error)}


async def users_page(
    request: web.Request, errors: Optional[Errors] = None, form: Optional[Dict[str, str]] = None, status: int = 200
) -> web.Response:
    """Every account with its last login; the form for a new one (refused: with the reason beside the field)."""
    require_admin(request)
    users = await read_in_transaction(request, staff.members)
    context = {
        "users": users, "districts": district_names(), "roles": staff.ROLES, "errors": errors or {}, "form": form or {},
    }  # fmt: skip
    return aiohttp_jinja2.render_template("users.html", request, context, status=status)


async def create_user(request: web.Request) -> web.Response:
    require_admin(request)
    form = await read_form(request)
    fields = ("username", "password", "role", "district", "display_name")
    values: Dict[str, str] = {k: str(form.get(k, "")).strip() for k in fields}

    def create(session: Session) -> None:
        staff.create_user(
            session,
            values["username"],
            values["password"],
            values["role"],
            values["district"] or None,
            values["display_name"],
        )

    try:
        await in_transaction(request, create)
    except staff.StaffError as error:
        return await users_page(request, _refused(error), {**values, "password": ""}, status=400)
    raise web.HTTPSeeOther("/console/admin/users")


def _member_or_404(session: Session, user_id: Optional[int]) -> StaffUser:
    user = staff.member(session, user_id)
    if user is None:
        raise web.HTTPNotFound()
    return user


async def user_page(
    request: web.Request, errors: Optional[Errors] = None, form: Optional[Dict[str, str]] = None, status: int = 200
) -> web.Response:
    """One account: its name, role and district to edit, a password reset, disabling."""
    require_admin(request)
    user_id = an_id(request.match_info["user_id"])
    member = await read_in_transaction(request, lambda s: _member_or_404(s, user_id))
    context = {
        "member": member, "districts": district_names(), "roles": staff.ROLES, "errors": errors or {},
        "form": form, "done": "" if errors else request.query.get("done", ""),
    }  # fmt: skip
    return aiohttp_jinja2.render_template("user.html", request, context, status=status)


def _back_to(user_id: int, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/console/admin/users/{user_id}?done={done}")


async def update_user(request: web.Request) -> web.Response:
    """An admin changes an account's name, role or district (core.staff.update_account says what is allowed)."""
    admin = require_admin(request)
    user_id = an_id(request.match_info["user_id"])
    form = await read_form(request)
    values = {k: str(form.get(k, "")).strip() for k in ("display_name", "role", "district")}
    now = request.config_dict[SERVICES].clock.utc()

    def update(session: Session) -> List[str]:
        user = _member_or_404(session, user_id)
        return staff.update_account(session, user, values["display_name"], values["role"], values["district"] or None,
                                    admin, now)  # fmt: skip

    try:
        changed = await in_transaction(request, update)
    except staff.StaffError as error:
        return await user_page(request, _refused(error), values, status=400)
    raise _back_to(user_id, "saved" if changed else "unchanged")


async def toggle_user(request: web.Request) -> web.Response:
    """Disable or enable an account; its sessions end either way, and never come back."""
    admin = require_admin(request)
    user_id = an_id(request.match_info["user_id"])
    now = request.config_dict[SERVICES].clock.utc()

    def toggle(session: Session) -> bool:
        user = _member_or_404(session, user_id)
        staff.set_active(session, user, not user.active, admin, now)
        return bool(user.active)

    try:
        active = await in_transaction(request, toggle)
    except staff.StaffError as error:
        return await user_page(request, _refused(error, "active"), status=400)
    raise _back_to(user_id, "enabled" if active else "disabled")


async def reset_password(request: web.Request) -> web.Response:
    """An admin gives an account a temporary password (forgotten, or leaked): its sessions end, and its
    owner must set a password of their own at the next login."""
    admin = require_admin(request)
    user_id = an_id(request.match_info["user_id"])
    form = await read_form(request)
    password = str(form.get("password", ""))
    now = request.config_dict[SERVICES].clock.utc()

    def reset(session: Session) -> None:
        user = _member_or_404(session, user_id)
        staff.set_password(session, user, password, admin, now)

    try:
        await in_transaction(request, reset)
    except staff.StaffError as error:
        return await user_page(request, _refused(error, "password"), status=400)
    raise _back_to(user_id, "password_reset")


async def canned_page(request: web.Request) -> web.Response:
    current_user(request)

    def load(session: Session) -> Dict[str, Any]:
        return {
            "replies": canned_replies.all_by_title(session),
            "categories": topics.category_labels(session, tickets.CATEGORIES),
        }

    context = await read_in_transaction(request, load)
    return aiohttp_jinja2.render_template("canned.html", request, context)


async def save_canned(request: web.Request) -> web.Response:
    require_admin(request)
    form = await read_form(request)
    title, text = str(form.get("title", "")), str(form.get("text", ""))
    category = str(form.get("category", "")) or None
    if category is not None and category not in tickets.CATEGORIES:
        raise Refusal(400, "unknown_category")
    await in_transaction(request, lambda s: canned_replies.save(s, title, text, category))
    raise web.HTTPSeeOther("/console/admin/canned")


async def delete_canned(request: web.Request) -> web.Response:
    require_admin(request)
    reply_id = an_id(request.match_info["reply_id"])
    await in_transaction(request, lambda s: canned_replies.remove(s, reply_id))
    raise web.HTTPSeeOther("/console/admin/canned")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/content", content_page)
    app.router.add_get("/admin/content/{table}.csv", export_table)
    app.router.add_post("/admin/content/{table}", preview_import)
    app.router.add_post("/admin/content/{table}/confirm", confirm_import)
    app.router.add_get("/admin/users", users_page)
    app.router.add_post("/admin/users", create_user)
    app.router.add_get("/admin/users/{user_id:\\d+}", user_page)
    app.router.add_post("/admin/users/{user_id:\\d+}", update_user)
    app.router.add_post("/admin/users/{user_id:\\d+}/toggle", toggle_user)
    app.router.add_post("/admin/users/{user_id:\\d+}/password", reset_password)
    app.router.add_get("/admin/canned", canned_page)
    app.router.add_post("/admin/canned", save_canned)
    app.router.add_post("/admin/canned/{reply_id:\\d+}/delete", delete_canned)
