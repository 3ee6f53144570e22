"""The action server's answers validated by compiled code, one event schema per event.

Rasa checks every answer with `jsonschema.validate`, which first checks the
schema itself against its meta-schema (over half of the Rasa process's time
under load), then tries each event against a `oneOf` of 23 event schemas.
Each event schema names its event by a constant, so an event can match only
the one with its name: here the answer's shape and each event against its own
schema are checked by code fastjsonschema compiles once. An answer this
rejects goes through jsonschema exactly as in Rasa, so a bad answer fails with
Rasa's own error, and one jsonschema would accept is still accepted.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Callable, Dict, Optional, Text

import fastjsonschema
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

Check = Callable[[Any], Any]


@functools.lru_cache(maxsize=1)
def _jsonschema_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@functools.lru_cache(maxsize=1)
def _compiled() -> tuple[Check, Dict[Text, Check]]:
    """(check of the answer without its events' `oneOf`, check of each event by name)."""
    answer = copy.deepcopy(RemoteAction.action_response_format_spec())
    item = answer["properties"]["events"]["items"]
    branches = item.pop("oneOf")
    by_name = {branch["properties"]["event"]["const"]: branch for branch in branches}
    if len(by_name) != len(branches):
        raise RuntimeError("two event schemas share a name; the per-name check would not be a oneOf")
    events = {name: fastjsonschema.compile({"allOf": [item, branch]}) for name, branch in by_name.items()}
    return fastjsonschema.compile(answer), events


def _fast_accepts(result: Dict[Text, Any]) -> bool:
    check_answer, check_event = _compiled()
    try:
        check_answer(result)
        for event in result.get("events") or []:
            check: Optional[Check] = check_event.get(event.get("event"))
            if check is None:
                return False
            check(event)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if _fast_accepts(result):
        return True
    error = best_match(_jsonschema_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        "endpoint is valid."
    )
    raise error


def apply() -> None:
    RemoteAction._validate_action_result = validate_action_result
