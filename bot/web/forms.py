"""Reading what a browser posts, so that a malformed request is a 400, never a 500.

aiohttp's form parser raises ValueError, UnicodeDecodeError, LookupError,
its own HttpProcessingError, and even AssertionError on bodies a fuzzer (or an
attacker) sends: a multipart body without its boundary, a part without a
name, text in another encoding. Ids in paths and forms must fit the database.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

from core import validation

UNREADABLE_BODY = (ValueError, AssertionError, UnicodeDecodeError, LookupError, HttpProcessingError)


async def read_form(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form; 400 when the body is not a form this server can read."""
    try:
        return await request.post()
    except UNREADABLE_BODY as error:
        raise web.HTTPBadRequest(text=f"the form could not be read: {type(error).__name__}") from None


def an_id(value: Any) -> int:
    """A record id from a path or a form; 404 for anything that cannot be one."""
    found = validation.record_id(value)
    if found is None:
        raise web.HTTPNotFound(text="no such record")
    return found
