"""Unread rider messages and the live ticket page's read models (issue 14, points 1 and 7).

Runs on SQLite and PostgreSQL; the PostgreSQL database lives for the session, so each
test counts in a district of its own.
"""

import itertools
from datetime import timedelta

from core import ticket_queue, ticket_unread, ticket_views, tickets
from core.models import StaffUser, Ticket
from core.services import Services
from tests.unit.test_ticket_assignment import NOW, RUN, act, member, open_request, queue_ids

_districts = itertools.count()


def own_district() -> str:
    return f"测{RUN[-6:]}{next(_districts)}"


def count(services: Services, viewer: StaffUser) -> int:
    return services.read(lambda s: ticket_queue.unread_count(s, viewer))


def write(services: Services, ticket: Ticket, text: str, minutes: int):
    """The rider writes in the ticket `minutes` after NOW; returns the message."""
    return act(services, ticket, lambda s, t: tickets.add_worker_message(s, t, text, NOW + timedelta(minutes=minutes)))


def test_a_new_ticket_is_unread_until_staff_open_it_and_a_later_message_makes_it_unread_again(
    services: Services,
) -> None:
    district = own_district()
    viewer = member(services, "u1", district)
    ticket = open_request(services, "u1-w", district)
    assert count(services, viewer) == 1
    assert services.read(lambda s: ticket_unread.is_unread(s.get(Ticket, ticket.id)))
    services.transaction(lambda s: ticket_views.open_ticket(s, ticket.id, s.get(StaffUser, viewer.id), NOW))
    assert count(services, viewer) == 0
    write(services, ticket, "押金到账了吗", 5)
    assert count(services, viewer) == 1
    assert queue_ids(services, viewer, ticket, unread_only=True) == [ticket.id]


def test_a_page_marks_seen_only_what_it_showed_and_the_mark_never_goes_back(services: Services) -> None:
    district = own_district()
    viewer = member(services, "u2", district)
    ticket = open_request(services, "u2-w", district)
    first = write(services, ticket, "第一条", 1)
    second = write(services, ticket, "第二条", 2)
    act(services, ticket, lambda s, t: ticket_unread.mark_seen(s, t, first.id))
    assert count(services, viewer) == 1  # the second message came after what the page showed
    act(services, ticket, lambda s, t: ticket_unread.mark_seen(s, t, second.id))
    assert count(services, viewer) == 0
    act(services, ticket, lambda s, t: ticket_unread.mark_seen(s, t, first.id))
    assert count(services, viewer) == 0
    other = open_request(services, "u2-x", district)
    act(services, ticket, lambda s, t: ticket_unread.mark_seen(s, t, services.read(lambda r: _last_id(r, other))))
    assert services.read(lambda s: s.get(Ticket, ticket.id).staff_seen_at) == NOW + timedelta(minutes=2)


def _last_id(session, ticket: Ticket) -> int:
    return ticket_views.lines_after(session, session.get(Ticket, ticket.id), 0)[-1].message.id


def test_the_count_is_the_viewers_district_and_open_tickets_only(services: Services) -> None:
    district, elsewhere = own_district(), own_district()
    viewer = member(services, "u3", district)
    mine, theirs = open_request(services, "u3-a", district), open_request(services, "u3-b", elsewhere)
    staff = member(services, "u3-staff", district)
    act(services, mine, lambda s, t: tickets.resolve(s, t, s.get(StaffUser, staff.id), NOW))
    write(services, mine, "谢谢", 3)  # on a resolved ticket (the rating prompt's business, not the queue's)
    assert count(services, viewer) == 0
    assert services.read(lambda s: ticket_queue.unread_ids(s, member(services, "u3-o", elsewhere))) == [theirs.id]


def test_the_live_page_reads_new_lines_only_and_notices_every_change_beside_them(services: Services) -> None:
    district = own_district()
    staff = member(services, "u4", district)
    ticket = open_request(services, "u4-w", district)
    shown = services.read(lambda s: _last_id(s, ticket))

    def news():
        def read(session):
            found = session.get(Ticket, ticket.id)
            return ticket_views.lines_after(session, found, shown), ticket_views.status_mark(session, found, NOW)

        return services.read(read)

    lines, before = news()
    assert lines == []
    write(services, ticket, "又来一条", 1)
    lines, after_message = news()
    assert [line.message.text for line in lines] == ["又来一条"]
    assert after_message == before  # a message is a line, not a change of the panel
    act(services, ticket, lambda s, t: tickets.claim(s, t, s.get(StaffUser, staff.id), NOW))
    assert news()[1] != after_message
    _, claimed = news()
    act(services, ticket, lambda s, t: tickets.reply(s, t, s.get(StaffUser, staff.id), "已联系站点", NOW, "k1"))
    lines, replied = news()
    assert replied != claimed and lines[-1].delivery == "pending"
