"""The finer rules of core.tickets, each at its boundary: what joins a ticket, what a reply, note,
transfer and rating write, when a ticket is overdue, photos and their daily cap, numbers under
concurrency on PostgreSQL. Written against the survivors of bench/mutation.py."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta
from typing import List

import pytest
from sqlalchemy import select

from core import deadlines, tickets
from core.models import Attachment, AuditEvent, OutboxMessage, StaffUser, Ticket, TicketMessage
from core.services import Services
from core.workers import WorkerRef

NOW = datetime(2026, 11, 26, 6, 0)
RULES = deadlines.parse()
# A district of their own: the PostgreSQL schema is shared by the session's tests, and other
# tests count what is due in theirs.
DISTRICT = "武乡县"


def rider() -> WorkerRef:
    return WorkerRef("rest", f"rider-{uuid.uuid4().hex[:8]}")


def member(services: Services, district: str | None = DISTRICT, role: str = "staff", name: str = "小李") -> StaffUser:
    def add(session):
        user = StaffUser(
            username=f"u-{uuid.uuid4().hex[:8]}", display_name=name, password_hash="x", role=role, district=district
        )
        session.add(user)
        session.flush()
        return user

    return services.transaction(add)


def request(services: Services, worker: WorkerRef, intent: str = "request_human", when: datetime = NOW, **kw) -> Ticket:
    kw.setdefault("district", DISTRICT)
    new = tickets.NewRequest(worker, intent, kw.pop("description", "站点欠我工资"), **kw)
    return services.transaction(lambda s: tickets.open_ticket(s, new, when, when.date(), RULES))


def act(services: Services, ticket: Ticket, staff: StaffUser, action, *args):
    return services.transaction(lambda s: action(s, s.get(Ticket, ticket.id), s.get(StaffUser, staff.id), *args))


def fresh(services: Services, ticket: Ticket) -> Ticket:
    return services.read(lambda s: s.get(Ticket, ticket.id))


def audit(services: Services, ticket: Ticket) -> List[tuple]:
    return services.read(
        lambda s: [
            tuple(r)
            for r in s.execute(
                select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
                .where(AuditEvent.ticket_id == ticket.id)
                .order_by(AuditEvent.id)
            )
        ]
    )


def messages(services: Services, ticket: Ticket) -> List[tuple]:
    return services.read(
        lambda s: [
            tuple(r)
            for r in s.execute(
                select(TicketMessage.author, TicketMessage.text, TicketMessage.attachment_id)
                .where(TicketMessage.ticket_id == ticket.id)
                .order_by(TicketMessage.id)
            )
        ]
    )


def outbox_payloads(services: Services, ticket: Ticket) -> List[dict]:
    return services.read(
        lambda s: [
            json.loads(p)
            for p in s.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id)
            )
        ]
    )


def test_a_new_ticket_records_what_the_assistant_collected(services: Services) -> None:
    worker = rider()
    ticket = request(
        services, worker, intent="report_issue", description="井盖丢了", district="长子县", place_text="东大街",
        lat=36.19, lon=113.11, handoff=True, transcript=["骑手：井盖丢了", "助手：在哪里？"],
    )  # fmt: skip
    assert (ticket.category, ticket.sla_class, ticket.state, ticket.district) == (
        "report_issue",
        "urgent",
        "new",
        "长子县",
    )
    assert (ticket.channel, ticket.sender_id, ticket.description) == ("rest", worker.sender_id, "井盖丢了")
    assert (ticket.place_text, ticket.lat, ticket.lon, ticket.handoff_active) == ("东大街", 36.19, 113.11, True)
    assert (ticket.created_at, ticket.last_worker_message_at, ticket.reopened_count) == (NOW, NOW, 0)
    assert ticket.number.startswith(f"CZ-{NOW:%Y%m%d}-")
    assert messages(services, ticket) == [
        ("transcript", "骑手：井盖丢了\n助手：在哪里？", None),
        ("worker", "井盖丢了", None),
    ]
    assert audit(services, ticket) == [("worker", "created", "urgent report_issue")]


def test_a_request_without_a_district_waits_for_dispatch_and_unknown_kinds_are_ordinary(
    services: Services,
) -> None:
    ticket = request(services, rider(), intent="no_such_intent", district=None)
    assert ticket.district is None and ticket.sla_class == "ordinary"
    assert (ticket.respond_by, ticket.resolve_by) == (NOW + timedelta(hours=24), NOW + timedelta(days=7))
    assert messages(services, ticket) == [("worker", "站点欠我工资", None)]  # no transcript given, none stored


def test_a_request_joining_an_open_ticket_adds_its_message_and_can_hand_over(services: Services) -> None:
    worker = rider()
    first = request(services, worker)
    later = NOW + timedelta(minutes=5)
    again = request(services, worker, when=later, description="还有押金", handoff=True)
    assert again.id == first.id and again.handoff_active and again.last_worker_message_at == later
    assert messages(services, first)[-1] == ("worker", "还有押金", None)
    quiet = request(services, worker, when=later, description="第三条")
    assert quiet.handoff_active  # a later request without a hand-over does not end it
    other_kind = request(services, worker, intent="report_issue", description="路灯坏了")
    assert other_kind.id != first.id


def test_a_ticket_reopens_up_to_exactly_seven_days_after_it_ended(services: Services) -> None:
    agent = member(services)
    for days, reopens in ((7, True), (7.001, False)):
        worker = rider()
        ticket = request(services, worker)
        act(services, ticket, agent, tickets.resolve, NOW)
        later = request(services, worker, when=NOW + timedelta(days=days), description="还没解决")
        assert (later.id == ticket.id) is reopens, days
        if reopens:
            assert later.reopened_count == 1 and audit(services, ticket)[-1][:2] == ("worker", "reopened")


def test_a_closed_ticket_reopens_too(services: Services) -> None:
    worker, agent = rider(), member(services)
    ticket = request(services, worker)
    act(services, ticket, agent, tickets.resolve, NOW)
    services.transaction(lambda s: tickets.rate(s, worker, 4, NOW + timedelta(hours=1)))
    again = request(services, worker, when=NOW + timedelta(days=2), description="又来了")
    assert again.id == ticket.id and again.state == "new" and again.closed_at is None


def test_numbers_continue_the_days_count(services: Services) -> None:
    day = datetime(2032, 3, 4, 5, 0)
    numbers = [request(services, rider(), when=day).number for _ in range(3)]
    assert numbers == ["CZ-20320304-0001", "CZ-20320304-0002", "CZ-20320304-0003"]
    assert request(services, rider(), when=day + timedelta(days=1)).number == "CZ-20320305-0001"


def test_the_first_two_tickets_of_a_day_on_postgresql_both_get_a_number(pg_services: Services) -> None:
    """The first transaction has inserted the day's counter and not committed when the second asks."""
    day = datetime(2033, 5, 6).date()
    second: List[object] = []
    with pg_services.session_factory.begin() as first:
        assert tickets.next_number(first, day) == "CZ-20330506-0001"

        def other() -> None:
            try:
                second.append(pg_services.transaction(lambda s: tickets.next_number(s, day)))
            except Exception as error:  # handed to the test thread
                second.append(error)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=1)  # it waits for the first transaction, which then commits
    thread.join(timeout=30)
    assert second == ["CZ-20330506-0002"]


