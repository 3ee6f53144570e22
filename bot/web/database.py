"""Database work from aiohttp handlers: one transaction, on a worker thread."""

from __future__ import annotations

import asyncio
from typing import Callable, TypeVar

from aiohttp import web
from sqlalchemy.orm import Session

from bot.web.keys import SERVICES

T = TypeVar("T")


async def in_transaction(request: web.Request, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction without blocking the event loop."""
    return await asyncio.to_thread(request.config_dict[SERVICES].transaction, work)


async def read_in_transaction(request: web.Request, work: Callable[[Session], T]) -> T:
    """Run `work(session)`, which writes nothing, without the write lock (pages, live feeds, sessions)."""
    return await asyncio.to_thread(request.config_dict[SERVICES].read, work)
