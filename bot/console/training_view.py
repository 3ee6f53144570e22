"""Gated retraining in the console (admins): start a training, follow its progress, see the comparison
of the new model with the live one, and restore the previous model.

The work runs in `bot.training`'s own process and is read back from its job folder
(var/training/), so a reload of the page shows where it is; this view only
starts jobs and renders what they wrote.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import require_admin
from bot.training import RESTORE, RUNNING, TRAIN, JobStore, newest_model
from bot.web.forms import read_form
from bot.web.keys import SERVICES
from core.settings import Settings

TRAINING = "/console/admin/training"


def _settings(request: web.Request) -> Settings:
    return request.config_dict[SERVICES].settings


def _overview(settings: Settings) -> Dict[str, Any]:
    """Everything the page shows, read from the job folders and models/ (off the event loop)."""
    store = JobStore.of(settings)
    jobs = [job.view() for job in store.jobs(limit=10)]
    live = newest_model(settings.models_dir)
    previous = store.previous()
    return {
        "live": live.name if live else None,
        "workers": settings.rasa_workers,
        "tolerance": settings.training_tolerance,
        "current": jobs[0] if jobs else None,
        "jobs": jobs,
        "running": any(job.get("status") == RUNNING for job in jobs),
        "previous": previous[1] if previous else None,
    }


async def training_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    require_admin(request)
    context = await asyncio.to_thread(_overview, _settings(request))
    context["error"] = error or request.query.get("error", "")
    return aiohttp_jinja2.render_template("training/index.html", request, context, status=status)


async def _start(request: web.Request, kind: str) -> web.Response:
    """One job at a time: a second start while one runs is refused on the page."""
    admin = require_admin(request)
    await read_form(request)  # the CSRF field was checked by the session middleware
    store = JobStore.of(_settings(request))
    if await asyncio.to_thread(store.running):
        return await training_page(request, "already_running", 409)
    if kind == RESTORE and await asyncio.to_thread(store.previous) is None:
        return await training_page(request, "nothing_to_restore", 409)
    await asyncio.to_thread(store.start, kind, f"staff:{admin.username}")
    raise web.HTTPSeeOther(TRAINING)


async def start_training(request: web.Request) -> web.Response:
    return await _start(request, TRAIN)


async def restore_previous(request: web.Request) -> web.Response:
    return await _start(request, RESTORE)


async def job_state(request: web.Request) -> web.Response:
    """A job's state and progress lines, polled by the page while it runs."""
    require_admin(request)
    store = JobStore.of(_settings(request))
    job = await asyncio.to_thread(store.get, request.match_info["job_id"])
    if job is None:
        raise web.HTTPNotFound(text="no such training")
    return web.json_response(await asyncio.to_thread(job.view), headers={"Cache-Control": "no-store"})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/training", training_page)
    app.router.add_post("/admin/training/start", start_training)
    app.router.add_post("/admin/training/restore", restore_previous)
    app.router.add_get("/admin/training/jobs/{job_id:[0-9-]{1,40}}.json", job_state)
