"""The compiled validator of action-server answers accepts and rejects exactly what Rasa's own does."""

from __future__ import annotations

import asyncio

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server import apply_fixes

GOOD = {"events": [{"event": "slot", "name": "district", "value": "潞州区"}], "responses": [{"text": "好的"}]}
BAD = [{"events": "not a list"}, {"responses": [{"text": 1}], "events": [{"name": "x"}]}, {"events": [1]}]


@pytest.fixture
def action() -> RemoteAction:
    apply_fixes()
    return RemoteAction("action_anything", None)


def test_a_valid_answer_passes(action: RemoteAction) -> None:
    assert action._validate_action_result(GOOD) is True


@pytest.mark.parametrize("answer", BAD)
def test_an_invalid_answer_fails_as_with_stock_rasa(action: RemoteAction, answer: dict) -> None:
    with pytest.raises(ValidationError) as stock:
        validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(answer)
    assert ours.value.message.startswith(stock.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_an_endpoint_keeps_one_open_session_per_event_loop() -> None:
    apply_fixes()
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