def test_a_staff_reply_records_who_answered_first_and_carries_their_name(services: Services) -> None:
    ticket = request(services, rider())
    first, second = member(services, name="小李"), member(services, name="小王")
    act(services, ticket, first, tickets.reply, "  第一次答复  ", NOW, "k1")
    act(services, ticket, second, tickets.reply, "第二次答复", NOW + timedelta(hours=1), "k2")
    t = fresh(services, ticket)
    assert (t.state, t.claimed_by, t.answered_at) == ("answered", first.id, NOW)
    payloads = outbox_payloads(services, ticket)
    assert [(p["kind"], p["text"], p["staff"]) for p in payloads] == [
        ("staff_reply", "第一次答复", "小李"),
        ("staff_reply", "第二次答复", "小王"),
    ]
    staff_lines = [m for m in messages(services, ticket) if m[0] == "staff"]
    assert [m[1] for m in staff_lines] == ["第一次答复", "第二次答复"]
    ids = services.read(
        lambda s: s.scalars(
            select(TicketMessage.id)
            .where(TicketMessage.ticket_id == ticket.id, TicketMessage.author == "staff")
            .order_by(TicketMessage.id)
        ).all()
    )
    assert [p["message_id"] for p in payloads] == ids
    rows = services.read(
        lambda s: s.scalars(
            select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id)
        ).all()
    )
    assert [(r.key, r.channel, r.recipient) for r in rows] == [
        (f"reply:{ticket.id}:k1", "rest", ticket.sender_id),
        (f"reply:{ticket.id}:k2", "rest", ticket.sender_id),
    ]
    assert [a[:2] for a in audit(services, ticket)][-2:] == [
        (f"staff:{first.username}", "answered"),
        (f"staff:{second.username}", "answered"),
    ]


