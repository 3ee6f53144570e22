"""The staff queue pages in SQL over every ticket in scope (core.ticket_queue)."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from core import deadlines, ticket_queue, tickets
from core.models import StaffUser, Ticket
from core.services import Services
from core.workers import WorkerRef

NOW = datetime(2031, 3, 1, 6, 0)
RULES = deadlines.parse()


def admin(services: Services) -> StaffUser:
    def add(session):
        found = session.scalars(select(StaffUser).where(StaffUser.username == "queue-admin")).one_or_none()
        if found:
            return found
        user = StaffUser(username="queue-admin", display_name="q", password_hash="x", role="admin", district=None)
        session.add(user)
        session.flush()
        return user

    return services.transaction(add)


def open_many(services: Services, count: int, start: datetime, district: str = "黎城县") -> None:
    def add(session):
        for n in range(count):
            request = tickets.NewRequest(
                WorkerRef("rest", f"q-{uuid.uuid4().hex[:8]}-{n}"), "request_human", f"第{n}件", district=district
            )
            tickets.open_ticket(session, request, start + timedelta(minutes=n), start.date(), RULES)

    services.transaction(add)


def test_old_open_tickets_stay_in_view_and_come_first(services: Services) -> None:
    """It used to load the newest 300 only: an old open ticket vanished from the queue."""
    open_many(services, 320, NOW - timedelta(days=30), district="平顺县")
    viewer = admin(services)
    filters = ticket_queue.Filters(district="平顺县")
    first = services.read(lambda s: ticket_queue.page(s, viewer, filters, NOW, 1, 50))
    assert first.total == 320 and first.pages == 7
    assert first.rows[0].summary == "第0件"  # the oldest deadline first
    last = services.read(lambda s: ticket_queue.page(s, viewer, filters, NOW, 7, 50))
    assert [r.summary for r in last.rows] == [f"第{n}件" for n in range(300, 320)]
    seen = {
        r.id
        for n in range(1, 8)
        for r in services.read(lambda s, n=n: ticket_queue.page(s, viewer, filters, NOW, n, 50)).rows
    }
    assert len(seen) == 320


def test_overdue_is_filtered_in_sql_and_resolved_ones_come_after_open_ones(services: Services) -> None:
    open_many(services, 3, NOW - timedelta(days=3), district="沁源县")  # answer deadline (24 h) long past
    open_many(services, 2, NOW - timedelta(minutes=30), district="沁源县")
    viewer = admin(services)

    def resolve_oldest(session):
        ticket = session.scalars(
            select(Ticket).where(Ticket.district == "沁源县").order_by(Ticket.created_at).limit(1)
        ).one()
        tickets.resolve(session, ticket, session.get(StaffUser, viewer.id), NOW)

    services.transaction(resolve_oldest)
    late = services.read(lambda s: ticket_queue.page(s, viewer, ticket_queue.Filters("沁源县", overdue_only=True), NOW))
    assert late.total == 2 and all(r.overdue for r in late.rows)
    everything = services.read(lambda s: ticket_queue.page(s, viewer, ticket_queue.Filters("沁源县"), NOW))
    assert [r.state for r in everything.rows][-1] == "resolved" and everything.total == 5


def test_the_queue_keys_follow_the_ticket(services: Services) -> None:
    open_many(services, 1, NOW, district="壶关县")
    viewer = admin(services)

    def answer(session):
        ticket = session.scalars(select(Ticket).where(Ticket.district == "壶关县")).one()
        assert (ticket.queue_rank, ticket.next_deadline) == (0, ticket.respond_by)
        tickets.reply(session, ticket, session.get(StaffUser, viewer.id), "在处理", NOW, "k1")
        session.flush()
        return ticket.next_deadline == ticket.resolve_by

    assert services.transaction(answer)
