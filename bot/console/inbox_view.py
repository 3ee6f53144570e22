"""The review inbox (未识别问题) for admins: groups of messages the assistant did not answer well,
and one click to make each into an FAQ variant, an FAQ draft or a labelled training example.

The queries and writes live in `core.review`; this module reads the request and renders.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Dict, Optional
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiMapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.auth import require_admin
from bot.web.database import in_transaction, read_in_transaction
from bot.web.forms import an_id, read_form
from bot.web.keys import SERVICES
from core import review, topics
from core.clock import Clock
from core.content.loader import district_names
from core.models import FaqEntry

INBOX = "/console/admin/inbox"
CHANNELS = ("webchat", "telegram", "wechat", "rest")
FILTER_KEYS = ("status", "district", "channel", "reason", "from", "to")
NOT_FOUND = {"no_such_group", "no_such_faq", "no_such_draft"}


def _day(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filters_of(query: MultiMapping[str], clock: Clock) -> review.Filters:
    """The page's filters from its query; values the inbox does not know are left out."""
    status = query.get("status", review.PENDING)
    first, last = _day(query.get("from")), _day(query.get("to"))
    return review.Filters(
        status=status if status in review.STATUSES else None,
        district=query.get("district") if query.get("district") in district_names() else None,
        channel=query.get("channel") if query.get("channel") in CHANNELS else None,
        reason=query.get("reason") if query.get("reason") in review.REASONS else None,
        since=clock.start_of_day(first) if first else None,
        until=clock.start_of_day(last + timedelta(days=1)) if last else None,
    )


def _back(form: MultiMapping[Any]) -> str:
    """The inbox with the filters the admin was looking at (only the known ones, so never another site)."""
    kept = {key: str(form.get(key)) for key in FILTER_KEYS if form.get(key)}
    return f"{INBOX}?{urlencode(kept)}" if kept else INBOX


async def inbox_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    require_admin(request)
    clock = request.config_dict[SERVICES].clock
    filters = filters_of(request.query, clock)

    def load(session: Session) -> Dict[str, Any]:
        return {
            "groups": review.groups(session, filters),
            "drafts": review.drafts(session),
            "faqs": session.execute(select(FaqEntry.id, FaqEntry.question).order_by(FaqEntry.id)).all(),
            "intents": topics.labels(session),
        }

    context = await read_in_transaction(request, load)
    context.update(
        filters=filters,
        query={key: request.query.get(key, "") for key in FILTER_KEYS},
        districts=district_names(),
        channels=CHANNELS,
        reasons=review.REASONS,
        statuses=review.STATUSES,
        error=error,
    )
    return aiohttp_jinja2.render_template("inbox.html", request, context, status=status)


async def _act(request: web.Request, work: Any) -> web.Response:
    """Run an admin's action on the inbox, then back to the list; a refusal is shown on the page."""
    admin = require_admin(request)
    form = await read_form(request)
    now = request.config_dict[SERVICES].clock.utc()
    try:
        await in_transaction(request, lambda s: work(s, form, f"staff:{admin.username}", now))
    except review.ReviewError as refused:
        return await inbox_page(request, refused.code, 404 if refused.code in NOT_FOUND else 400)
    raise web.HTTPSeeOther(_back(form))


def _group_id(request: web.Request) -> int:
    return an_id(request.match_info["group_id"])


async def set_status(request: web.Request) -> web.Response:
    group_id = _group_id(request)
    return await _act(
        request, lambda s, form, actor, now: review.set_status(s, group_id, str(form.get("new_status", "")), actor)
    )


async def add_variant(request: web.Request) -> web.Response:
    group_id = _group_id(request)

    def add(session: Session, form: MultiMapping[Any], actor: str, now: datetime) -> None:
        faq_id = form.get("faq_id")
        if not str(faq_id or "").isdigit() or len(str(faq_id)) > 9:
            raise review.ReviewError("no_such_faq")
        review.add_variant(session, group_id, int(str(faq_id)), actor, now)

    return await _act(request, add)


async def draft_faq(request: web.Request) -> web.Response:
    group_id = _group_id(request)
    return await _act(request, lambda s, form, actor, now: review.draft_faq(s, group_id, actor, now))


async def label_intent(request: web.Request) -> web.Response:
    group_id = _group_id(request)
    return await _act(
        request, lambda s, form, actor, now: review.label_intent(s, group_id, str(form.get("intent", "")), actor, now)
    )


async def publish_draft(request: web.Request) -> web.Response:
    draft_id = an_id(request.match_info["draft_id"])

    def publish(session: Session, form: MultiMapping[Any], actor: str, now: datetime) -> None:
        question, answer = str(form.get("question", "")), str(form.get("answer", ""))
        review.publish_draft(session, draft_id, question, answer, str(form.get("intent", "")) or None, actor, now)

    return await _act(request, publish)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/inbox", inbox_page)
    app.router.add_post("/admin/inbox/{group_id:\\d+}/status", set_status)
    app.router.add_post("/admin/inbox/{group_id:\\d+}/variant", add_variant)
    app.router.add_post("/admin/inbox/{group_id:\\d+}/draft", draft_faq)
    app.router.add_post("/admin/inbox/{group_id:\\d+}/intent", label_intent)
    app.router.add_post("/admin/inbox/drafts/{draft_id:\\d+}/publish", publish_draft)
