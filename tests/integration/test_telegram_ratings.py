"""👍/👎 on Telegram end to end: an FAQ answer comes with a rating row, a tap is stored with the entry
that produced the answer and reaches the review inbox, never the assistant; a tap forged from another chat
or with data of another shape rates nothing. Out-of-scope messages and repeated questions reach the inbox too."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List

from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.models import InboxMessage, RatedAnswer
from tests.integration.test_telegram import UPDATE_IDS, message_update, new_chat, post, sent_to, user
from tests.running import RunningStack


def tap(chat: int, data: str, user_id: int = 0) -> Dict[str, Any]:
    """A callback query as Telegram sends it when a button under the bot's message is tapped."""
    return {
        "update_id": next(UPDATE_IDS),
        "callback_query": {
            "id": f"cb{next(UPDATE_IDS)}",
            "from": user(user_id or chat),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 5,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": "…",
            },
        },
    }


def keyboard(message: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [b for row in json.loads(message.get("reply_markup") or "{}").get("inline_keyboard", []) for b in row]


def acknowledgement(fakes: Any, update: Dict[str, Any]) -> str:
    query_id = update["callback_query"]["id"]
    [call] = [c for c in fakes.telegram.sent("answerCallbackQuery") if c.get("callback_query_id") == query_id]
    return call.get("text", "")


def query(stack: RunningStack, statement: Any) -> List[Any]:
    engine = make_engine(stack.database_url)
    with make_session_factory(engine)() as session:
        found = list(session.scalars(statement))
    engine.dispose()
    return found


def test_an_faq_answer_is_rated_from_its_own_chat_only_and_the_thumbs_down_reaches_the_inbox(stack, fakes) -> None:
    chat, stranger = new_chat(), new_chat()
    assert post(stack, tap(chat, '/faq{"faq_id": 1}')).status_code == 200
    [answer] = sent_to(fakes, chat)
    down = next(b["callback_data"] for b in keyboard(answer) if b["text"].startswith("👎"))
    answer_id = int(down.split(":")[1])
    [stored] = query(stack, select(RatedAnswer).where(RatedAnswer.id == answer_id))
    assert (stored.channel, stored.sender_id, stored.response, stored.faq_id) == (
        "telegram", f"tg:{chat}", "utter_faq_answer", 1,
    )  # fmt: skip

    forged = tap(stranger, down)
    assert post(stack, forged).status_code == 200
    assert acknowledgement(fakes, forged) == "这条回答无法评价。"
    assert query(stack, select(RatedAnswer.rating).where(RatedAnswer.id == answer_id)) == [None]

    mine = tap(chat, down)
    assert post(stack, mine).status_code == 200
    assert acknowledgement(fakes, mine) == "谢谢反馈，我们会改进这个回答。"
    assert query(stack, select(RatedAnswer.rating).where(RatedAnswer.id == answer_id)) == [-1]
    [kept] = query(stack, select(InboxMessage).where(InboxMessage.answer_id == answer_id))
    assert (kept.reason, kept.channel) == ("thumbs_down", "telegram")
    assert len(sent_to(fakes, chat)) == 1  # a tap is never a message to the assistant
    said = [e["text"] for e in stack.tracker(f"tg:{chat}")["events"] if e["event"] == "user"]
    assert not any(text.startswith("rate:") for text in said)


def test_rating_data_of_another_shape_is_acknowledged_and_dropped(stack, fakes) -> None:
    chat = new_chat()
    for data in ("rate:abc:down", "rate:1:meh", "rate:" + "9" * 40 + ":up"):
        update = tap(chat, data)
        assert post(stack, update).status_code == 200
        assert acknowledgement(fakes, update) == "这条回答无法评价。"
    assert sent_to(fakes, chat) == []
    assert not [e for e in stack.tracker(f"tg:{chat}")["events"] if e["event"] == "user"]


def test_an_out_of_scope_message_reaches_the_review_inbox_masked(stack, fakes) -> None:
    chat = new_chat()
    post(stack, message_update(chat, chat, text="想离婚孩子归谁 我电话13812345678"))
    kept = query(stack, select(InboxMessage).where(InboxMessage.reason == "out_of_scope"))
    assert any(m.text == "想离婚孩子归谁 我电话138****5678" and m.channel == "telegram" for m in kept)


def test_the_same_question_again_after_an_answer_reaches_the_review_inbox_as_a_repeat(stack, fakes) -> None:
    chat = new_chat()
    for _ in range(2):
        post(stack, message_update(chat, chat, text="英雄中路附近哪能充电"))
    kept = query(stack, select(InboxMessage).where(InboxMessage.text == "英雄中路附近哪能充电"))
    assert [(m.reason, m.channel) for m in kept] == [("repeat", "telegram")]
