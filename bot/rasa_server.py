"""Rasa's command line (`python -m bot.rasa_server run …`), with fixes to Rasa 3.6 applied first.

Validating the action server's answer: Rasa calls `jsonschema.validate` on
every answer, which checks the schema itself against its meta-schema each
time; under load that was over half of the Rasa process's time. The schema is
a constant, so it is checked and compiled once; the answers are validated
exactly as before and a bad one fails with the same error.

Calling the action server: `EndpointConfig.request` opens a new aiohttp
session, and with it a new connection pool and TCP connection, for every
action, and closes it after. Each endpoint now keeps one session per event
loop, so connections to the action server are reused (keep-alive).
"""

from __future__ import annotations

import asyncio
import functools
import sys
import weakref
from typing import Any, Dict, Text

import aiohttp
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    from jsonschema.exceptions import best_match

    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        "endpoint is valid."
    )
    raise error


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


def apply_fixes() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    EndpointConfig.session = _shared_session  # type: ignore[method-assign]


def main() -> None:
    apply_fixes()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
