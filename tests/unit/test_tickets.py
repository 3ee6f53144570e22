"""Tickets: numbers, the state machine, reopening, scope, replies through the outbox, ratings."""

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from core import deadlines, tickets
from core.models import Attachment, AuditEvent, OutboxMessage, StaffUser, Ticket, TicketMessage
from core.services import Services
from core.workers import WorkerRef

NOW = datetime(2026, 11, 26, 6, 0)
TODAY = date(2026, 11, 26)
RULES = deadlines.parse()


def staff(services: Services, username: str, district: str | None, role: str = "staff") -> StaffUser:
    def add(session):
        existing = session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
        if existing:
            return existing
        user = StaffUser(username=username, display_name=username, password_hash="x", role=role, district=district)
        session.add(user)
        session.flush()
        return user

    return services.transaction(add)


def open_request(services: Services, sender: str, intent: str = "request_human", when: datetime = NOW, **kw) -> Ticket:
    kw.setdefault("district", "潞州区")  # a request without one waits for dispatch (test_ticket_assignment.py)
    request = tickets.NewRequest(WorkerRef("rest", sender), intent, kw.pop("description", "站点欠我工资"), **kw)
    return services.transaction(lambda s: tickets.open_ticket(s, request, when, when.date(), RULES))


def test_numbers_count_up_per_day(services: Services) -> None:
    day = datetime(2031, 1, 2, 3, 0)
    first = open_request(services, "n1", when=day)
    second = open_request(services, "n2", when=day)
    assert first.number == "CZ-20310102-0001"
    assert second.number == "CZ-20310102-0002"


def test_deadlines_follow_the_category(services: Services) -> None:
    report = open_request(services, "d1", intent="report_issue", district="屯留区")
    suggestion = open_request(services, "d2", intent="make_suggestion")
    assert report.sla_class == "urgent" and report.respond_by == NOW + timedelta(hours=2)
    assert suggestion.sla_class == "complex" and suggestion.resolve_by == NOW + timedelta(days=15)
    assert report.district == "屯留区"


def test_a_second_request_of_the_same_kind_joins_the_open_ticket(services: Services) -> None:
    first = open_request(services, "same")
    again = open_request(services, "same", description="还有押金也没退")
    assert again.id == first.id


def test_staff_reply_writes_message_state_and_outbox_together(services: Services) -> None:
    ticket = open_request(services, "r1", district="潞州区")
    agent = staff(services, "lz1", "潞州区")

    def answer(session):
        t = session.get(Ticket, ticket.id)
        tickets.reply(session, t, session.get(StaffUser, agent.id), "您好，已联系站点。", NOW, "req-1")

    services.transaction(answer)
    with services.session_factory() as session:
        t = session.get(Ticket, ticket.id)
        assert t.state == "answered" and t.answered_at == NOW
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
        assert len(rows) == 1 and json.loads(rows[0].payload)["text"] == "您好，已联系站点。"
        assert rows[0].recipient == "r1" and rows[0].state == "pending"


def test_a_failed_transaction_leaves_neither_reply_nor_outbox_row(services: Services) -> None:
    ticket = open_request(services, "r2")
    agent = staff(services, "lz1", "潞州区")

    def answer_then_crash(session):
        tickets.reply(session, session.get(Ticket, ticket.id), session.get(StaffUser, agent.id), "答复", NOW, "req-x")
        raise RuntimeError("crash between write and commit")

    with pytest.raises(RuntimeError):
        services.transaction(answer_then_crash)
    with services.session_factory() as session:
        assert session.get(Ticket, ticket.id).state == "new"
        assert not session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()


def test_the_same_form_submitted_twice_sends_one_reply(services: Services) -> None:
    ticket = open_request(services, "r3")
    agent = staff(services, "lz1", "潞州区")

    def answer(session):
        tickets.reply(
            session, session.get(Ticket, ticket.id), session.get(StaffUser, agent.id), "好的", NOW, "same-key"
        )

    services.transaction(answer)
    with pytest.raises(tickets.TicketError):
        services.transaction(answer)