def test_a_claimed_ticket_keeps_its_claimer_when_another_answers(services: Services) -> None:
    ticket = request(services, rider())
    claimer, other = member(services), member(services)
    act(services, ticket, claimer, tickets.claim, NOW)
    assert fresh(services, ticket).claimed_by == claimer.id
    act(services, ticket, other, tickets.reply, "答复", NOW, "k")
    assert fresh(services, ticket).claimed_by == claimer.id


@pytest.mark.parametrize("text", ["", "   ", "\x00\x07"])
def test_an_empty_reply_is_refused_and_nothing_is_sent(services: Services, text: str) -> None:
    ticket = request(services, rider())
    with pytest.raises(tickets.TicketError) as refused:
        act(services, ticket, member(services), tickets.reply, text, NOW, "k")
    assert refused.value.code == "empty_reply"
    assert outbox_payloads(services, ticket) == [] and fresh(services, ticket).state == "new"


def test_a_note_is_for_staff_only(services: Services) -> None:
    ticket = request(services, rider())
    agent = member(services)
    note = act(services, ticket, agent, tickets.note, " 站长答应周五退 ", NOW)
    assert (note.author, note.text, note.staff_id) == ("note", "站长答应周五退", agent.id)
    assert outbox_payloads(services, ticket) == [] and fresh(services, ticket).state == "new"
    assert audit(services, ticket)[-1] == (f"staff:{agent.username}", "noted", "")


def test_a_transfer_moves_the_ticket_back_to_new_and_unclaims_it(services: Services) -> None:
    ticket = request(services, rider())
    agent = member(services)
    act(services, ticket, agent, tickets.claim, NOW)
    act(services, ticket, agent, tickets.transfer, "长子县", NOW)
    t = fresh(services, ticket)
    assert (t.district, t.state, t.claimed_by) == ("长子县", "new", None)
    assert audit(services, ticket)[-1] == (f"staff:{agent.username}", "transferred", "claimed→new 武乡县→长子县")
    with pytest.raises(tickets.TicketError) as refused:
        act(services, ticket, member(services, "长子县"), tickets.transfer, "长子县", NOW)
    assert refused.value.code == "same_district"
    fresh_one = request(services, rider())
    act(services, fresh_one, agent, tickets.transfer, "长子县", NOW)
    assert audit(services, fresh_one)[-1] == (f"staff:{agent.username}", "transferred", "武乡县→长子县")


def test_admins_and_staff_without_a_district_act_everywhere(services: Services) -> None:
    ticket = request(services, rider(), district="长子县")
    act(services, ticket, member(services, None, role="staff"), tickets.note, "无区县的工作人员", NOW)
    act(services, ticket, member(services, DISTRICT, role="admin"), tickets.claim, NOW)
    assert fresh(services, ticket).state == "claimed"


def test_the_rating_request_is_keyed_by_the_reopening(services: Services) -> None:
    worker, agent = rider(), member(services)
    ticket = request(services, worker, handoff=True)
    act(services, ticket, agent, tickets.resolve, NOW)
    t = fresh(services, ticket)
    assert (t.resolved_at, t.handoff_active) == (NOW, False)
    request(services, worker, when=NOW + timedelta(days=1), description="还是没退")
    act(services, ticket, agent, tickets.resolve, NOW + timedelta(days=2))
    rows = services.read(
        lambda s: s.scalars(
            select(OutboxMessage.key).where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id)
        ).all()
    )
    assert rows == [f"rating:{ticket.id}:0", f"rating:{ticket.id}:1"]
    assert outbox_payloads(services, ticket)[0] == {
        "kind": "rating_request", "response": "utter_ask_rating", "vars": {"number": ticket.number},
        "end_handoff": True,
    }  # fmt: skip


