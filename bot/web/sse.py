"""Server-sent events fed by polling the database, for the console and the web chat.

Polling works across processes (a reply written by the console process, a
ticket written by the action server) with nothing more than the database.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Awaitable, Callable, List, Tuple

from aiohttp import web

# Ids fit a BIGINT: 18 digits always do.
MAX_ID_DIGITS = 18

POLL_S = 1.0
HEARTBEAT_S = 15.0
Event = Tuple[int, str, Any]  # id, event name, JSON-able data


async def stream(
    request: web.Request, fetch: Callable[[int], Awaitable[List[Event]]], last_id: int
) -> web.StreamResponse:
    """Send every event newer than `last_id` as it appears, until the client goes away."""
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    quiet_since = time.monotonic()
    try:
        while True:
            for event_id, name, data in await fetch(last_id):
                payload = json.dumps(data, ensure_ascii=False, default=str)
                await response.write(f"id: {event_id}\nevent: {name}\ndata: {payload}\n\n".encode())
                last_id, quiet_since = max(last_id, event_id), time.monotonic()
            if time.monotonic() - quiet_since > HEARTBEAT_S:
                await response.write(b": keep-alive\n\n")
                quiet_since = time.monotonic()
            await asyncio.sleep(POLL_S)
    except ConnectionResetError:
        pass  # the client went away; a cancelled handler (shutdown) propagates
    return response


def last_event_id(request: web.Request) -> int:
    """Where a reconnecting stream resumes; anything that is not a plain id starts from the beginning."""
    raw = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_ID_DIGITS:
        return 0
    return int(raw)
