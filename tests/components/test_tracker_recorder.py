"""bot.delivery.recorder: a delivered message is copied into the Rasa conversation with the slots it changes."""

from __future__ import annotations

from typing import Any, Dict, List

import aiohttp
from aiohttp import web

from bot.delivery.recorder import TrackerRecorder


async def recorded(aiohttp_server: Any, message: Dict[str, Any], payload: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The events a fake Rasa received for one delivered message."""
    received: List[List[Dict[str, Any]]] = []

    async def events(request: web.Request) -> web.Response:
        assert request.query["token"] == "t0ken"
        received.append(await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/conversations/{sender}/tracker/events", events)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as client:
        await TrackerRecorder(client, str(server.make_url("")).rstrip("/"), "t0ken").record("rider", message, payload)
    [batch] = received
    return batch


async def test_the_rating_prompt_ends_the_hand_over_and_names_the_ticket_awaiting_a_rating(aiohttp_server) -> None:
    payload = {"kind": "rating_request", "response": "utter_ask_rating", "vars": {"number": "CZ-20261126-0007"},
               "end_handoff": True}  # fmt: skip
    events = await recorded(aiohttp_server, {"text": "工单 CZ-20261126-0007 已办结。"}, payload)
    assert [(e["event"], e.get("name"), e.get("value")) for e in events] == [
        ("bot", None, None),
        ("slot", "handoff", False),
        ("slot", "rating_ticket", "CZ-20261126-0007"),
    ]
    assert events[0]["metadata"]["kind"] == "rating_request"


async def test_a_staff_reply_changes_no_slot(aiohttp_server) -> None:
    events = await recorded(aiohttp_server, {"text": "【工作人员 小李】您好"}, {"kind": "staff_reply", "staff": "小李"})
    assert [e["event"] for e in events] == ["bot"]