@pytest.mark.parametrize(("rating", "accepted"), [(0, False), (1, True), (5, True), (6, False)])
def test_ratings_run_from_one_to_five(services: Services, rating: int, accepted: bool) -> None:
    worker = rider()
    ticket = request(services, worker)
    act(services, ticket, member(services), tickets.resolve, NOW)
    if not accepted:
        with pytest.raises(tickets.TicketError):
            services.transaction(lambda s: tickets.rate(s, worker, rating, NOW))
        return
    rated = services.transaction(lambda s: tickets.rate(s, worker, rating, NOW + timedelta(hours=1)))
    assert (rated.id, rated.rating, rated.rated_at, rated.closed_at) == (
        ticket.id, rating, NOW + timedelta(hours=1), NOW + timedelta(hours=1),
    )  # fmt: skip
    assert audit(services, ticket)[-1] == ("worker", "rated", f"resolved→closed {rating}")


def test_a_rating_goes_to_the_latest_resolved_unrated_ticket_only(services: Services) -> None:
    worker, agent = rider(), member(services)
    assert services.transaction(lambda s: tickets.rate(s, worker, 5, NOW)) is None  # nothing to rate
    older = request(services, worker, intent="request_human")
    newer = request(services, worker, intent="report_issue")
    act(services, older, agent, tickets.resolve, NOW)
    act(services, newer, agent, tickets.resolve, NOW + timedelta(hours=1))
    assert services.transaction(lambda s: tickets.rate(s, worker, 3, NOW)).id == newer.id
    assert services.transaction(lambda s: tickets.rate(s, worker, 4, NOW)).id == older.id
    assert services.transaction(lambda s: tickets.rate(s, worker, 2, NOW)) is None


def test_overdue_at_the_boundaries(services: Services) -> None:
    report = request(services, rider(), intent="report_issue")  # answer within 2 h, resolve within 24 h
    assert not tickets.is_overdue(report, NOW + timedelta(hours=2))
    assert tickets.is_overdue(report, NOW + timedelta(hours=2, seconds=1))
    act(services, report, member(services), tickets.reply, "已派人", NOW + timedelta(hours=1), "k")
    answered = fresh(services, report)
    assert not tickets.is_overdue(answered, NOW + timedelta(hours=3))  # answered in time
    assert not tickets.is_overdue(answered, NOW + timedelta(hours=24))
    assert tickets.is_overdue(answered, NOW + timedelta(hours=24, seconds=1))  # but not resolved
    act(services, answered, member(services), tickets.resolve, NOW + timedelta(hours=30))
    assert not tickets.is_overdue(fresh(services, report), NOW + timedelta(days=30))


def test_photos_attach_to_their_senders_ticket_only(services: Services) -> None:
    worker, stranger = rider(), rider()

    def photo(who: WorkerRef) -> int:
        return services.transaction(lambda s: tickets.store_attachment(s, who, "image/jpeg", b"jpg", "p.jpg", NOW).id)

    mine, theirs = photo(worker), photo(stranger)
    ticket = request(services, worker, attachment_ids=[mine, theirs, 10**9])
    assert messages(services, ticket)[-1] == ("worker", "", mine)
    assert [m[2] for m in messages(services, ticket)].count(theirs) == 0
    owners = services.read(lambda s: {a.id: a.ticket_id for a in s.scalars(select(Attachment))})
    assert owners[mine] == ticket.id and owners[theirs] is None


def test_the_daily_photo_cap_counts_the_last_day_and_allows_exactly_the_cap(services: Services) -> None:
    worker = rider()

    def store(size: int, when: datetime):
        return services.transaction(
            lambda s: tickets.store_attachment(s, worker, "image/jpeg", b"x" * size, "p", when, daily_cap=1000)
        )

    assert store(600, NOW) is not None
    assert store(400, NOW + timedelta(hours=1)) is not None  # 1,000 bytes: exactly the cap
    assert store(1, NOW + timedelta(hours=2)) is None
    assert store(600, NOW + timedelta(days=1)) is None  # the first photo is exactly a day old: still counted
    assert store(600, NOW + timedelta(days=1, seconds=1)) is not None
    assert services.read(lambda s: tickets.attachment_bytes_since(s, worker, NOW)) == 1600
    unlimited = services.transaction(
        lambda s: tickets.store_attachment(s, worker, "image/png", b"y" * 5000, "big", NOW)
    )
    assert (unlimited.content_type, unlimited.filename, unlimited.channel) == ("image/png", "big", "rest")


