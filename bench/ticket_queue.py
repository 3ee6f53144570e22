"""The staff queue over 100,000 tickets, on SQLite and on PostgreSQL.

    .venv/bin/python bench/ticket_queue.py [--tickets 100000] [--queries 500]

Tickets spread over the districts, kinds and states as a busy year would leave
them (most closed, some open, some overdue) are written straight into a fresh
database. Then the queue pages are read as staff read them: an admin's first
page, a district's, a later page, only the overdue ones, one state, one kind.
Prints latency percentiles per database; target p99 <= 100 ms (issue 12).

Then the live queue's poll, which every open console page runs once a second
(issue 14, point 1): the count of open tickets with unread rider messages, their
ids, and the header's deadline counts, for an admin and for a district's staff.
A third of the tickets carry a rider message staff have not seen.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

from bench.common import machine, postgres_schema, summary_ms
from core import ticket_queue
from core.cli import migrate
from core.content import loader
from core.db import make_engine, make_session_factory
from core.models import StaffUser, Ticket

NOW = datetime(2027, 6, 30, 8, 0)
STATES = ["closed"] * 70 + ["resolved"] * 10 + ["new"] * 8 + ["claimed"] * 6 + ["answered"] * 6
KINDS = ["request_human", "report_issue", "make_suggestion", "legal_wage_arrears", "find_station", "childcare"]


def default_description(n: int, _rng: random.Random) -> str:
    return f"第{n}件 站点扣我押金不退 联系电话13812345678"


def fill(
    url: str, count: int, seed: int = 5, describe: Callable[[int, random.Random], str] = default_description
) -> None:
    """Migrate a fresh database at `url` and write `count` tickets and an admin into it.

    `describe` writes the n-th ticket's description (bench/ticket_search.py varies it).
    """
    migrate(url)
    rng = random.Random(seed)
    districts = loader.district_names()
    rows = []
    for n in range(count):
        created = NOW - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        state = rng.choice(STATES)
        answered = created + timedelta(hours=rng.uniform(1, 30)) if state != "new" else None
        respond_by, resolve_by = created + timedelta(hours=24), created + timedelta(days=7)
        rows.append(
            {
                "number": f"CZ-{created:%Y%m%d}-{n:06d}", "category": rng.choice(KINDS), "sla_class": "ordinary",
                "district": rng.choice(districts), "channel": "rest", "sender_id": f"bench-{n}",
                "state": state, "description": describe(n, rng), "created_at": created,
                "respond_by": respond_by, "resolve_by": resolve_by, "answered_at": answered,
                "queue_rank": {"resolved": 1, "closed": 2}.get(state, 0),
                "next_deadline": respond_by if answered is None else resolve_by,
                "handoff_active": False, "place_text": "", "reopened_count": 0,
                "last_worker_message_at": created, "staff_seen_at": None if rng.random() < 0.33 else created,
            }
        )  # fmt: skip
    for row in rows:  # what the model's write hook keeps (plain INSERTs bypass it)
        row["has_unread"] = row["queue_rank"] == 0 and row["staff_seen_at"] is None
    engine = make_engine(url)
    with engine.begin() as connection:
        for start in range(0, len(rows), 5_000):
            connection.execute(insert(Ticket), rows[start : start + 5_000])
        connection.execute(
            insert(StaffUser),
            [{"username": "bench", "display_name": "b", "password_hash": "x", "role": "admin", "district": None,
              "active": True}],
        )  # fmt: skip
    if url.startswith("postgresql"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE tickets"))
    engine.dispose()


def workload(rng: random.Random) -> List[Callable[[object, StaffUser], object]]:
    districts = loader.district_names()
    queries: List[Callable] = []
    for _ in range(500):
        kind = rng.randrange(6)
        district = rng.choice(districts)
        filters = {
            0: ticket_queue.Filters(),
            1: ticket_queue.Filters(district=district),
            2: ticket_queue.Filters(overdue_only=True),
            3: ticket_queue.Filters(state=rng.choice(["new", "claimed", "answered"])),
            4: ticket_queue.Filters(category=rng.choice(KINDS), district=district),
            5: ticket_queue.Filters(),
        }[kind]
        number = rng.randrange(2, 40) if kind == 5 else 1
        queries.append(lambda s, v, f=filters, n=number: ticket_queue.page(s, v, f, NOW, n))
    return queries


def measure(url: str, queries: int) -> str:
    factory = make_session_factory(make_engine(url))
    rng = random.Random(9)
    work = workload(rng)
    seconds = []
    with factory() as session:
        viewer = session.scalars(select(StaffUser).where(StaffUser.username == "bench")).one()
        total = ticket_queue.page(session, viewer, ticket_queue.Filters(), NOW).total
        for n in range(queries):
            started = time.perf_counter()
            work[n % len(work)](session, viewer)
            seconds.append(time.perf_counter() - started)
    return f"tickets={total} {summary_ms(seconds)}"


def measure_live_poll(url: str, polls: int) -> str:
    """What one open queue page costs the database each second: unread count and ids, deadline counts."""
    factory = make_session_factory(make_engine(url))
    seconds = []
    with factory() as session:
        admin = session.scalars(select(StaffUser).where(StaffUser.username == "bench")).one()
        district_staff = StaffUser(id=admin.id, username="d", display_name="d", role="staff", district="潞州区")
        unread = ticket_queue.unread_count(session, admin)
        for n in range(polls):
            viewer = admin if n % 2 == 0 else district_staff
            started = time.perf_counter()
            ticket_queue.unread_count(session, viewer)
            ticket_queue.unread_ids(session, viewer)
            ticket_queue.deadline_counts(session, viewer, NOW)
            seconds.append(time.perf_counter() - started)
    return f"open tickets with unread messages={unread} {summary_ms(seconds)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/queue.db"
        started = time.perf_counter()
        fill(url, args.tickets)
        print(f"SQLite: {args.tickets} tickets written in {time.perf_counter() - started:.0f} s")
        print("SQLite queue page:", measure(url, args.queries))
        print("SQLite live queue poll:", measure_live_poll(url, args.queries))
    with postgres_schema() as url:
        started = time.perf_counter()
        fill(url, args.tickets)
        print(f"PostgreSQL: {args.tickets} tickets written in {time.perf_counter() - started:.0f} s")
        print("PostgreSQL queue page:", measure(url, args.queries))
        print("PostgreSQL live queue poll:", measure_live_poll(url, args.queries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
