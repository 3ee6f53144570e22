"""Staff search in the queue (core.ticket_queue, issue 14 point 2), on SQLite and PostgreSQL.

Each test writes its tickets with a marker word of its own, since the PostgreSQL
schema is shared by the session.
"""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta
from typing import List, Optional

import pytest
from sqlalchemy import text

from core import deadlines, ticket_queue, tickets
from core.models import StaffUser, Ticket
from core.services import Services
from core.workers import WorkerRef

NOW = datetime(2031, 5, 1, 6, 0)
RULES = deadlines.parse()


def marker() -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(10))


def staff_member(services: Services, district: Optional[str], role: str = "staff") -> StaffUser:
    def add(session):
        user = StaffUser(username=f"s-{marker()}", display_name="s", password_hash="x", role=role, district=district)
        session.add(user)
        session.flush()
        return user

    return services.transaction(add)


def open_one(
    services: Services,
    description: str,
    district: str = "黎城县",
    intent: str = "request_human",
    at: datetime = NOW,
) -> int:
    def add(session):
        request = tickets.NewRequest(WorkerRef("rest", f"w-{marker()}"), intent, description, district=district)
        return tickets.open_ticket(session, request, at, at.date(), RULES).id

    return services.transaction(add)


def search(services: Services, viewer: StaffUser, q: str = "", number: int = 1, size: int = 50, **filters):
    found = ticket_queue.Filters(q=q, **filters)
    return services.read(lambda s: ticket_queue.page(s, viewer, found, NOW, number, size))


def numbers(page: ticket_queue.Page) -> List[str]:
    return sorted(row.number for row in page.rows)


def number_of(services: Services, ticket_id: int) -> str:
    return services.read(lambda s: s.get(Ticket, ticket_id).number)


def test_a_ticket_is_found_by_its_number_in_any_case_and_by_part_of_it(services: Services) -> None:
    word = marker()
    wanted = open_one(services, f"{word} 押金不退", at=NOW - timedelta(days=400))
    open_one(services, f"{word} 别的事")
    admin = staff_member(services, None, "admin")
    number = number_of(services, wanted)
    assert numbers(search(services, admin, number)) == [number]
    assert numbers(search(services, admin, number.lower().replace("-", ""))) == [number]
    day = number.split("-")[1]
    assert numbers(search(services, admin, f"{day} {word}")) == [number]


@pytest.mark.parametrize("term", ["押金不退", "金不", "退", "BCD"])
def test_text_is_found_as_a_substring_of_the_description_whatever_its_length(services: Services, term: str) -> None:
    word = marker()
    wanted = open_one(services, f"{word} 站点扣我押金不退 abcde")
    open_one(services, f"{word} 想问问培训")
    admin = staff_member(services, None, "admin")
    assert numbers(search(services, admin, f"{word} {term}")) == [number_of(services, wanted)]


@pytest.mark.parametrize("term", ["电动车被扣", "被扣"])
def test_a_later_rider_message_and_a_staff_reply_are_searched_but_not_an_internal_note(
    services: Services, term: str
) -> None:
    word = marker()
    later = open_one(services, f"{word} 第一句")
    replied = open_one(services, f"{word} 第二件")
    noted = open_one(services, f"{word} 第三件")
    admin = staff_member(services, None, "admin")

    def write(session):
        tickets.add_worker_message(session, session.get(Ticket, later), "我的电动车被扣了", NOW)
        staff = session.get(StaffUser, admin.id)
        tickets.reply(session, session.get(Ticket, replied), staff, "您的电动车被扣一事已转交", NOW, marker())
        tickets.note(session, session.get(Ticket, noted), staff, "电动车被扣，待核实", NOW)

    services.transaction(write)
    assert numbers(search(services, admin, f"{word} {term}")) == sorted(
        [number_of(services, later), number_of(services, replied)]
    )


