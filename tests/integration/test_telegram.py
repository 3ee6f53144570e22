"""Telegram end to end: updates as Telegram documents them, posted to the webhook; the
channel answers through aiogram against a local fake of the Bot API."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Any, Dict, List, Optional

import requests
from aiogram import types
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER
from core.db import make_engine, make_session_factory
from core.models import Attachment, Ticket
from tests.running import TELEGRAM_SECRET, RunningStack, staff_reply

UPDATE_IDS = itertools.count(int(time.time()) * 1000)


def user(user_id: int) -> Dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "骑手", "language_code": "zh-hans"}


def message_update(chat_id: int, user_id: int, chat_type: str = "private", **content: Any) -> Dict[str, Any]:
    update = {
        "update_id": next(UPDATE_IDS),
        "message": {
            "message_id": next(UPDATE_IDS) % 100000,
            "from": user(user_id),
            "chat": {"id": chat_id, "type": chat_type, **({"title": "骑手群"} if chat_type != "private" else {})},
            "date": int(time.time()),
            **content,
        },
    }
    return types.Update.to_object(update).to_python()  # checked by aiogram's own types


def post(stack: RunningStack, update: Any, secret: Optional[str] = TELEGRAM_SECRET, raw: Optional[bytes] = None):
    headers = {"Content-Type": "application/json", **({SECRET_HEADER: secret} if secret else {})}
    body = raw if raw is not None else json.dumps(update).encode()
    return requests.post(f"{stack.rasa}/webhooks/telegram/webhook", data=body, headers=headers, timeout=60)


def sent_to(fakes, chat_id: int) -> List[Dict[str, Any]]:
    return [c for c in fakes.telegram.sent() if int(c["chat_id"]) == chat_id]


def new_chat() -> int:
    return int(uuid.uuid4().int % 10**9) + 10**9


def test_a_text_message_is_answered_with_inline_buttons(stack, fakes) -> None:
    chat = new_chat()
    assert post(stack, message_update(chat, chat, text="你好")).status_code == 200
    replies = sent_to(fakes, chat)
    assert "暖新助手" in replies[0]["text"]
    keyboard = json.loads(replies[0]["reply_markup"])["inline_keyboard"]
    assert {"text": "转人工", "callback_data": "/request_human"} in [b for row in keyboard for b in row]


def test_forged_malformed_oversized_and_replayed_updates(stack, fakes) -> None:
    chat = new_chat()
    update = message_update(chat, chat, text="你好")
    assert post(stack, update, secret=None).status_code == 403
    assert post(stack, update, secret="guess").status_code == 403
    assert post(stack, None, raw=b"{not json").status_code == 400
    assert post(stack, None, raw=b'{"message": {"text": "no update id"}}').status_code == 400
    assert post(stack, None, raw=b'{"update_id": 1, "x": "' + b"a" * 1_100_000 + b'"}').status_code == 413
    beyond_time = {**update, "message": {**update["message"], "date": 10**20}}  # past the platform's time_t
    assert post(stack, beyond_time).status_code == 400
    assert sent_to(fakes, chat) == []
    assert post(stack, update).status_code == 200
    assert post(stack, update).status_code == 200  # Telegram redelivers, or someone replays it
    assert len(sent_to(fakes, chat)) == 1


def test_a_shared_location_searches_stations_and_never_reaches_the_nlu_as_text(stack, fakes) -> None:
    chat = new_chat()
    post(stack, message_update(chat, chat, location={"latitude": 36.1955, "longitude": 113.1160}))
    assert "您附近" in sent_to(fakes, chat)[0]["text"]
    user_events = [e for e in stack.tracker(f"tg:{chat}")["events"] if e["event"] == "user"]
    assert user_events[-1]["parse_data"]["intent"]["name"] == "share_location"
    assert user_events[-1]["parse_data"]["intent"]["confidence"] == 1.0


def test_a_tapped_button_is_answered_and_followed(stack, fakes) -> None:
    chat = new_chat()
    update = {
        "update_id": next(UPDATE_IDS),
        "callback_query": {
            "id": f"cb{chat}",
            "from": user(chat),
            "chat_instance": "1",
            "data": "/ask_capabilities",
            "message": {
                "message_id": 5,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": "…",
            },
        },
    }
    assert post(stack, update).status_code == 200
    assert any(c.get("callback_query_id") == f"cb{chat}" for c in fakes.telegram.sent("answerCallbackQuery"))
    assert "我能帮您" in sent_to(fakes, chat)[0]["text"]


def test_a_photo_with_caption_becomes_a_report_with_the_photo(stack, fakes) -> None:
    chat = new_chat()
    photo = [{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
             {"file_id": "big", "file_unique_id": "b", "width": 800, "height": 800}]  # fmt: skip
    post(stack, message_update(chat, chat, photo=photo, caption="英雄中路这个井盖没了 太危险"))
    text = "\n".join(m["text"] for m in sent_to(fakes, chat))
    assert "编号 CZ-" in text
    assert any(c["file_id"] == "big" for c in fakes.telegram.sent("getFile"))
    factory = make_session_factory(make_engine(stack.database_url))
    with factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == f"tg:{chat}")).one()
        attachment = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
        assert attachment.data.startswith(b"\xff\xd8") and "井盖" in ticket.description


def test_each_member_of_a_group_is_their_own_conversation(stack, fakes) -> None:
    group = -new_chat()
    post(stack, message_update(group, 11, chat_type="supergroup", text="想找个地方歇歇脚"))
    post(stack, message_update(group, 22, chat_type="supergroup", text="你好"))
    first, second = stack.tracker(f"tg:{group}:11"), stack.tracker(f"tg:{group}:22")
    assert first["active_loop"].get("name") == "station_form"
    assert not second["active_loop"].get("name")
    assert len(sent_to(fakes, group)) == 2


def test_edited_messages_and_updates_without_a_message_are_acknowledged(stack, fakes) -> None:
    chat = new_chat()
    edited = message_update(chat, chat, text="改过的")
    edited["edited_message"] = edited.pop("message")
    membership = {
        "update_id": next(UPDATE_IDS),
        "my_chat_member": {
            "chat": {"id": chat, "type": "private"}, "from": user(chat), "date": int(time.time()),
            "old_chat_member": {"user": user(1), "status": "member"},
            "new_chat_member": {"user": user(1), "status": "kicked", "until_date": 0},
        },
    }  # fmt: skip
    assert post(stack, edited).status_code == 200
    assert post(stack, membership).status_code == 200
    assert sent_to(fakes, chat) == []


def test_a_staff_reply_reaches_a_telegram_worker_even_through_flood_control(stack, fakes) -> None:
    chat = new_chat()
    post(stack, message_update(chat, chat, text="转人工"))
    post(stack, message_update(chat, chat, text="站点扣我押金 三百块"))
    long_reply = "您好，已联系站点。\n" + "押金退还流程说明。\n" * 500  # about 5,000 characters
    limited_before = fakes.telegram.rate_limited
    fakes.telegram.rate_limit_next = 1
    started = time.monotonic()
    staff_reply(stack, f"tg:{chat}", long_reply, "tg-reply")
    deadline = started + 30
    while time.monotonic() < deadline and len([m for m in sent_to(fakes, chat) if "押金退还流程" in m["text"]]) < 2:
        time.sleep(0.3)
    pieces = [m["text"] for m in sent_to(fakes, chat) if "押金退还流程" in m["text"] or "已联系站点" in m["text"]]
    assert len(pieces) == 2 and all(len(p) <= 4096 for p in pieces)
    assert pieces[0].startswith("【工作人员")
    assert fakes.telegram.rate_limited == limited_before + 1
    assert time.monotonic() - started >= 1.0  # waited out retry_after


def test_a_station_answer_has_a_map_button_and_no_raw_url(stack, fakes) -> None:
    chat = new_chat()
    post(stack, message_update(chat, chat, text="英雄中路附近哪能充电"))
    items = [m for m in sent_to(fakes, chat) if m["text"].startswith(("1.", "2.", "3."))]
    assert len(items) == 3
    for item in items:
        assert "http" not in item["text"] and "电话：0355-" in item["text"]  # Telegram links the number itself
        rows = json.loads(item["reply_markup"])["inline_keyboard"]
        keyboard = [b for row in rows for b in row if not b.get("callback_data", "").startswith("rate:")]  # 👍/👎
        assert [b["text"] for b in keyboard] == ["地图导航"]
        assert keyboard[0]["url"].startswith("https://uri.amap.com/marker?") and "callback_data" not in keyboard[0]


def test_an_outage_of_the_bot_api_delays_the_answer_and_loses_none(stack, fakes) -> None:
    chat = new_chat()
    fakes.telegram.outage = True
    try:
        assert post(stack, message_update(chat, chat, text="你是机器人吗")).status_code == 200
        time.sleep(1)
        assert sent_to(fakes, chat) == []  # nothing got through, yet the update was acknowledged
    finally:
        fakes.telegram.outage = False
    deadline = time.monotonic() + 60
    while not sent_to(fakes, chat) and time.monotonic() < deadline:
        time.sleep(0.5)  # the delivery worker retries the outbox row
    time.sleep(2)
    answers = sent_to(fakes, chat)
    assert len(answers) == 1 and "不是真人" in answers[0]["text"]
