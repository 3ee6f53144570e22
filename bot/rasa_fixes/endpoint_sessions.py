"""One HTTP session per endpoint and event loop, so calls to the action server reuse connections.

`EndpointConfig.request` opens a new aiohttp session, and with it a new
connection pool and TCP connection, for every action, and closes it after.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import aiohttp
from rasa.utils.endpoints import EndpointConfig

_new_session = EndpointConfig.session


class _KeptOpen:
    """What `async with endpoint.session()` enters: the endpoint's session, left open on exit."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *_exc: Any) -> None:
        return None


def _shared_session(self: EndpointConfig) -> _KeptOpen:
    sessions = self.__dict__.setdefault("_sessions_by_loop", weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    session = sessions.get(loop)
    if session is None or session.closed:
        session = sessions[loop] = _new_session(self)
    return _KeptOpen(session)


def apply() -> None:
    EndpointConfig.session = _shared_session