def test_the_last_four_digits_of_a_phone_find_a_ticket_whose_rows_stay_masked(services: Services) -> None:
    word = marker()
    tail = f"{random.randrange(10_000):04d}"
    in_description = open_one(services, f"{word} 联系电话1391357{tail}")
    in_message = open_one(services, f"{word} 没留电话")
    open_one(services, f"{word} 电话13913579999")
    admin = staff_member(services, None, "admin")

    def write(session):
        tickets.add_worker_message(session, session.get(Ticket, in_message), f"我的手机 １５８２４６８{tail}", NOW)

    services.transaction(write)
    found = search(services, admin, f"{tail} {word}")
    assert numbers(found) == sorted([number_of(services, in_description), number_of(services, in_message)])
    assert all("1357" not in row.summary for row in found.rows)  # the middle of the number stays masked
    assert search(services, admin, f"91357 {word}").total == 0  # and cannot be searched for


def test_staff_never_find_another_districts_ticket_and_admins_may_narrow_by_district(services: Services) -> None:
    word = marker()
    ours = open_one(services, f"{word} 押金", district="黎城县")
    theirs = open_one(services, f"{word} 押金", district="沁县")
    staff = staff_member(services, "黎城县")
    admin = staff_member(services, None, "admin")
    assert numbers(search(services, staff, f"{word} 押金")) == [number_of(services, ours)]
    assert numbers(search(services, staff, number_of(services, theirs))) == []
    assert numbers(search(services, staff, f"{word} 押金", district="沁县")) == []
    assert numbers(search(services, admin, f"{word} 押金", district="沁县")) == [number_of(services, theirs)]
    assert search(services, admin, f"{word} 押金").total == 2


def test_each_filter_narrows_a_search(services: Services) -> None:
    word = marker()
    old = open_one(services, f"{word} 旧事", at=NOW - timedelta(days=10))  # overdue: never answered
    legal = open_one(services, f"{word} 欠薪", intent="legal_wage_arrears", at=NOW - timedelta(minutes=5))
    claimed = open_one(services, f"{word} 认领", at=NOW - timedelta(minutes=5))
    admin = staff_member(services, None, "admin")
    services.transaction(lambda s: tickets.claim(s, s.get(Ticket, claimed), s.get(StaffUser, admin.id), NOW))

    def only(**filters) -> List[str]:
        return numbers(search(services, admin, word, **filters))

    assert only(category="legal_wage_arrears") == [number_of(services, legal)]
    assert only(state="claimed") == [number_of(services, claimed)]
    assert only(claimed_by=admin.id) == [number_of(services, claimed)]
    assert only(overdue_only=True) == [number_of(services, old)]
    assert only(created_before=NOW - timedelta(days=1)) == [number_of(services, old)]
    assert only(created_from=NOW - timedelta(days=1)) == sorted(
        [number_of(services, legal), number_of(services, claimed)]
    )
    assert only(created_from=NOW - timedelta(days=11), created_before=NOW - timedelta(days=9)) == [
        number_of(services, old)
    ]


def test_search_results_page_in_sql(services: Services) -> None:
    word = marker()
    for n in range(23):
        open_one(services, f"{word} 第{n}件", at=NOW + timedelta(minutes=n))
    open_one(services, "无关的事")
    admin = staff_member(services, None, "admin")
    first = search(services, admin, word, 1, 10)
    last = search(services, admin, word, 3, 10)
    assert (first.total, first.pages, len(first.rows), len(last.rows)) == (23, 3, 10, 3)
    seen = {row.id for n in (1, 2, 3) for row in search(services, admin, word, n, 10).rows}
    assert len(seen) == 23


