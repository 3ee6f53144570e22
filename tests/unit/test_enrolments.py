"""Sign-ups: capacity, waiting list, consent, ownership, the race for the last place, retention."""

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from core import enrolments
from core.models import Enrolment, Programme
from core.services import Services
from core.workers import WorkerRef

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 6, 0)


def new_programme(services: Services, capacity: int, kind: str = "summer_camp", **changes) -> int:
    values = dict(
        kind=kind, title="测试夏令营", district="潞州区", venue="测试场地", age_min=6, age_max=12,
        start_date=date(2027, 7, 10), end_date=date(2027, 7, 20), capacity=capacity,
        signup_deadline=date(2027, 7, 1),
    )  # fmt: skip
    values.update(changes)

    def add(session):
        programme = Programme(**values)
        session.add(programme)
        session.flush()
        return programme.id

    return services.transaction(add)


def applicant(sender: str, name: str = "王小明") -> enrolments.Applicant:
    return enrolments.Applicant(WorkerRef("rest", sender), name, "13812345678", age=8, consent_at=NOW)


def book(services: Services, programme_id: int, who: enrolments.Applicant) -> enrolments.BookingResult:
    return services.transaction(lambda s: enrolments.book(s, programme_id, who, TODAY, NOW))


def test_places_then_waiting_list_in_order(services: Services) -> None:
    programme_id = new_programme(services, capacity=2)
    outcomes = [book(services, programme_id, applicant(f"w{i}", f"孩子{i}")) for i in range(4)]
    assert [o.outcome for o in outcomes] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [o.waitlist_position for o in outcomes[2:]] == [1, 2]


def test_the_same_child_is_not_booked_twice(services: Services) -> None:
    programme_id = new_programme(services, capacity=5)
    assert book(services, programme_id, applicant("dup")).outcome == "confirmed"
    assert book(services, programme_id, applicant("dup")).outcome == "duplicate"


def test_a_child_needs_the_guardians_consent(services: Services) -> None:
    programme_id = new_programme(services, capacity=5)
    no_consent = enrolments.Applicant(WorkerRef("rest", "nc"), "李想", "13812345678", age=7)
    with pytest.raises(enrolments.ConsentRequired):
        book(services, programme_id, no_consent)


def test_sign_up_after_the_deadline_is_refused(services: Services) -> None:
    programme_id = new_programme(services, capacity=5, signup_deadline=TODAY - timedelta(days=1))
    assert book(services, programme_id, applicant("late")).outcome == "closed"


def test_cancelling_gives_the_place_to_the_first_on_the_waiting_list(services: Services) -> None:
    programme_id = new_programme(services, capacity=1)
    first = book(services, programme_id, applicant("c1", "甲"))
    second = book(services, programme_id, applicant("c2", "乙"))
    assert second.outcome == "waitlisted"
    result = services.transaction(lambda s: enrolments.cancel(s, first.enrolment.id, WorkerRef("rest", "c1"), NOW))
    assert result is not None and result.promoted.id == second.enrolment.id
    with services.session_factory() as session:
        cancelled = session.get(Enrolment, first.enrolment.id)
        assert cancelled.status == "cancelled"
        assert cancelled.participant_name is None and cancelled.phone is None
        assert session.get(Enrolment, second.enrolment.id).status == "confirmed"


def test_only_the_owner_can_cancel(services: Services) -> None:
    programme_id = new_programme(services, capacity=1)
    mine = book(services, programme_id, applicant("owner"))
    stranger = WorkerRef("rest", "stranger")
    assert services.transaction(lambda s: enrolments.cancel(s, mine.enrolment.id, stranger, NOW)) is None


def test_two_riders_race_for_the_last_place_and_only_one_gets_it(services: Services) -> None:
    programme_id = new_programme(services, capacity=1)
    barrier = threading.Barrier(8)
    outcomes = []

    def race(i: int) -> None:
        barrier.wait()
        outcomes.append(book(services, programme_id, applicant(f"racer{i}", f"孩子{i}")).outcome)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["confirmed"] + ["waitlisted"] * 7
    with services.session_factory() as session:
        confirmed = session.query(Enrolment).filter_by(programme_id=programme_id, status="confirmed").count()
    assert confirmed == 1