def test_staff_act_only_in_their_district(services: Services) -> None:
    ticket = open_request(services, "scope", district="屯留区")
    outsider = staff(services, "lz1", "潞州区")
    with pytest.raises(tickets.TicketError):
        services.transaction(lambda s: tickets.claim(s, s.get(Ticket, ticket.id), s.get(StaffUser, outsider.id), NOW))
    admin = staff(services, "admin1", None, role="admin")
    services.transaction(lambda s: tickets.claim(s, s.get(Ticket, ticket.id), s.get(StaffUser, admin.id), NOW))


def test_resolve_asks_for_a_rating_and_the_rating_closes_the_ticket(services: Services) -> None:
    ticket = open_request(services, "rate", handoff=True)
    agent = staff(services, "lz1", "潞州区")
    services.transaction(lambda s: tickets.resolve(s, s.get(Ticket, ticket.id), s.get(StaffUser, agent.id), NOW))
    with services.session_factory() as session:
        t = session.get(Ticket, ticket.id)
        assert t.state == "resolved" and not t.handoff_active
        kinds = [
            json.loads(r.payload)["kind"]
            for r in session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == t.id))
        ]
        assert kinds == ["rating_request"]
    rated = services.transaction(lambda s: tickets.rate(s, WorkerRef("rest", "rate"), 5, NOW))
    assert rated.id == ticket.id
    with services.session_factory() as session:
        t = session.get(Ticket, ticket.id)
        assert (t.state, t.rating) == ("closed", 5)
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.ticket_id == t.id).order_by(AuditEvent.id)
        ).all()
        assert actions == ["created", "resolved", "rated"]


def test_writing_again_within_seven_days_reopens_after_that_a_new_ticket(services: Services) -> None:
    ticket = open_request(services, "reopen")
    agent = staff(services, "lz1", "潞州区")
    services.transaction(lambda s: tickets.resolve(s, s.get(Ticket, ticket.id), s.get(StaffUser, agent.id), NOW))
    reopened = open_request(services, "reopen", when=NOW + timedelta(days=6), description="还是没解决")
    assert reopened.id == ticket.id and reopened.state == "new" and reopened.reopened_count == 1
    services.transaction(
        lambda s: tickets.resolve(s, s.get(Ticket, ticket.id), s.get(StaffUser, agent.id), NOW + timedelta(days=6))
    )
    fresh = open_request(services, "reopen", when=NOW + timedelta(days=14))
    assert fresh.id != ticket.id


def test_an_impossible_transition_is_refused(services: Services) -> None:
    ticket = open_request(services, "bad")
    agent = staff(services, "lz1", "潞州区")
    services.transaction(lambda s: tickets.resolve(s, s.get(Ticket, ticket.id), s.get(StaffUser, agent.id), NOW))
    with pytest.raises(tickets.TicketError):
        services.transaction(lambda s: tickets.claim(s, s.get(Ticket, ticket.id), s.get(StaffUser, agent.id), NOW))


def test_a_worker_sees_a_ticket_by_number_only_if_it_is_theirs(services: Services) -> None:
    ticket = open_request(services, "owner-t")
    with services.session_factory() as session:
        assert tickets.by_number_for_worker(session, ticket.number, WorkerRef("rest", "owner-t")).id == ticket.id
        assert tickets.by_number_for_worker(session, ticket.number, WorkerRef("rest", "someone-else")) is None


def test_overdue_when_unanswered_past_the_deadline(services: Services) -> None:
    ticket = open_request(services, "late-t", intent="report_issue")
    assert not tickets.is_overdue(ticket, NOW + timedelta(hours=1))
    assert tickets.is_overdue(ticket, NOW + timedelta(hours=3))


def test_a_message_to_staff_after_a_quiet_spell_is_acknowledged_once(services: Services) -> None:
    worker = WorkerRef("rest", "quiet")
    ticket = open_request(services, "quiet", handoff=True)
    quiet = timedelta(minutes=10)

    def forward(text: str, when: datetime):
        return services.transaction(lambda s: tickets.forward_to_staff(s, worker, text, None, when, quiet))

    assert forward("在吗", NOW + timedelta(minutes=1)) is False  # right after the hand-over: no need
    assert forward("有人吗", NOW + timedelta(minutes=12)) is True  # back after a quiet spell
    assert forward("快点", NOW + timedelta(minutes=13)) is False  # the next ones are not
    lines = services.read(
        lambda s: s.scalars(select(TicketMessage.text).where(TicketMessage.ticket_id == ticket.id)).all()
    )
    assert {"在吗", "有人吗", "快点"} <= set(lines)


