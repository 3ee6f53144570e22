"""After 办结: a message that is not a rating reopens the ticket; a poor rating waits for a 回访."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core import deadlines, ticket_queue, tickets
from core.models import AuditEvent, StaffUser, Ticket, TicketMessage
from core.services import Services
from core.workers import WorkerRef

NOW = datetime(2026, 11, 26, 6, 0)
RULES = deadlines.parse()


def member(services: Services, district: str | None, role: str = "staff") -> StaffUser:
    def add(session):
        user = StaffUser(
            username=f"u-{uuid.uuid4().hex[:8]}", display_name="小李", password_hash="x", role=role, district=district
        )
        session.add(user)
        session.flush()
        return user

    return services.transaction(add)


def resolved_ticket(services: Services, intent: str = "request_human", district: str = "潞州区") -> Ticket:
    """A rider's request, answered by staff and resolved at NOW."""
    worker = WorkerRef("rest", f"rider-{uuid.uuid4().hex[:8]}")
    agent = member(services, district)

    def work(session):
        request = tickets.NewRequest(worker, intent, "站长扣了我三百块押金不退", district=district, handoff=True)
        ticket = tickets.open_ticket(session, request, NOW - timedelta(hours=5), NOW.date(), RULES)
        staff = session.get(StaffUser, agent.id)
        tickets.reply(session, ticket, staff, "已联系站点，三天内退还。", NOW - timedelta(hours=4), "k1")
        tickets.resolve(session, ticket, staff, NOW)
        return ticket

    return services.transaction(work)


def worker_of(ticket: Ticket) -> WorkerRef:
    return WorkerRef(ticket.channel, ticket.sender_id)


def test_a_question_after_resolve_reopens_the_ticket_with_fresh_deadlines_and_staff_own_it(
    services: Services,
) -> None:
    ticket = resolved_ticket(services)
    later = NOW + timedelta(days=2)
    reopened = services.transaction(
        lambda s: tickets.reopen_with_message(s, worker_of(ticket), "押金什么时候到账", later, RULES)
    )
    assert reopened is not None and reopened.id == ticket.id
    with services.session_factory() as session:
        t = session.get(Ticket, ticket.id)
        assert (t.state, t.reopened_count, t.handoff_active) == ("new", 1, True)
        assert (t.respond_by, t.resolve_by) == (later + timedelta(hours=24), later + timedelta(days=7))
        assert t.answered_at is None and t.resolved_at is None and t.claimed_by is None
        assert ticket_queue.next_deadline(t) == later + timedelta(hours=24)
        assert tickets.is_overdue(t, later + timedelta(hours=25))
        lines = session.scalars(
            select(TicketMessage.text).where(TicketMessage.ticket_id == t.id, TicketMessage.author == "worker")
        ).all()
        assert lines[-1] == "押金什么时候到账"
        audit = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.ticket_id == t.id, AuditEvent.action == "reopened")
        ).all()
        assert audit == ["resolved→new"]


def test_a_reopened_report_stays_with_the_assistant(services: Services) -> None:
    ticket = resolved_ticket(services, intent="report_issue")
    reopened = services.transaction(
        lambda s: tickets.reopen_with_message(s, worker_of(ticket), "路灯还是不亮", NOW + timedelta(hours=1), RULES)
    )
    assert reopened is not None and reopened.state == "new" and not reopened.handoff_active


def test_nothing_reopens_after_seven_days_or_once_rated(services: Services) -> None:
    old = resolved_ticket(services)
    late = NOW + tickets.REOPEN_WINDOW + timedelta(minutes=1)
    assert services.transaction(lambda s: tickets.reopen_with_message(s, worker_of(old), "还在吗", late, RULES)) is None
    rated = resolved_ticket(services)
    services.transaction(lambda s: tickets.rate(s, worker_of(rated), 4, NOW + timedelta(hours=1)))
    again = services.transaction(
        lambda s: tickets.reopen_with_message(s, worker_of(rated), "还在吗", NOW + timedelta(hours=2), RULES)
    )
    assert again is None
    with services.session_factory() as session:
        assert session.get(Ticket, old.id).state == "resolved"
        assert session.get(Ticket, rated.id).state == "closed"


def test_a_reopened_ticket_can_be_rated_again_after_the_next_resolve(services: Services) -> None:
    ticket = resolved_ticket(services)
    worker = worker_of(ticket)
    services.transaction(lambda s: tickets.rate(s, worker, 2, NOW + timedelta(hours=1)))
    services.transaction(
        lambda s: tickets.open_ticket(
            s, tickets.NewRequest(worker, "request_human", "还是没退"), NOW + timedelta(days=1), NOW.date(), RULES
        )
    )
    with services.session_factory() as session:
        t = session.get(Ticket, ticket.id)
        assert t.state == "new" and t.rating is None and not tickets.needs_follow_up(t)


@pytest.mark.parametrize("rating, due", [(1, True), (2, True), (3, False), (5, False)])
def test_a_rating_of_one_or_two_waits_for_a_follow_up_call(services: Services, rating: int, due: bool) -> None:
    ticket = resolved_ticket(services, district="屯留区")
    services.transaction(lambda s: tickets.rate(s, worker_of(ticket), rating, NOW + timedelta(hours=1)))
    viewer = member(services, "屯留区")
    with services.session_factory() as session:
        assert tickets.needs_follow_up(session.get(Ticket, ticket.id)) is due
        found = ticket_queue.page(session, viewer, ticket_queue.Filters(follow_up_only=True), NOW)
        assert (ticket.id in {r.id for r in found.rows}) is due
        assert all(r.follow_up for r in found.rows)


def test_recording_the_follow_up_is_audited_and_clears_it(services: Services) -> None:
    ticket = resolved_ticket(services, district="上党区")
    services.transaction(lambda s: tickets.rate(s, worker_of(ticket), 1, NOW + timedelta(hours=1)))
    agent, outsider = member(services, "上党区"), member(services, "潞州区")
    with services.session_factory() as session:
        before = ticket_queue.follow_ups_due(session, session.get(StaffUser, agent.id))
        assert before >= 1 and ticket_queue.follow_ups_due(session, session.get(StaffUser, outsider.id)) == 0

    def follow_up(who: StaffUser, text: str):
        return lambda s: tickets.record_follow_up(
            s, s.get(Ticket, ticket.id), s.get(StaffUser, who.id), text, NOW + timedelta(days=1)
        )

    with pytest.raises(tickets.TicketError):
        services.transaction(follow_up(outsider, "已电话回访"))
    with pytest.raises(tickets.TicketError):
        services.transaction(follow_up(agent, "  "))
    services.transaction(follow_up(agent, "已电话回访，骑手说押金已到账"))
    with pytest.raises(tickets.TicketError) as twice:
        services.transaction(follow_up(agent, "再回访一次"))
    assert twice.value.code == "no_follow_up_due"
    with services.session_factory() as session:
        t = session.get(Ticket, ticket.id)
        assert t.followed_up_at == NOW + timedelta(days=1) and not tickets.needs_follow_up(t)
        assert ticket_queue.follow_ups_due(session, session.get(StaffUser, agent.id)) == before - 1
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.ticket_id == t.id, AuditEvent.action == "followed_up")
        ).all()
        assert [(e.actor, e.detail) for e in events] == [(tickets.staff_actor(agent), "1")]
        notes = session.scalars(
            select(TicketMessage.text).where(TicketMessage.ticket_id == t.id, TicketMessage.author == "note")
        ).all()
        assert notes == ["已电话回访，骑手说押金已到账"]