def test_childrens_data_is_erased_after_the_retention_period(services: Services) -> None:
    ended = new_programme(services, capacity=5, start_date=date(2026, 7, 1), end_date=date(2026, 7, 20),
                          signup_deadline=date(2027, 1, 1))  # fmt: skip
    recent = new_programme(services, capacity=5, start_date=date(2026, 11, 1), end_date=date(2026, 11, 20),
                           signup_deadline=date(2027, 1, 1))  # fmt: skip
    old = book(services, ended, applicant("ret1"))
    fresh = book(services, recent, applicant("ret2"))
    count = services.transaction(lambda s: enrolments.anonymise_finished(s, TODAY, 30, NOW))
    assert count >= 1
    with services.session_factory() as session:
        wiped, kept = session.get(Enrolment, old.enrolment.id), session.get(Enrolment, fresh.enrolment.id)
        assert (wiped.participant_name, wiped.phone, wiped.participant_age) == (None, None, None)
        assert wiped.anonymised_at is not None and wiped.status == "confirmed"
        assert kept.participant_name == "王小明" and kept.phone == "13812345678"


def test_sign_up_before_it_opens_is_refused_and_stores_nothing(services: Services) -> None:
    programme_id = new_programme(services, capacity=5, signup_opens=date(2027, 5, 20))
    result = book(services, programme_id, applicant("early"))
    assert result.outcome == "not_open"
    stored = services.read(lambda s: s.scalars(select(Enrolment).where(Enrolment.programme_id == programme_id)).all())
    assert stored == []
    opened = services.transaction(
        lambda s: enrolments.book(s, programme_id, applicant("early"), date(2027, 5, 20), NOW).outcome
    )
    assert opened == "confirmed"


def test_a_freed_place_goes_to_the_longest_waiting_not_the_latest(services: Services) -> None:
    programme_id = new_programme(services, capacity=1)
    holder = book(services, programme_id, applicant("q0", "甲"))
    waiting = [book(services, programme_id, applicant(f"q{i}", name)) for i, name in enumerate("乙丙丁", 1)]
    assert [w.waitlist_position for w in waiting] == [1, 2, 3]
    result = services.transaction(lambda s: enrolments.cancel(s, holder.enrolment.id, WorkerRef("rest", "q0"), NOW))
    assert result.promoted.id == waiting[0].enrolment.id
    with services.session_factory() as session:
        statuses = [session.get(Enrolment, w.enrolment.id).status for w in waiting]
    assert statuses == ["confirmed", "waitlisted", "waitlisted"]


def test_an_unknown_programme_books_nothing(services: Services) -> None:
    unknown = book(services, 10**9, applicant("nobody"))
    assert (unknown.outcome, unknown.programme, unknown.enrolment, unknown.waitlist_position) == (
        "unknown",
        None,
        None,
        0,
    )


def test_the_deadline_day_itself_is_still_open(services: Services) -> None:
    programme_id = new_programme(services, capacity=5, signup_deadline=TODAY)
    result = book(services, programme_id, applicant("last-day"))
    assert result.outcome == "confirmed" and result.programme.id == programme_id
    enrolment = result.enrolment
    assert (enrolment.channel, enrolment.sender_id, enrolment.participant_name, enrolment.participant_age) == (
        "rest", "last-day", "王小明", 8,
    )  # fmt: skip
    assert (enrolment.phone, enrolment.consent_at, enrolment.created_at, result.waitlist_position) == (
        "13812345678", NOW, NOW, 0,
    )  # fmt: skip


def test_training_needs_no_consent(services: Services) -> None:
    programme_id = new_programme(services, capacity=5, kind="training", age_min=None, age_max=None)
    adult = enrolments.Applicant(WorkerRef("rest", "adult"), "张三", "13812345678")
    assert book(services, programme_id, adult).outcome == "confirmed"


def test_a_cancelled_sign_up_does_not_block_signing_up_again_nor_take_a_place(services: Services) -> None:
    programme_id = new_programme(services, capacity=1)
    first = book(services, programme_id, applicant("again", "小红"))
    services.transaction(lambda s: enrolments.cancel(s, first.enrolment.id, WorkerRef("rest", "again"), NOW))
    second = book(services, programme_id, applicant("again", "小红"))
    assert second.outcome == "confirmed" and second.enrolment.id != first.enrolment.id
    other_child = book(services, programme_id, applicant("again", "小明"))
    assert other_child.outcome == "waitlisted" and other_child.waitlist_position == 1


def test_a_duplicate_is_the_same_child_of_the_same_worker_only(services: Services) -> None:
    programme_id = new_programme(services, capacity=5)
    first = book(services, programme_id, applicant("twin", "小刚"))
    same = book(services, programme_id, applicant("twin", "小刚"))
    assert same.outcome == "duplicate" and same.enrolment.id == first.enrolment.id
    assert book(
        services, programme_id, enrolments.Applicant(WorkerRef("telegram", "twin"), "小刚", "1", 8, NOW)
    ).outcome == ("confirmed")