def test_a_message_after_the_hand_off_ended_is_not_forwarded(services: Services) -> None:
    worker = WorkerRef("rest", "ended")
    ticket = open_request(services, "ended", handoff=True)
    services.transaction(lambda s: tickets.end_handoff(s, s.get(Ticket, ticket.id), "worker", NOW))
    forwarded = services.transaction(
        lambda s: tickets.forward_to_staff(s, worker, "你好", None, NOW, timedelta(minutes=10))
    )
    assert forwarded is None


def test_a_senders_photos_are_capped_per_day_and_orphans_are_deleted(services: Services) -> None:
    worker = WorkerRef("webchat", "web-photos")
    kept = services.transaction(lambda s: tickets.store_attachment(s, worker, "image/jpeg", b"x" * 600, "a", NOW, 1000))
    refused = services.transaction(
        lambda s: tickets.store_attachment(s, worker, "image/jpeg", b"x" * 600, "b", NOW, 1000)
    )
    next_day = services.transaction(
        lambda s: tickets.store_attachment(
            s, worker, "image/jpeg", b"x" * 600, "c", NOW + timedelta(days=1, seconds=1), 1000
        )
    )
    assert kept is not None and refused is None and next_day is not None
    removed = services.transaction(lambda s: tickets.delete_orphan_attachments(s, NOW + timedelta(hours=1)))
    assert removed >= 1
    left = services.read(
        lambda s: s.scalars(select(Attachment.filename).where(Attachment.sender_id == "web-photos")).all()
    )
    assert left == ["c"]


def test_staff_reply_note_transfer_and_resolve_only_in_their_district(services: Services) -> None:
    ticket = open_request(services, "scope-all", district="屯留区")
    outsider = staff(services, "lz1", "潞州区")

    def act(action):
        return lambda s: action(s, s.get(Ticket, ticket.id), s.get(StaffUser, outsider.id))

    for action in (
        lambda s, t, u: tickets.reply(s, t, u, "越区答复", NOW, "scope-key"),
        lambda s, t, u: tickets.note(s, t, u, "越区备注", NOW),
        lambda s, t, u: tickets.transfer(s, t, u, "潞州区", NOW),
        lambda s, t, u: tickets.resolve(s, t, u, NOW),
    ):
        with pytest.raises(tickets.TicketError, match="outside_district"):
            services.transaction(act(action))
    with services.session_factory() as session:
        t = session.get(Ticket, ticket.id)
        assert (t.state, t.district, t.answered_at) == ("new", "屯留区", None)
        assert not session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
        texts = session.scalars(select(TicketMessage.text).where(TicketMessage.ticket_id == ticket.id)).all()
        assert "越区答复" not in texts and "越区备注" not in texts


def test_an_urgent_report_must_be_resolved_within_a_day(services: Services) -> None:
    report = open_request(services, "urgent-1", intent="report_issue")
    assert report.sla_class == "urgent"
    assert (report.respond_by, report.resolve_by) == (NOW + timedelta(hours=2), NOW + timedelta(hours=24))


def test_a_reopened_ticket_gets_fresh_deadlines_from_the_moment_it_reopens(services: Services) -> None:
    ticket = open_request(services, "reopen-sla", intent="report_issue")
    agent = staff(services, "lz1", "潞州区")
    services.transaction(lambda s: tickets.resolve(s, s.get(Ticket, ticket.id), s.get(StaffUser, agent.id), NOW))
    later = NOW + timedelta(days=3)
    reopened = open_request(services, "reopen-sla", intent="report_issue", when=later, description="又坏了")
    assert reopened.id == ticket.id and reopened.state == "new"
    assert (reopened.respond_by, reopened.resolve_by) == (later + timedelta(hours=2), later + timedelta(hours=24))
    assert reopened.resolved_at is None and reopened.claimed_by is None
    assert not tickets.is_overdue(reopened, later + timedelta(hours=1))
