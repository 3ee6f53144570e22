"""Assignment, the city's 待分派 queue, deadline reminders and the rider in view (issue 14, points 3, 4, 6).

The PostgreSQL database lives for the whole session: names are made unique, queue
checks look only at this test's tickets, and counts are compared before and after.
"""

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core import deadlines, enrolments, ticket_queue, ticket_views, tickets
from core.models import AuditEvent, Programme, StaffUser, Ticket
from core.services import Services
from core.workers import WorkerRef

NOW = datetime(2026, 11, 26, 6, 0)
RULES = deadlines.parse()
RUN = datetime.now().strftime("%H%M%S%f")
_serial = itertools.count()


def member(services: Services, username: str, district, role: str = "staff", name: str = "") -> StaffUser:
    def add(session):
        user = StaffUser(
            username=f"{username}-{next(_serial)}-{id(session)}",
            display_name=name or username,
            password_hash="x",
            role=role,
            district=district,
        )
        session.add(user)
        session.flush()
        return user

    return services.transaction(add)


def open_request(services: Services, sender: str, district, intent: str = "request_human", when=NOW) -> Ticket:
    request = tickets.NewRequest(WorkerRef("rest", f"{sender}-{RUN}"), intent, "站点欠我工资 13912344321", district)
    return services.transaction(lambda s: tickets.open_ticket(s, request, when, when.date(), RULES))


def act(services: Services, ticket: Ticket, work):
    return services.transaction(lambda s: work(s, s.get(Ticket, ticket.id)))


def audit_of(services: Services, ticket: Ticket, action: str):
    query = select(AuditEvent.detail).where(AuditEvent.ticket_id == ticket.id, AuditEvent.action == action)
    return services.read(lambda s: list(s.scalars(query)))


def queue_ids(services: Services, viewer: StaffUser, *mine: Ticket, now=NOW, **filters) -> list:
    """Which of this test's tickets the viewer's queue lists with these filters, in order."""
    ids = {t.id for t in mine}
    found = services.read(lambda s: ticket_queue.page(s, viewer, ticket_queue.Filters(**filters), now, size=10_000))
    return [row.id for row in found.rows if row.id in ids]


def test_a_ticket_without_a_district_waits_for_city_staff_to_dispatch_it(services: Services) -> None:
    admin = member(services, "city", None, role="admin")
    lz = member(services, "lz", "潞州区")
    waiting = open_request(services, "t0-w1", None)
    placed = open_request(services, "t0-w2", "潞州区")
    assert waiting.district is None
    assert queue_ids(services, lz, placed, waiting) == [placed.id]
    assert queue_ids(services, admin, placed, waiting, awaiting_dispatch=True) == [waiting.id]
    with pytest.raises(tickets.TicketError) as refused:
        act(services, waiting, lambda s, t: tickets.claim(s, t, s.get(StaffUser, lz.id), NOW))
    assert refused.value.code == "outside_district"
    act(services, waiting, lambda s, t: tickets.transfer(s, t, s.get(StaffUser, admin.id), "潞州区", NOW))
    assert audit_of(services, waiting, "dispatched") == ["→潞州区"]
    assert sorted(queue_ids(services, lz, placed, waiting)) == sorted([placed.id, waiting.id])
    assert queue_ids(services, admin, placed, waiting, awaiting_dispatch=True) == []


def test_staff_assign_within_their_district_and_reassignment_is_audited(services: Services) -> None:
    lz = member(services, "lz", "潞州区", name="潞州 小李")
    colleague = member(services, "lz2", "潞州区", name="小赵")
    outsider = member(services, "tl", "屯留区", name="小王")
    ticket = open_request(services, "t1-w1", "潞州区")
    assert queue_ids(services, lz, ticket, unassigned=True) == [ticket.id]

    def give(to: StaffUser, by: StaffUser = lz):
        act(services, ticket, lambda s, t: tickets.assign(s, t, s.get(StaffUser, by.id), s.get(StaffUser, to.id), NOW))

    give(colleague)
    assert (services.read(lambda s: s.get(Ticket, ticket.id).state), audit_of(services, ticket, "assigned")) == (
        tickets.CLAIMED,
        ["→小赵"],
    )
    assert queue_ids(services, lz, ticket, unassigned=True) == []
    assert queue_ids(services, colleague, ticket, claimed_by=colleague.id) == [ticket.id]
    give(lz)  # take it oneself
    assert audit_of(services, ticket, "reassigned") == ["小赵→潞州小李"]
    for to, by, code in ((outsider, lz, "not_assignable"), (outsider, outsider, "outside_district")):
        with pytest.raises(tickets.TicketError) as refused:
            give(to, by)
        assert refused.value.code == code
    assert services.read(lambda s: s.get(Ticket, ticket.id).claimed_by) == lz.id


