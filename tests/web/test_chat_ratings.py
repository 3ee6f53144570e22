"""👍/👎 in the web chat: an answer comes with an id (its source kept on the server), the visitor rates it,
and a forged or malformed rating is a 4xx, never a 500. Rasa is a local fake that answers as the webchat
channel does."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, Iterator, List

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.web import identity
from bot.web.app import create_app
from core.models import InboxMessage, RatedAnswer
from core.services import Services
from tests.fakes.server import ThreadedServer

FAQ_ANSWER = {"text": "【驿站收费吗】\n暖新驿站免费开放", "source": {"response": "utter_faq_answer", "faq_id": 3}}
FORM_QUESTION = {"text": "您在哪个区县？", "source": {"response": "utter_ask_district_text"}}


@dataclass
class FakeRasa:
    """Answers every webchat post with `answers`, as the webchat channel shapes them."""

    answers: List[Dict[str, Any]]
    url: str = ""


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa([FAQ_ANSWER])

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response([{"recipient_id": body["sender"], **m} for m in fake.answers])

    app = web.Application()
    app.router.add_post("/webhooks/webchat/webhook", webhook)
    server = ThreadedServer(app).start()
    fake.url = server.url
    yield fake
    server.stop()


@pytest.fixture
async def chat(aiohttp_client: Any, web_services: Services, rasa: FakeRasa) -> Any:
    settings = replace(web_services.settings, rasa_url=rasa.url)
    return await aiohttp_client(create_app(settings, replace(web_services, settings=settings)))


async def ask(chat: Any, text: str) -> List[Dict[str, Any]]:
    response = await chat.post("/api/chat", json={"message": text})
    assert response.status == 200
    return (await response.json())["messages"]


async def test_an_answer_carries_an_id_to_rate_and_its_source_stays_on_the_server(chat, web_services) -> None:
    [message] = await ask(chat, "驿站要钱吗 13812345678")
    assert "source" not in message and isinstance(message["answer_id"], int)
    stored = web_services.read(lambda s: s.get(RatedAnswer, message["answer_id"]))
    assert (stored.response, stored.faq_id, stored.answer) == ("utter_faq_answer", 3, FAQ_ANSWER["text"])
    assert stored.question == "驿站要钱吗 138****5678" and stored.sender_id.startswith("web-")


async def test_a_question_back_gets_no_rating_buttons(chat, rasa) -> None:
    rasa.answers = [FORM_QUESTION]
    [message] = await ask(chat, "想找驿站")
    assert "answer_id" not in message and "source" not in message


async def test_a_thumbs_down_is_stored_and_reaches_the_review_inbox(chat, web_services) -> None:
    [message] = await ask(chat, "驿站要钱吗")
    response = await chat.post("/api/chat/feedback", json={"answer_id": message["answer_id"], "rating": "down"})
    assert response.status == 200
    assert web_services.read(lambda s: s.get(RatedAnswer, message["answer_id"]).rating) == -1
    inbox = web_services.read(lambda s: s.scalars(select(InboxMessage)).one())
    assert (inbox.reason, inbox.text, inbox.answer_id) == ("thumbs_down", "驿站要钱吗", message["answer_id"])
    await chat.post("/api/chat/feedback", json={"answer_id": message["answer_id"], "rating": "up"})
    assert web_services.read(lambda s: s.get(RatedAnswer, message["answer_id"]).rating) == 1


async def test_another_visitors_answer_cannot_be_rated(chat, web_services) -> None:
    [message] = await ask(chat, "驿站要钱吗")
    chat.session.cookie_jar.clear()
    other = identity.sign(identity.new_conversation_id(), web_services.settings.secret_key)
    response = await chat.post(
        "/api/chat/feedback",
        json={"answer_id": message["answer_id"], "rating": "down"},
        cookies={identity.COOKIE: other},
    )
    assert response.status == 404
    assert web_services.read(lambda s: s.get(RatedAnswer, message["answer_id"]).rating) is None


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"answer_id": 1}',
        b'{"answer_id": 1, "rating": "meh"}',
        b'{"answer_id": 1, "rating": ["down"]}',
        b'{"answer_id": "1", "rating": "down"}',
        b'{"answer_id": true, "rating": "down"}',
        b'{"answer_id": 1e400, "rating": "down"}',
        b'{"answer_id": ' + b"9" * 5000 + b', "rating": "down"}',
        b"\xff\xfe",
        b'{"answer_id": 1, "rating": "down"' + b" " * 2000 + b"}",  # well formed, but longer than a rating is
    ],
)
async def test_a_malformed_rating_is_a_400(chat, body: bytes) -> None:
    await ask(chat, "驿站要钱吗")
    response = await chat.post("/api/chat/feedback", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400


async def test_a_rating_without_a_conversation_or_for_no_answer_is_refused(chat) -> None:
    assert (await chat.post("/api/chat/feedback", json={"answer_id": 1, "rating": "up"})).status == 401
    await ask(chat, "驿站要钱吗")
    assert (await chat.post("/api/chat/feedback", json={"answer_id": 999999, "rating": "up"})).status == 404