def test_only_unattached_photos_older_than_the_cut_off_are_deleted(services: Services) -> None:
    worker = rider()

    def store(when: datetime) -> int:
        return services.transaction(lambda s: tickets.store_attachment(s, worker, "image/jpeg", b"j", "p", when).id)

    old, cut_off, recent, attached = (
        store(NOW),
        store(NOW + timedelta(hours=1)),
        store(NOW + timedelta(hours=2)),
        store(NOW),
    )
    request(services, worker, attachment_ids=[attached])
    removed = services.transaction(lambda s: tickets.delete_orphan_attachments(s, NOW + timedelta(hours=1)))
    assert removed >= 1  # on PostgreSQL, other tests' orphans go too
    left = services.read(
        lambda s: set(s.scalars(select(Attachment.id).where(Attachment.sender_id == worker.sender_id)))
    )
    assert left == {cut_off, recent, attached} and old not in left


def test_a_photo_sent_to_staff_joins_the_hand_off_ticket(services: Services) -> None:
    worker = rider()
    ticket = request(services, worker, handoff=True)
    photo = services.transaction(lambda s: tickets.store_attachment(s, worker, "image/jpeg", b"j", "p", NOW).id)
    told = services.transaction(
        lambda s: tickets.forward_to_staff(
            s, worker, "[照片]", photo, NOW + timedelta(minutes=1), timedelta(minutes=10)
        )
    )
    assert told is False
    assert messages(services, ticket)[-2:] == [("worker", "[照片]", None), ("worker", "", photo)]


def test_the_hand_off_ticket_is_the_newest_open_one_with_staff_in_charge(services: Services) -> None:
    worker, agent = rider(), member(services)
    assert services.read(lambda s: tickets.handoff_ticket(s, worker)) is None
    older = request(services, worker, intent="request_human", handoff=True)
    newer = request(services, worker, intent="report_issue", handoff=True)
    request(services, worker, intent="make_suggestion")  # no hand-off
    assert services.read(lambda s: tickets.handoff_ticket(s, worker)).id == newer.id
    act(services, newer, agent, tickets.resolve, NOW)
    assert services.read(lambda s: tickets.handoff_ticket(s, worker)).id == older.id
    services.transaction(lambda s: tickets.end_handoff(s, s.get(Ticket, older.id), "worker", NOW))
    services.transaction(lambda s: tickets.end_handoff(s, s.get(Ticket, older.id), "worker", NOW))
    assert services.read(lambda s: tickets.handoff_ticket(s, worker)) is None
    assert [a for a in audit(services, older) if a[1] == "handoff_ended"] == [("worker", "handoff_ended", "")]


def test_a_workers_tickets_newest_first_five_at_most(services: Services) -> None:
    worker = rider()
    intents = ["request_human", "report_issue", "make_suggestion", "faq", "find_station", "childcare"]
    made = [request(services, worker, intent=i).id for i in intents]
    request(services, rider())
    listed = services.read(lambda s: [t.id for t in tickets.of_worker(s, worker)])
    assert listed == made[::-1][:5]
    assert services.read(lambda s: [t.id for t in tickets.of_worker(s, worker, limit=2)]) == made[::-1][:2]


def test_a_ticket_number_is_found_whatever_its_case_and_spaces(services: Services) -> None:
    worker = rider()
    ticket = request(services, worker)
    found = services.read(lambda s: tickets.by_number_for_worker(s, f"  {ticket.number.lower()} ", worker))
    assert found is not None and found.id == ticket.id
    other = WorkerRef("telegram", worker.sender_id)  # the same id on another channel is someone else
    assert services.read(lambda s: tickets.by_number_for_worker(s, ticket.number, other)) is None
    assert services.read(lambda s: tickets.by_number_for_worker(s, "CZ-20000101-9999", worker)) is None


def test_a_message_for_the_worker_is_queued_once_per_key(services: Services) -> None:
    ticket = request(services, rider())

    def queue(text: str) -> int:
        return services.transaction(
            lambda s: tickets.queue_for_worker(s, s.get(Ticket, ticket.id), "notice:1", {"text": text}, NOW).id
        )

    assert queue("一") == queue("二")
    assert outbox_payloads(services, ticket) == [{"text": "一"}]


