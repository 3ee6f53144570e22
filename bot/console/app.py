"""Application factory of the console, mounted on the web app at /console/."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import AsyncIterator

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console import (
    admin,
    auth,
    content_edit_view,
    events,
    inbox_view,
    metrics_view,
    tickets_view,
    training_view,
    trends_view,
)
from bot.console.middlewares import error_pages, security_headers
from bot.stores.conversation_log import ConversationLog
from bot.web.keys import CONVERSATION_LOG
from core.clock import Clock
from core.settings import Settings

HERE = Path(__file__).parent


def create_console(settings: Settings) -> web.Application:
    """The console sub-application; handlers reach the parent's services through `config_dict`."""
    console = web.Application(middlewares=[security_headers, error_pages, auth.session_middleware])
    clock = Clock.for_zone(settings.timezone)
    environment = aiohttp_jinja2.setup(
        console,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True, default=True),
        context_processors=[auth.template_context, tickets_view.deadline_context, content_edit_view.expired_context],
    )
    environment.filters["local"] = lambda utc: clock.to_local(utc).strftime("%m-%d %H:%M") if utc else ""
    console.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    auth.setup_routes(console)
    tickets_view.setup_routes(console)
    metrics_view.setup_routes(console)
    admin.setup_routes(console)
    inbox_view.setup_routes(console)
    trends_view.setup_routes(console)
    content_edit_view.setup_routes(console)
    training_view.setup_routes(console)
    events.setup_routes(console)
    console.cleanup_ctx.append(functools.partial(_conversation_log, settings))
    return console


async def _conversation_log(settings: Settings, console: web.Application) -> AsyncIterator[None]:
    """The tracker store's database, read for what a rider said after a hand-over; open while the app runs."""
    console[CONVERSATION_LOG] = ConversationLog(settings.tracker_database_url)
    yield
    console[CONVERSATION_LOG].close()
