"""Content editing for admins: a list and a form per row for FAQ, places, programmes, trainings and
legal-aid points; every change a revision with its diff and a one-click revert; 「试一试」.

Reading the form, saving, the revisions and what a rider would get live in
`core.content.editing`, `core.content.revisions` and `core.content.try_it`; this
module reads the request, asks the live model (Rasa) and renders.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

import aiohttp
import aiohttp_jinja2
from aiohttp import web
from multidict import MultiMapping
from sqlalchemy.orm import Session

from bot.console.auth import USER, require_admin
from bot.web.database import in_transaction, read_in_transaction
from bot.web.forms import an_id, read_form
from bot.web.keys import HTTP_CLIENT, SERVICES
from core import faq, validation, vocabulary
from core.content import editing, revisions, try_it
from core.content.loader import district_names
from core.opening_hours import DAY_LABELS, DAYS

log = logging.getLogger(__name__)
EDIT = "/console/admin/edit"
REVISIONS = "/console/admin/revisions"
PARSE_TIMEOUT = aiohttp.ClientTimeout(total=5)
MAX_QUESTION_CHARS = 500


def _kind(request: web.Request) -> editing.Kind:
    try:
        return editing.kind_of(request.match_info["kind"])
    except editing.EditError:
        raise web.HTTPNotFound() from None


def _as_form(data: MultiMapping[Any]) -> Dict[str, List[str]]:
    """The posted fields as lists of text (files, which no form here has, are left out)."""
    form: Dict[str, List[str]] = {}
    for key, value in data.items():
        if isinstance(value, str):
            form.setdefault(key, []).append(value)
    return form


def _context() -> editing.Context:
    return editing.Context(district_names())


def _actor(request: web.Request) -> str:
    return f"staff:{require_admin(request).username}"


def _page_words() -> Dict[str, Any]:
    """What every editing page shows beside the rows: the kinds, districts, days and amenities in Chinese."""
    return {
        "kinds": editing.KINDS,
        "districts": district_names(),
        "days": list(zip(DAYS, DAY_LABELS, strict=True)),
        "amenities": vocabulary.amenity_labels(),
        "edit_root": EDIT,
    }


async def expired_context(request: web.Request) -> Dict[str, Any]:
    """The header's flag on every admin page, the start page too: FAQ entries past their date, to review."""
    user = request.get(USER)
    if user is None or user.role != "admin":
        return {}
    today = request.config_dict[SERVICES].clock.today()
    return {"expired_faqs": await read_in_transaction(request, lambda s: editing.expired_count(s, today))}


async def start_page(request: web.Request) -> web.Response:
    """The editing start page: FAQ entries past their date first (to review), then the recent changes."""
    require_admin(request)
    today = request.config_dict[SERVICES].clock.today()

    def load(session: Session) -> Dict[str, Any]:
        recent = revisions.recent(session)
        return {
            "expired": editing.expired_faqs(session, today),
            "recent": [(r, editing.diff(r)) for r in recent],
        }

    context = await read_in_transaction(request, load)
    context.update(_page_words())
    return aiohttp_jinja2.render_template("content/start.html", request, context)


def _filters(query: MultiMapping[str]) -> editing.Filters:
    return editing.Filters(
        words=query.get("q", "").strip()[:100],
        district=query.get("district", "") if query.get("district") in district_names() else "",
        subkind=query.get("subkind", ""),
        expired_only=query.get("expired") == "1",
    )


async def list_page(request: web.Request) -> web.Response:
    require_admin(request)
    kind = _kind(request)
    filters = _filters(request.query)
    today = request.config_dict[SERVICES].clock.today()
    rows = await read_in_transaction(request, lambda s: editing.listing(s, kind, filters, today))
    context = {"kind": kind, "rows": rows, "filters": filters, "today": today, "shown": editing.shown_value}
    context.update(_page_words())
    return aiohttp_jinja2.render_template("content/list.html", request, context)


