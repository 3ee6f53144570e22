"""`bot.rasa_fixes` keep Rasa's behaviour: the same accepted answers, the same errors, the same classes."""

from __future__ import annotations

import asyncio

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_fixes import apply_all, event_types
from bot.rasa_fixes.action_results import validate_action_result

GOOD = [
    {"events": [{"event": "slot", "name": "district", "value": "潞州区"}], "responses": [{"text": "好的"}]},
    {
        "events": [
            {"event": "active_loop", "name": "station_form"},
            {"event": "slot", "name": "requested_slot", "value": None, "timestamp": None},
            {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
            {"event": "bot", "text": "您在哪个区？", "data": {"buttons": [{"title": "潞州区", "payload": "/inform"}]}},
            {"event": "followup", "name": "action_ask_district"},
        ],
        "responses": [{"text": "您在哪个区？", "buttons": [{"title": "潞州区", "payload": "/inform"}]}],
    },
    {"events": [], "responses": []},
]
BAD = [
    {"events": "not a list"},
    {"responses": [{"text": 1}], "events": [{"name": "x"}]},
    {"events": [1]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "name": 3}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"start": 0}]}}]},
    {"events": [{"event": "slot"}]},
]


@pytest.fixture(autouse=True)
def fixed() -> None:
    apply_all()


@pytest.mark.parametrize("answer", GOOD)
def test_a_valid_answer_passes_as_with_stock_rasa(answer: dict) -> None:
    validate(answer, RemoteAction.action_response_format_spec())
    assert validate_action_result(RemoteAction("action_x", None), answer) is True


@pytest.mark.parametrize("answer", BAD)
def test_an_invalid_answer_fails_with_stock_rasas_error(answer: dict) -> None:
    with pytest.raises(ValidationError) as stock:
        validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as ours:
        RemoteAction("action_x", None)._validate_action_result(answer)
    assert ours.value.message.startswith(stock.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_event_classes_resolve_by_name_as_in_rasa() -> None:
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is event_types._resolve_by_type(cls.type_name)
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_an_event_class_defined_later_is_found() -> None:
    Event.resolve_by_type("slot")  # the table is built

    class LateEvent(Event):
        type_name = "late_event_for_the_test"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, LateEvent)

        def __hash__(self) -> int:
            return 1

        def as_story_string(self) -> None:
            return None

    assert Event.resolve_by_type("late_event_for_the_test") is LateEvent


def test_an_endpoint_keeps_one_open_session_per_event_loop() -> None:
    endpoint = EndpointConfig("http://localhost:1/webhook")

    async def twice() -> tuple:
        async with endpoint.session() as first:
            pass
        async with endpoint.session() as second:
            pass
        still_open = not second.closed
        await second.close()
        return first, second, still_open

    first, second, still_open = asyncio.run(twice())
    assert first is second and still_open
    third, _, _ = asyncio.run(twice())  # a new loop gets its own session
    assert third is not first


def test_the_fixes_refuse_another_rasa_release_loudly() -> None:
    from bot.rasa_fixes import RASA_VERSION, WrongRasaVersion, check_version

    check_version(RASA_VERSION)
    with pytest.raises(WrongRasaVersion, match=r"3\.6\.22"):
        check_version("3.6.22")