def test_the_state_machine_allows_only_its_transitions(services: Services) -> None:
    assert {
        "new": {"claimed", "answered", "resolved"},
        "claimed": {"new", "answered", "resolved"},
        "answered": {"new", "claimed", "answered", "resolved"},
        "resolved": {"new", "closed"},
        "closed": {"new"},
    } == tickets.TRANSITIONS
    assert tickets.OPEN_STATES == ("new", "claimed", "answered") and timedelta(days=7) == tickets.REOPEN_WINDOW
    ticket = request(services, rider())
    agent = member(services)
    act(services, ticket, agent, tickets.claim, NOW)
    with pytest.raises(tickets.TicketError) as refused:
        act(services, ticket, agent, tickets.claim, NOW)
    assert (refused.value.code, refused.value.params) == (
        "invalid_transition",
        {"action": "claimed", "state": "claimed"},
    )
    assert audit(services, ticket)[-1] == (f"staff:{agent.username}", "claimed", "new→claimed")


def test_a_request_joins_the_newest_ticket_of_its_kind(services: Services) -> None:
    worker, agent = rider(), member(services)
    old = request(services, worker, when=NOW - timedelta(days=30))
    act(services, old, agent, tickets.resolve, NOW - timedelta(days=29))
    current = request(services, worker, when=NOW - timedelta(days=1), description="又被扣钱")
    assert current.id != old.id
    assert request(services, worker, description="还是那件事").id == current.id


def test_the_acknowledgement_comes_after_exactly_the_quiet_spell(services: Services) -> None:
    worker = rider()
    request(services, worker, handoff=True)
    quiet = timedelta(minutes=10)
    told = services.transaction(lambda s: tickets.forward_to_staff(s, worker, "在吗", None, NOW + quiet, quiet))
    assert told is True


def test_what_reply_and_note_return_and_keep(services: Services) -> None:
    ticket = request(services, rider())
    agent = member(services)
    long_text = "长" * (tickets.STAFF_TEXT_LIMIT + 1)
    answer = act(services, ticket, agent, tickets.reply, long_text, NOW, "long")
    assert (answer.author, answer.staff_id, len(answer.text)) == ("staff", agent.id, 10_000)
    act(services, ticket, agent, tickets.note, "内部备注", NOW)
    assert ("note", "内部备注", None) in messages(services, ticket)
    raw = services.read(
        lambda s: s.scalars(select(OutboxMessage.payload).where(OutboxMessage.ticket_id == ticket.id)).one()
    )
    assert "长长长" in raw  # stored readable, not as \\u escapes
    with pytest.raises(tickets.TicketError) as again:
        act(services, ticket, agent, tickets.reply, "再发一次", NOW, "long")
    assert again.value.code == "reply_already_sent"
    with pytest.raises(tickets.TicketError) as out_of_range:
        services.transaction(lambda s: tickets.rate(s, rider(), 9, NOW))
    assert out_of_range.value.code == "rating_out_of_range"
    assert len(services.read(lambda s: tickets.of_worker(s, WorkerRef(ticket.channel, ticket.sender_id)))) == 1


def test_numbers_on_postgresql_stay_distinct_once_the_days_counter_exists(pg_services: Services) -> None:
    day = datetime(2034, 7, 8).date()
    assert pg_services.transaction(lambda s: tickets.next_number(s, day)) == "CZ-20340708-0001"
    second: List[object] = []
    with pg_services.session_factory.begin() as first:
        assert tickets.next_number(first, day) == "CZ-20340708-0002"
        thread = threading.Thread(
            target=lambda: second.append(pg_services.transaction(lambda s: tickets.next_number(s, day)))
        )
        thread.start()
        thread.join(timeout=1)
    thread.join(timeout=30)
    assert second == ["CZ-20340708-0003"]


def test_a_first_photo_of_exactly_the_cap_is_kept_and_nothing_to_delete_is_zero(services: Services) -> None:
    worker = rider()
    first = services.transaction(
        lambda s: tickets.store_attachment(s, worker, "image/jpeg", b"x" * 1000, "p", NOW, daily_cap=1000)
    )
    assert first is not None
    assert services.transaction(lambda s: tickets.delete_orphan_attachments(s, datetime(2000, 1, 1))) == 0