async def _rider_view(request: web.Request, question: str, district: Optional[str]) -> try_it.RiderView:
    """Ask the live model what the question means, then the FAQ as the actions would for a rider of `district`.

    The model silent (down, reloading), the FAQ search alone, and the page says so.
    """
    services = request.config_dict[SERVICES]
    settings = services.settings
    parsed: Optional[try_it.Parsed] = None
    try:
        async with request.config_dict[HTTP_CLIENT].post(
            f"{settings.rasa_url}/model/parse",
            params={"token": settings.rasa_token or ""},
            json={"text": question},
            timeout=PARSE_TIMEOUT,
        ) as reply:
            if reply.status == 200:
                parsed = try_it.parsed(await reply.json())
            else:
                log.warning("rasa /model/parse answered %s", reply.status)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        log.warning("rasa unreachable for 试一试: %s", error)

    def first_of_intent(intent: str) -> Optional[faq.FaqMatch]:
        return services.read(lambda s: faq.first_of_intent(s, intent))

    return await asyncio.to_thread(
        try_it.what_a_rider_gets, question, parsed, services.faq.search, first_of_intent, district
    )


def _question(query: MultiMapping[str]) -> str:
    return query.get("q", "").strip()[:MAX_QUESTION_CHARS]


def _rider_district(query: MultiMapping[str], default: Optional[str] = None) -> Optional[str]:
    """The district 试一试 asks as (one of the city's; 「不知道」 is empty), else `default`."""
    if "district" not in query:
        return default
    return query["district"] if query["district"] in district_names() else None


async def try_page(request: web.Request) -> web.Response:
    """「试一试」 from the list: one question, what a rider gets now."""
    require_admin(request)
    question = _question(request.query)
    district = _rider_district(request.query)
    view = await _rider_view(request, question, district) if question else None
    context = {
        "view": view,
        "question": question,
        "rider_district": district,
        "faq_id": validation.record_id(request.query.get("faq_id")),
    }
    context.update(_page_words())
    return aiohttp_jinja2.render_template("content/try.html", request, context)