def test_only_the_districts_active_staff_are_offered_and_a_waiting_ticket_has_nobody(services: Services) -> None:
    admin = member(services, "city", None, role="admin")
    lz = member(services, "lz", "潞州区")
    member(services, "tl", "屯留区")
    gone = member(services, "old", "潞州区")
    services.transaction(lambda s: setattr(s.get(StaffUser, gone.id), "active", False))
    ticket = open_request(services, "t2-w1", "潞州区")
    waiting = open_request(services, "t2-w2", None)
    offered = services.read(lambda s: [(u.id, u.district) for u in tickets.assignable(s, s.get(Ticket, ticket.id))])
    assert (lz.id, "潞州区") in offered and {d for _, d in offered} == {"潞州区"}
    assert gone.id not in {i for i, _ in offered}
    with pytest.raises(tickets.TicketError) as refused:
        act(
            services,
            waiting,
            lambda s, t: tickets.assign(s, t, s.get(StaffUser, admin.id), s.get(StaffUser, lz.id), NOW),
        )
    assert refused.value.code == "awaiting_dispatch"


def test_tickets_due_within_the_hour_are_marked_and_counted_by_district_and_overdue_for_the_city(
    services: Services,
) -> None:
    admin = member(services, "city", None, role="admin")
    lz = member(services, "lz", "潞州区")
    # report_issue: answer within 2 hours. Opened 1h30 ago: due in 30 minutes; 3 hours ago: overdue.
    # A far-off "now" keeps the other tests' tickets (PostgreSQL) out of the hour; their overdue ones are subtracted.
    now = datetime(2045, 6, 1, 6, 0)
    counts = {
        who.id: services.read(lambda s, who=who: ticket_queue.deadline_counts(s, who, now)) for who in (lz, admin)
    }
    soon = open_request(services, "t3-w1", "潞州区", intent="report_issue", when=now - timedelta(minutes=90))
    open_request(services, "t3-w2", "屯留区", intent="report_issue", when=now - timedelta(minutes=90))
    open_request(services, "t3-w3", "屯留区", intent="report_issue", when=now - timedelta(hours=3))
    later = open_request(services, "t3-w4", "潞州区", intent="report_issue", when=now - timedelta(minutes=30))
    rows = services.read(lambda s: ticket_queue.page(s, lz, ticket_queue.Filters(), now, size=10_000).rows)
    assert {row.id: row.due_soon for row in rows if row.id in (soon.id, later.id)} == {soon.id: True, later.id: False}
    assert queue_ids(services, lz, soon, later, now=now, due_soon_only=True) == [soon.id]
    assert counts[lz.id] == ticket_queue.DeadlineCounts(due_soon=0, overdue_in_city=None)
    assert services.read(lambda s: ticket_queue.deadline_counts(s, lz, now)) == ticket_queue.DeadlineCounts(1, None)
    city = services.read(lambda s: ticket_queue.deadline_counts(s, admin, now))
    assert (city.due_soon, city.overdue_in_city - (counts[admin.id].overdue_in_city or 0)) == (2, 1)


def test_the_ticket_page_shows_the_riders_other_tickets_in_scope_and_sign_ups_masked(services: Services) -> None:
    lz = member(services, "lz", "潞州区")
    earlier = open_request(services, "t4-rider", "潞州区", intent="report_issue")
    open_request(services, "t4-rider", "屯留区", intent="make_suggestion")
    open_request(services, "t4-someone-else", "潞州区", intent="faq")
    act(services, earlier, lambda s, t: tickets.resolve(s, t, s.get(StaffUser, lz.id), NOW))
    services.transaction(lambda s: tickets.rate(s, WorkerRef("rest", f"t4-rider-{RUN}"), 4, NOW))
    current = open_request(services, "t4-rider", "潞州区")

    def book(session):
        programme = session.scalars(select(Programme).where(Programme.age_min.is_not(None))).first()
        applicant = enrolments.Applicant(WorkerRef("rest", f"t4-rider-{RUN}"), "王小明", "13912344321", 8, NOW)
        return enrolments.book(session, programme.id, applicant, programme.signup_deadline, NOW)

    services.transaction(book)
    page = services.transaction(lambda s: ticket_views.open_ticket(s, current.id, s.get(StaffUser, lz.id), NOW))
    assert [(h.number, h.state, h.rating) for h in page.history] == [(earlier.number, tickets.CLOSED, 4)]
    assert "13912344321" not in page.history[0].summary
    assert [(s.name, s.status) for s in page.signups] == [("王*明", "confirmed")]


@pytest.mark.parametrize(
    ("given", "place", "point", "expected"),
    [
        ("屯留区", "英雄中路", None, "屯留区"),  # the rider's own word first
        (None, "英雄中路路口的井盖", None, "潞州区"),  # a landmark in the place
        (None, "", (36.3295, 112.8920), "屯留区"),  # a shared location near 屯留's seat
        (None, "楼下", (37.8706, 112.5489), None),  # 太原: outside the city
        (None, "楼下", None, None),  # nothing says: the city's 待分派 queue
    ],
    ids=["given", "place", "location", "outside", "nothing"],
)
def test_a_request_goes_to_the_district_its_place_or_location_lies_in(
    services: Services, given, place: str, point, expected
) -> None:
    lat, lon = point or (None, None)
    request = tickets.NewRequest(
        WorkerRef("rest", f"where-{next(_serial)}-{RUN}"), "report_issue", "井盖没了", given, place, lat, lon
    )
    ticket = services.transaction(lambda s: tickets.open_ticket(s, request, NOW, NOW.date(), RULES))
    assert ticket.district == expected
