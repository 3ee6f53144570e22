"""Keeping an answer for 👍/👎 (bot/channels/answer_sources.py) with what riders really send."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.answer_sources import ANSWER_ID, SOURCE, offer_rating
from core.models import RatedAnswer
from core.workers import WorkerRef


async def test_a_question_holding_a_lone_surrogate_is_kept_without_it_and_the_answer_offered(sqlite_services) -> None:
    """Found by the entry fuzzer: '\\udfff' (valid JSON) in a web chat message made the insert raise (a 500)."""
    answer = {"text": "最近的暖新驿站在英雄中路", SOURCE: {"response": "utter_faq", "faq_id": 3}}
    shown = await offer_rating(sqlite_services, WorkerRef("webchat", "r1"), "驿站\udfff在哪", [answer])
    stored = sqlite_services.read(lambda s: s.scalars(select(RatedAnswer.question)).all())
    assert stored == ["驿站在哪"] and shown[0][ANSWER_ID] and SOURCE not in shown[0]