def test_the_sqlite_text_index_follows_edits_and_deletions(sqlite_services: Services) -> None:
    """The FTS5 table is kept by triggers: an edited description, a deleted message, a deleted ticket."""
    word = marker()
    ticket_id = open_one(sqlite_services, f"{word} 原来的话")  # the description, and the first message
    admin = staff_member(sqlite_services, None, "admin")

    def run(*statements: str) -> None:
        def execute(session):
            for statement in statements:
                session.execute(text(statement), {"id": ticket_id, "body": f"{word} 改过的话"})

        sqlite_services.transaction(execute)

    run("UPDATE tickets SET description = :body WHERE id = :id")
    assert search(sqlite_services, admin, f"{word} 改过的").total == 1
    assert search(sqlite_services, admin, f"{word} 原来的").total == 1  # still in the message
    run("DELETE FROM ticket_messages WHERE ticket_id = :id")
    assert search(sqlite_services, admin, f"{word} 原来的").total == 0
    run("DELETE FROM tickets WHERE id = :id")
    left = sqlite_services.read(
        lambda s: s.scalar(text("SELECT count(*) FROM ticket_text WHERE ticket_text MATCH :w"), {"w": word})
    )
    assert left == 0


def test_a_short_term_is_looked_for_among_the_newest_tickets_only_and_the_page_says_so(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    word = marker()
    oldest = open_one(services, f"{word} 扣押金了")
    newer = [open_one(services, f"{word} 扣押金了") for _ in range(2)]
    admin = staff_member(services, None, "admin")
    monkeypatch.setattr(ticket_queue, "SHORT_TERM_WINDOW", 2)
    short = search(services, admin, f"{word} 押金")
    assert numbers(short) == sorted(number_of(services, t) for t in newer) and short.bounded
    full = search(services, admin, f"{word} 扣押金")
    assert full.total == 3 and not full.bounded
    assert number_of(services, oldest) in numbers(full)


def test_a_search_counts_up_to_the_cap_and_pages_that_far_in_queue_order(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    word = marker()
    for n in range(5):
        open_one(services, f"{word} 押金不退 第{n}件", at=NOW + timedelta(minutes=n))
    admin = staff_member(services, None, "admin")
    whole = search(services, admin, word, 1, 2)
    monkeypatch.setattr(ticket_queue, "COUNT_CAP", 3)
    first, second = search(services, admin, word, 1, 2), search(services, admin, word, 2, 2)
    assert (whole.total, whole.capped) == (5, False)
    assert (first.total, first.capped, first.pages) == (3, True, 2)
    assert [row.id for row in first.rows] == [row.id for row in whole.rows]
    assert len(second.rows) == 2
    monkeypatch.setattr(ticket_queue, "COUNT_CAP", 5)
    assert (search(services, admin, word).total, search(services, admin, word).capped) == (5, False)


@pytest.mark.parametrize("filters", [{}, {"state": "new"}, {"overdue_only": True}])
def test_a_common_term_walks_the_queue_and_finds_what_the_lookup_of_a_rare_one_finds(
    services: Services, monkeypatch: pytest.MonkeyPatch, filters: dict
) -> None:
    """A term with more hits than RARE_TEXTS is checked ticket by ticket: same tickets, same order."""
    word = marker()
    found = [open_one(services, f"{word} 第{n}件", at=NOW - timedelta(days=n % 3, minutes=n)) for n in range(6)]
    later = open_one(services, "只在后来的消息里", at=NOW - timedelta(days=2))
    admin = staff_member(services, None, "admin")

    def write(session):
        tickets.add_worker_message(session, session.get(Ticket, later), f"补充 {word}", NOW)
        tickets.claim(session, session.get(Ticket, found[0]), session.get(StaffUser, admin.id), NOW)

    services.transaction(write)

    def ids(size: int, number: int = 1) -> List[int]:
        return [row.id for row in search(services, admin, word, number, size, **filters).rows]

    looked_up = ids(50)
    assert set(looked_up) <= {*found, later} and later in looked_up
    monkeypatch.setattr(ticket_queue, "RARE_TEXTS", 1)
    assert ids(50) == looked_up
    assert ids(2) + ids(2, 2) + ids(2, 3) + ids(2, 4) == looked_up
