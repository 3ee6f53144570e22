"""Doors that were open: every port on loopback, an action server that answers Rasa only, the
Rasa token off the command line, the rest channel's production switch and token, rate limits."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from bot.channels.rest import RestInput
from tests.running import RunningStack


def listening_addresses(port: int) -> set:
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return {line.split()[3].rsplit(":", 1)[0] for line in out.splitlines() if line.strip()}


def test_every_server_listens_on_loopback_only(stack: RunningStack) -> None:
    config = stack.config
    for port in (config.rasa_port, config.actions_port, config.web_port):
        assert listening_addresses(port) <= {"127.0.0.1", "[::1]"}, port


def test_the_action_server_refuses_calls_without_the_action_token(stack: RunningStack) -> None:
    url = f"http://127.0.0.1:{stack.config.actions_port}/webhook"
    call = {"next_action": "action_check_tickets", "sender_id": "tg:1", "tracker": {"sender_id": "tg:1"}, "domain": {}}
    assert requests.post(url, json=call, timeout=10).status_code == 403
    assert requests.post(url, params={"token": "guess"}, json=call, timeout=10).status_code == 403
    assert requests.get(f"http://127.0.0.1:{stack.config.actions_port}/health", timeout=10).status_code == 200
    assert "暖新助手" in stack.texts(f"doors-{uuid.uuid4().hex[:6]}", "你好")  # Rasa's own calls carry it


def test_the_rasa_token_is_not_on_any_command_line(stack: RunningStack) -> None:
    for service in stack.stack.services:
        cmdline = Path(f"/proc/{service.process.pid}/cmdline").read_bytes().decode(errors="replace")
        assert stack.config.token not in cmdline and stack.config.action_token not in cmdline, service.name


def test_a_flood_from_one_web_chat_visitor_is_slowed_down_in_chinese(stack: RunningStack) -> None:
    visitor = requests.Session()
    visitor.get(stack.web, timeout=10)
    statuses = [visitor.post(f"{stack.web}/api/chat", json={"message": "谢谢"}, timeout=60) for _ in range(35)]
    refused = [r for r in statuses if r.status_code == 429]
    assert refused and json.loads(refused[0].text)["error"] == "发得太快了，请稍等一会儿再发。"
    other = requests.Session()
    other.get(stack.web, timeout=10)
    assert other.post(f"{stack.web}/api/chat", json={"message": "你好"}, timeout=60).status_code == 200


def test_one_visitor_cannot_open_streams_without_end(stack: RunningStack) -> None:
    visitor = requests.Session()
    visitor.get(stack.web, timeout=10)
    visitor.post(f"{stack.web}/api/chat", json={"message": "你好"}, timeout=60)
    codes = []
    for _ in range(8):
        with visitor.get(f"{stack.web}/api/chat/events", stream=True, timeout=10) as response:
            codes.append(response.status_code)
    assert codes[:4] == [200] * 4 and 429 in codes[4:]


def request(headers=None, ip="203.0.113.9"):
    class Request:
        pass

    made = Request()
    made.headers, made.ip = headers or {}, ip
    return made


@pytest.mark.parametrize(
    ("env", "headers", "status"),
    [
        ({"NUANXIN_ENV": "production"}, {}, 404),
        ({"NUANXIN_ENV": "production", "REST_TOKEN": "t0ken"}, {}, 401),
        ({"NUANXIN_ENV": "production", "REST_TOKEN": "t0ken"}, {"Authorization": "Bearer t0ken"}, None),
        ({"REST_TOKEN": "t0ken"}, {"Authorization": "Bearer wrong"}, 401),
        ({}, {}, None),
    ],
)
def test_the_rest_channel_is_off_in_production_unless_it_has_a_token(monkeypatch, env, headers, status) -> None:
    for name in ("NUANXIN_ENV", "REST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    refusal = RestInput().refusal(request(headers))
    assert (refusal.status if refusal else None) == status


def test_a_rest_sender_and_an_address_have_their_limits(monkeypatch) -> None:
    monkeypatch.setenv("RATE_LIMITS", "rest=3/60,rest_address=5/60")
    channel = RestInput()
    assert [channel.over_limit(request(), "a") for _ in range(4)] == [False, False, False, True]
    # The address counted the three "a" let through; "b" gets its fourth and fifth, not a sixth.
    assert [channel.over_limit(request(), "b") for _ in range(3)] == [False, False, True]
