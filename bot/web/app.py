"""Application factory of the web app: chat page, chat API and (later) the console."""

from __future__ import annotations

from typing import AsyncIterator, Optional

import aiohttp
from aiohttp import web

from bot import rate_limits
from bot.console.app import create_console
from bot.web import chat, ratings, replies
from bot.web.chat import STATIC_DIR
from bot.web.keys import HTTP_CLIENT, LIMITER, SERVICES
from core.services import Services
from core.settings import Settings


def create_app(settings: Settings, services: Optional[Services] = None) -> web.Application:
    """Build the app; resources open on start-up and close on clean-up."""
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app[LIMITER] = rate_limits.limiter(settings.rate_limits, settings.redis_url)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        owned = services is None
        app[SERVICES] = services or Services.from_settings(settings)
        app[HTTP_CLIENT] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        yield
        await app[HTTP_CLIENT].close()
        if owned:
            app[SERVICES].close()

    app.cleanup_ctx.append(resources)
    app.router.add_get("/healthz", health)
    chat.setup(app, settings)
    ratings.setup(app, settings)
    replies.setup(app)
    app.add_subapp("/console/", create_console(settings))
    app.router.add_static("/static/", STATIC_DIR, append_version=True)
    return app


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})
