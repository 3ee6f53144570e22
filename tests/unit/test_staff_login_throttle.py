"""Console login throttling: per account and per address, exponential, shared by every web worker."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import List, Optional

from core import staff
from core.models import LoginFailures
from core.services import Services

NOW = datetime(2026, 11, 26, 6, 0)
PASSWORD = "correct horse battery"


def _account(services: Services) -> str:
    name = f"t{uuid.uuid4().hex[:10]}"
    services.transaction(lambda s: staff.create_user(s, name, PASSWORD, "staff", "潞州区"))
    return name


def _address() -> str:
    return f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"  # unique per test, shared database


def _try(services: Services, name: str, password: str, address: str, when: datetime) -> staff.LoginOutcome:
    return services.transaction(lambda s: staff.log_in(s, name, password, address, when))


def _seconds(wait: Optional[timedelta]) -> Optional[float]:
    return wait.total_seconds() if wait else None


def test_forty_wrong_passwords_then_the_right_one_is_refused(services: Services) -> None:
    """What was seen: 40 wrong console passwords in a row, then the right one, all accepted without delay."""
    name, address = _account(services), _address()
    outcomes = [_try(services, name, "wrong password", address, NOW + timedelta(seconds=i)) for i in range(40)]
    checked = [second for second, outcome in enumerate(outcomes) if not outcome.throttled]
    assert checked == [0, 1, 2, 3, 4, 6, 10, 18, 34]  # blocked 2, 4, 8, 16, 32 s after the 5th … 9th failure
    right = _try(services, name, PASSWORD, address, NOW + timedelta(seconds=40))
    assert right.opened is None and right.throttled and _seconds(right.retry_after) == 34 + 32 - 40


def test_the_delay_doubles_from_the_fifth_failure_up_to_fifteen_minutes(services: Services) -> None:
    name, address, when = _account(services), _address(), NOW
    delays: List[Optional[float]] = []
    for _ in range(16):
        outcome = _try(services, name, "wrong password", address, when)
        assert not outcome.throttled
        delays.append(_seconds(outcome.retry_after))
        when += outcome.retry_after or timedelta(0)
    assert delays == [None, None, None, None, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert _try(services, name, PASSWORD, address, when - timedelta(seconds=1)).throttled
    assert _try(services, name, PASSWORD, address, when).opened is not None


def test_a_success_resets_the_accounts_count(services: Services) -> None:
    name, address = _account(services), _address()
    for i in range(4):
        assert _try(services, name, "wrong password", address, NOW + timedelta(seconds=i)).retry_after is None
    assert _try(services, name, PASSWORD, address, NOW + timedelta(seconds=5)).opened is not None
    for i in range(4):
        assert _try(services, name, "wrong password", address, NOW + timedelta(seconds=10 + i)).retry_after is None
    assert _try(services, name, PASSWORD, address, NOW + timedelta(seconds=20)).opened is not None


def test_the_block_holds_for_the_account_from_any_address(services: Services) -> None:
    name = _account(services)
    for i in range(5):
        _try(services, name, "wrong password", _address(), NOW + timedelta(seconds=i))
    blocked = _try(services, name, PASSWORD, _address(), NOW + timedelta(seconds=5))
    assert blocked.throttled and blocked.opened is None
    assert _try(services, name, PASSWORD, _address(), NOW + timedelta(seconds=7)).opened is not None


def test_one_address_guessing_many_accounts_is_slowed_down_and_a_good_login_does_not_clear_it(
    services: Services,
) -> None:
    address, mine = _address(), _account(services)
    for i in range(staff.DELAY_FREE_FAILURES["address"]):
        outcome = _try(services, f"nobody{i}-{uuid.uuid4().hex[:4]}", "guess", address, NOW + timedelta(seconds=i))
        assert not outcome.throttled
    assert _seconds(outcome.retry_after) == 2
    assert _try(services, mine, PASSWORD, address, NOW + timedelta(seconds=20)).throttled
    assert _try(services, mine, PASSWORD, _address(), NOW + timedelta(seconds=20)).opened is not None  # elsewhere
    assert _try(services, mine, PASSWORD, address, NOW + timedelta(seconds=22)).opened is not None
    outcome = _try(services, f"nobody-{uuid.uuid4().hex[:4]}", "guess", address, NOW + timedelta(seconds=23))
    assert _seconds(outcome.retry_after) == 4  # the address's count went on


def test_failures_a_day_old_are_forgotten(services: Services) -> None:
    name, address = _account(services), _address()
    for i in range(4):
        _try(services, name, "wrong password", address, NOW + timedelta(seconds=i))
    later = NOW + staff.FORGET_FAILURES_AFTER + timedelta(minutes=1)
    assert _try(services, name, "wrong password", address, later).retry_after is None
    assert _try(services, name, PASSWORD, address, later).opened is not None
    old_key = f"address:{_address()}"
    services.transaction(lambda s: s.add(LoginFailures(key=old_key, failures=3, last_failure_at=NOW)))
    _try(services, name, "wrong password", address, later + timedelta(days=1))
    assert services.read(lambda s: s.get(LoginFailures, old_key)) is None  # cleaned up


def test_every_web_worker_sees_the_same_count(services: Services) -> None:
    """Two processes' worth of engines on one database, failures spread over both."""
    other = Services.from_settings(services.settings)
    try:
        name, address = _account(services), _address()
        for i in range(5):
            worker = services if i % 2 else other
            _try(worker, name, "wrong password", address, NOW + timedelta(seconds=i))
        assert _try(other, name, PASSWORD, address, NOW + timedelta(seconds=5)).throttled
        assert _try(services, name, PASSWORD, address, NOW + timedelta(seconds=5)).throttled
    finally:
        other.close()


def test_parallel_guesses_are_counted_one_at_a_time(services: Services) -> None:
    """Ten wrong passwords at once from four workers: five are checked and counted, the rest wait.

    Without the row lock each would read the count before the others wrote it: all ten
    checked, and the count one or two.
    """
    workers = [Services.from_settings(services.settings) for _ in range(4)]
    try:
        name, address = _account(services), _address()
        with ThreadPoolExecutor(max_workers=10) as pool:
            outcomes = list(pool.map(lambda i: _try(workers[i % 4], name, "wrong", address, NOW), range(10)))
        row = services.read(lambda s: s.get(LoginFailures, f"account:{name}"))
        assert sum(not o.throttled for o in outcomes) == 5 and row.failures == 5
    finally:
        for worker in workers:
            worker.close()