def test_a_workers_sign_ups_are_listed_newest_first_with_names_masked(services: Services) -> None:
    camp = new_programme(services, capacity=5, title="夏令营A")
    daycare = new_programme(services, capacity=5, kind="summer_daycare", title="托管B")
    worker = WorkerRef("rest", "lister")
    first = book(services, camp, applicant("lister", "王小明"))
    second = book(services, daycare, applicant("lister", "李华"))
    cancelled = book(services, daycare, applicant("lister", "赵六"))
    services.transaction(lambda s: enrolments.cancel(s, cancelled.enrolment.id, worker, NOW))
    book(services, camp, applicant("someone-else", "钱七"))
    listed = services.read(lambda s: enrolments.listing(s, worker))
    assert [(x.id, x.programme, x.name, x.status) for x in listed] == [
        (second.enrolment.id, "托管B", "李*", "confirmed"),
        (first.enrolment.id, "夏令营A", "王*明", "confirmed"),
    ]
    assert [e.id for e in services.read(lambda s: enrolments.of_worker(s, worker))] == [
        second.enrolment.id, first.enrolment.id,
    ]  # fmt: skip


def test_cancelling_a_waiting_place_promotes_nobody_and_cancelling_twice_does_nothing(services: Services) -> None:
    programme_id = new_programme(services, capacity=1)
    book(services, programme_id, applicant("w-a", "甲"))
    waiting = book(services, programme_id, applicant("w-b", "乙"))
    behind = book(services, programme_id, applicant("w-c", "丙"))
    worker = WorkerRef("rest", "w-b")
    result = services.transaction(lambda s: enrolments.cancel(s, waiting.enrolment.id, worker, NOW))
    assert result.promoted is None and result.programme.id == programme_id and result.cancelled.cancelled_at == NOW
    assert services.read(lambda s: s.get(Enrolment, behind.enrolment.id).status) == "waitlisted"
    assert services.transaction(lambda s: enrolments.cancel(s, waiting.enrolment.id, worker, NOW)) is None
    assert services.transaction(lambda s: enrolments.cancel(s, 10**9, worker, NOW)) is None
    wiped = services.read(lambda s: s.get(Enrolment, waiting.enrolment.id))
    assert (wiped.participant_name, wiped.participant_age, wiped.phone, wiped.anonymised_at) == (None, None, None, NOW)


def test_retention_ends_exactly_its_days_after_the_end_and_counts_each_once(services: Services) -> None:
    end = date(2026, 10, 1)
    programme_id = new_programme(services, capacity=5, start_date=date(2026, 9, 1), end_date=end,
                                 signup_deadline=date(2027, 1, 1))  # fmt: skip
    kept = book(services, programme_id, applicant("ret-x"))
    days = (TODAY - end).days  # the programme ended exactly `days` ago: kept one more day
    services.transaction(lambda s: enrolments.anonymise_finished(s, TODAY, days, NOW))
    assert services.read(lambda s: s.get(Enrolment, kept.enrolment.id).participant_name) == "王小明"
    erased = services.transaction(lambda s: enrolments.anonymise_finished(s, TODAY, days - 1, NOW))
    assert erased >= 1
    assert services.read(lambda s: s.get(Enrolment, kept.enrolment.id).participant_name) is None
    assert services.transaction(lambda s: enrolments.anonymise_finished(s, TODAY, days - 1, NOW)) == 0


def test_two_places_freed_at_once_on_postgresql_go_to_two_riders(pg_services: Services) -> None:
    """Two cancellations at the same time each promote someone: not the same rider twice."""
    programme_id = new_programme(pg_services, capacity=2)
    first, second = (book(pg_services, programme_id, applicant(f"free-{n}", f"孩子{n}")) for n in "ab")
    waiting = [book(pg_services, programme_id, applicant(f"free-{n}", f"孩子{n}")) for n in "cd"]
    promoted: list = []
    with pg_services.session_factory.begin() as session:
        enrolments.cancel(session, first.enrolment.id, WorkerRef("rest", "free-a"), NOW)

        def other() -> None:
            worker = WorkerRef("rest", "free-b")
            promoted.append(pg_services.transaction(lambda s: enrolments.cancel(s, second.enrolment.id, worker, NOW)))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=1)  # it waits for this cancellation, which then commits
    thread.join(timeout=30)
    with pg_services.session_factory() as session:
        statuses = [session.get(Enrolment, w.enrolment.id).status for w in waiting]
    assert statuses == ["confirmed", "confirmed"]
