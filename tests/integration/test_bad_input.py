"""Bad input through the rest channel: a sensible reply or a 4xx, never a 500 or a hang."""

from __future__ import annotations

import os

import pytest
import requests

from tests.running import RunningStack

TIMEOUT_S = 30


def post(stack: RunningStack, data: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(
        f"{stack.rasa}/webhooks/rest/webhook", data=data, headers={"Content-Type": content_type}, timeout=TIMEOUT_S
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'"just a string"',
        b"{}",
        b'{"message": "hi"}',
        b'{"sender": "", "message": "hi"}',
        b'{"sender": "x\\u0000y", "message": "hi"}',
        b'{"sender": "bad-1"}',
        b'{"sender": "bad-1", "message": null}',
        b'{"sender": "bad-1", "message": 123}',
        b'{"sender": "bad-1", "message": ["a"]}',
        b'{"sender": "bad-1", "message": "hi", "metadata": "x"}',
        b'{"sender": "' + b"s" * 200 + b'", "message": "hi"}',
        b'{"sender": "bad-1", "message": "' + b"a" * 10_001 + b'"}',
        os.urandom(512),
        b'{"sender": "bad-1", "message": "\xff\xfe"}',
    ],
    ids=lambda b: repr(b[:30]),
)
def test_malformed_requests_get_a_400_that_says_why(stack: RunningStack, body: bytes) -> None:
    response = post(stack, body)
    print(response.status_code, response.text[:100])
    assert response.status_code == 400
    assert response.json()["error"]


RETYPE = "消息好像是空的或者看不清，您可以再打一遍字吗？"
NOT_UNDERSTOOD = "不好意思，我没太明白。您是想问下面哪一件事？"
GREETING = "您好，我是暖新助手"
ASK_PLACE = "您现在在哪儿？发个位置给我最准"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", RETYPE),
        ("   \n\t ", RETYPE),
        ("😀😀😀🙂", RETYPE),
        ("\x00\x07\x1b[31m", NOT_UNDERSTOOD),  # the control characters go; "[31m" is not understood
        ("hello how are you doing today", GREETING),
        ("附近" * 5000, ASK_PLACE),  # "nearby" without a place: where are you?
        ("<script>alert(1)</script>", NOT_UNDERSTOOD),
        ("' OR 1=1; DROP TABLE places; --", NOT_UNDERSTOOD),
    ],
    ids=["empty", "blank", "emoji", "control", "english", "10000 chars", "html", "sql"],
)
def test_odd_messages_get_a_sensible_chinese_reply(stack: RunningStack, message: str, expected: str) -> None:
    sender = f"odd-{abs(hash(message))}"
    replies = stack.say(sender, message)
    text = "".join(m.get("text", "") for m in replies)
    print(repr(message[:20]), "->", text[:80])
    assert replies, "no reply at all"
    assert text.startswith(expected), text[:200]
    assert "<script>" not in text and "\x00" not in text and "\x1b" not in text
    # and the conversation goes on normally, with the stations still in their table
    assert "暖新助手" in stack.texts(sender, "你好")
    assert "手机充电" in stack.texts(sender, "英雄中路附近哪能充电")


def test_a_client_cannot_pose_as_another_channel(stack: RunningStack) -> None:
    stack.say("impostor", "你好", input_channel="telegram")
    events = stack.tracker("impostor")["events"]
    channels = {e.get("input_channel") for e in events if e.get("event") == "user"}
    assert channels == {"rest"}


def test_a_nonsense_route_is_a_404_not_a_500(stack: RunningStack) -> None:
    assert requests.get(f"{stack.rasa}/webhooks/rest/nothing", timeout=TIMEOUT_S).status_code == 404
