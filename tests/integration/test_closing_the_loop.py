"""After 办结, through the real stack: the rider's next question reaches the ticket and reopens it."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select

from core import staff, tickets
from core.db import make_engine, make_session_factory
from core.models import StaffUser, Ticket, TicketMessage
from tests.running import RunningStack


def test_a_question_after_resolve_reopens_the_ticket_and_the_rider_is_told(stack: RunningStack) -> None:
    who = f"loop-{uuid.uuid4().hex[:8]}"
    stack.say(who, "转人工")
    handed = stack.texts(who, "站长扣了我三百块押金不退")
    number = handed[handed.index("CZ-") : handed.index("CZ-") + 16]
    factory = make_session_factory(make_engine(stack.database_url))
    with factory.begin() as session:  # the city's staff resolve it (the rider named no district)
        agent = session.scalars(select(StaffUser).where(StaffUser.username == "loop-admin")).first()
        agent = agent or staff.create_user(session, "loop-admin", "Qiao-gong-2026", "admin", None, "小李")
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        tickets.resolve(session, ticket, agent, ticket.created_at)
    deadline = time.monotonic() + 30
    while stack.tracker(who)["slots"].get("rating_ticket") != number:  # the delivery worker sent the prompt
        assert time.monotonic() < deadline, "the rating prompt never reached the conversation"
        time.sleep(0.3)

    replies = stack.say(who, "押金什么时候到账")

    assert [m["text"] for m in replies] == [
        f"您的工单 {number} 已重新打开，这句话已转给工作人员，他们会继续处理，并在这里回复您。"
        "这期间我先不说话了；想回到助手，说“取消”。"
    ]
    with factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert (ticket.state, ticket.reopened_count, ticket.handoff_active) == ("new", 1, True)
        worker_lines = session.scalars(
            select(TicketMessage.text).where(TicketMessage.ticket_id == ticket.id, TicketMessage.author == "worker")
        ).all()
        assert worker_lines[-1] == "押金什么时候到账"
    assert stack.say(who, "麻烦快点") == []  # staff own the conversation again