async def edit_page(
    request: web.Request, form: Optional[Dict[str, List[str]]] = None, errors: Optional[Dict[str, str]] = None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    """One row's form (refused: as posted, with each reason beside its field), its history and 试一试."""
    require_admin(request)
    kind = _kind(request)
    row_id = an_id(request.match_info["row_id"])

    def load(session: Session) -> Dict[str, Any]:
        try:
            row = editing.row_of(session, kind, row_id)
        except editing.EditError:
            raise web.HTTPNotFound() from None
        history = revisions.history(session, kind.name, row_id)
        return {
            "row": row, "title": editing.title_of(kind, row), "stored": editing.form_of(kind, row),
            "history": [(r, editing.diff(r)) for r in history],
        }  # fmt: skip

    context = await read_in_transaction(request, load)
    values = form if form is not None else context["stored"]
    question = _question(request.query)
    district = _rider_district(request.query, default=getattr(context["row"], "district", None))
    today = request.config_dict[SERVICES].clock.today()
    context.update(
        kind=kind, values=values, errors=errors or {}, hours_rows=editing.hours_rows(values),
        saved=request.query.get("saved", ""), question=question, rider_district=district,
        view=await _rider_view(request, question, district) if question and kind.name == "faq" else None,
        expired=kind.name == "faq" and editing.is_expired(context["row"], today),
    )  # fmt: skip
    context.update(_page_words())
    return aiohttp_jinja2.render_template("content/edit.html", request, context, status=status)


async def new_page(
    request: web.Request, form: Optional[Dict[str, List[str]]] = None, errors: Optional[Dict[str, str]] = None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    """An empty form for a new row (refused: as posted, each reason beside its field)."""
    require_admin(request)
    kind = _kind(request)
    values = form if form is not None else {"datum": [editing.WGS84]}
    context = {
        "kind": kind, "row": None, "title": "", "values": values, "errors": errors or {},
        "hours_rows": editing.hours_rows(values), "saved": "", "history": [], "view": None, "expired": False,
    }  # fmt: skip
    context.update(_page_words())
    return aiohttp_jinja2.render_template("content/edit.html", request, context, status=status)


async def create_row(request: web.Request) -> web.Response:
    """Add the row, live at once; its page follows, with the revision that one click undoes."""
    kind = _kind(request)
    actor = _actor(request)
    form = _as_form(await read_form(request))
    now = request.config_dict[SERVICES].clock.utc()
    context = _context()
    try:
        row_id, revision_id = await in_transaction(
            request, lambda s: editing.create(s, kind, form, context, actor, now)
        )
    except editing.InvalidForm as refused:
        return await new_page(request, form, refused.errors, status=400)
    raise web.HTTPSeeOther(f"{EDIT}/{kind.name}/{row_id}?saved=revision-{revision_id}")


async def save_row(request: web.Request) -> web.Response:
    kind = _kind(request)
    actor = _actor(request)
    row_id = an_id(request.match_info["row_id"])
    form = _as_form(await read_form(request))
    now = request.config_dict[SERVICES].clock.utc()
    context = _context()

    def save(session: Session) -> Optional[int]:
        return editing.save(session, kind, row_id, form, context, actor, now)

    try:
        revision_id = await in_transaction(request, save)
    except editing.InvalidForm as refused:
        return await edit_page(request, form, refused.errors, status=400)
    except editing.EditError:
        raise web.HTTPNotFound() from None
    done = f"revision-{revision_id}" if revision_id else "unchanged"
    raise web.HTTPSeeOther(f"{EDIT}/{kind.name}/{row_id}?saved={done}")


async def revision_page(request: web.Request, problem: str = "", status: int = 200) -> web.Response:
    """A revision's diff: each changed field before and after, who and when, and its revert button."""
    require_admin(request)
    revision_id = an_id(request.match_info["revision_id"])

    def load(session: Session) -> Dict[str, Any]:
        try:
            revision = editing.revision_of(session, revision_id)
        except editing.EditError:
            raise web.HTTPNotFound() from None
        kind = editing.KINDS[revision.kind]
        row = session.get(kind.model, revision.row_id)
        return {
            "revision": revision, "kind": kind, "changes": editing.diff(revision),
            "title": editing.title_of(kind, row) if row is not None else "（已删除）",
        }  # fmt: skip

    context = await read_in_transaction(request, load)
    context.update(problem=problem, **_page_words())
    return aiohttp_jinja2.render_template("content/revision.html", request, context, status=status)


async def revert_revision(request: web.Request) -> web.Response:
    """Undo a revision in one click; the undoing is a revision of its own, shown next."""
    actor = _actor(request)
    revision_id = an_id(request.match_info["revision_id"])
    now = request.config_dict[SERVICES].clock.utc()
    try:
        new_id = await in_transaction(request, lambda s: editing.revert(s, revision_id, actor, now))
    except editing.EditError as refused:
        if refused.code in ("nothing_to_revert", "has_enrolments"):
            return await revision_page(request, refused.code, status=409)
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(f"{REVISIONS}/{new_id}")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/edit", start_page)
    app.router.add_get("/admin/edit/try", try_page)
    app.router.add_get("/admin/edit/{kind:[a-z_]+}", list_page)
    app.router.add_get("/admin/edit/{kind:[a-z_]+}/new", new_page)
    app.router.add_post("/admin/edit/{kind:[a-z_]+}/new", create_row)
    app.router.add_get("/admin/edit/{kind:[a-z_]+}/{row_id:\\d+}", edit_page)
    app.router.add_post("/admin/edit/{kind:[a-z_]+}/{row_id:\\d+}", save_row)
    app.router.add_get("/admin/revisions/{revision_id:\\d+}", revision_page)
    app.router.add_post("/admin/revisions/{revision_id:\\d+}/revert", revert_revision)
