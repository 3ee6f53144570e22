"""Staff search over 100,000 tickets and their threads, on SQLite and on PostgreSQL (issue 14, point 2).

    .venv/bin/python bench/ticket_search.py [--tickets 100000] [--queries 80]

The tickets of bench/ticket_queue.py (its data builder), with descriptions drawn
from riders' phrases, most with a phone number, and one to three thread messages
each (rider and staff), written with plain INSERTs: the SQLite FTS5 table fills
through its triggers, the phone tails are written as core writes them. Then each
kind of search runs `--queries` times through core.ticket_queue.page, as the
console runs it (first page and total): by number, by text (common and rare
words, 2 and 4 characters), by the last four digits of a phone, and text with
filters, for an admin and for district staff. Target p99 <= 150 ms per kind.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

from bench.common import machine, postgres_schema, summary_ms
from bench.ticket_queue import NOW, fill
from core import privacy, ticket_queue
from core.content import loader
from core.db import make_engine, make_session_factory
from core.models import StaffUser, Ticket, TicketMessage, TicketPhone

# (phrase, share of descriptions that hold it): riders' common complaints and a few rare ones.
COMMON = [
    ("站点扣我押金不退", 0.20),
    ("电动车被交警扣了", 0.12),
    ("超时罚款不合理", 0.12),
    ("小区不让外卖员进", 0.10),
    ("工资拖欠两个月", 0.10),
    ("想给孩子报暑假班", 0.08),
    ("附近哪里能充电", 0.08),
    ("配送费少算了", 0.08),
    ("想参加技能培训", 0.06),
    ("下雨天路滑摔倒", 0.06),
]
RARE = [("冰雹砸坏了餐箱", 0.0005), ("被狗咬伤了小腿", 0.0005), ("电梯困人半小时", 0.0005)]
RIDER_LINES = ["还没有人联系我", "什么时候能处理", "押金什么时候到账", "电动车还在停车场", "谢谢", "我再等等"]
STAFF_LINES = ["已转交站点核实押金", "请带身份证到交警队", "已联系小区物业", "培训报名表已发您", "已记录，三日内回复"]
QUERIES = {
    "number": None,
    "text common 2 chars (押金)": "押金",
    "text common 4 chars (押金不退)": "押金不退",
    "text rare 2 chars (冰雹)": "冰雹",
    "text rare 4 chars (冰雹砸坏)": "冰雹砸坏",
    "phone last 4": None,
    "text + district + state (电动车)": "电动车",
    "district staff: text + overdue (押金)": "押金",
}


def describe(n: int, rng: random.Random) -> str:
    phrases = [p for p, share in COMMON + RARE if rng.random() < share] or [rng.choice(COMMON)[0]]
    phone = f"联系电话1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.6 else ""
    return f"第{n}件 {'，'.join(phrases)} {phone}".strip()


def add_threads(url: str, seed: int = 7) -> Tuple[int, int]:
    """One to three messages a ticket, rider and staff in turn, and every phone tail; (messages, tails)."""
    rng = random.Random(seed)
    engine = make_engine(url)
    messages, phones = [], set()
    with engine.begin() as connection:
        tickets = list(connection.execute(select(Ticket.id, Ticket.description, Ticket.created_at).order_by(Ticket.id)))
        for ticket_id, description, created in tickets:
            phones.update((tail, ticket_id) for tail in privacy.phone_tails(description))
            for k in range(rng.randrange(1, 4)):
                author = "worker" if k % 2 == 0 else "staff"
                line = rng.choice(RIDER_LINES if author == "worker" else STAFF_LINES)
                if rng.random() < sum(share for _, share in RARE):
                    line += " " + rng.choice(RARE)[0]
                messages.append({"ticket_id": ticket_id, "author": author, "text": line, "created_at": created})
        for start in range(0, len(messages), 5_000):
            connection.execute(insert(TicketMessage), messages[start : start + 5_000])
        rows = [{"last4": tail, "ticket_id": ticket_id} for tail, ticket_id in sorted(phones)]
        for start in range(0, len(rows), 5_000):
            connection.execute(insert(TicketPhone), rows[start : start + 5_000])
    if url.startswith("postgresql"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE ticket_messages"))
            connection.execute(text("VACUUM ANALYZE ticket_phones"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return len(messages), len(rows)


Search = Callable[[object], ticket_queue.Page]


def searches(session, rng: random.Random) -> Dict[str, List[Search]]:
    """Per kind of search, the calls to time (viewer, filters and page chosen up front)."""
    districts = loader.district_names()
    admin = session.scalars(select(StaffUser).where(StaffUser.username == "bench")).one()
    staff = {d: StaffUser(id=10_000 + i, username=f"s{i}", role="staff", district=d) for i, d in enumerate(districts)}
    numbers = list(session.scalars(text("SELECT number FROM tickets ORDER BY random() LIMIT 200")))
    tails = list(session.scalars(text("SELECT last4 FROM ticket_phones ORDER BY random() LIMIT 200")))

    def call(viewer: StaffUser, filters: ticket_queue.Filters) -> Search:
        return lambda s: ticket_queue.page(s, viewer, filters, NOW)

    kinds: Dict[str, List[Search]] = {}
    for kind, word in QUERIES.items():
        calls = []
        for _ in range(50):
            if kind == "number":
                calls.append(call(admin, ticket_queue.Filters(q=rng.choice(numbers))))
            elif kind == "phone last 4":
                calls.append(call(admin, ticket_queue.Filters(q=rng.choice(tails))))
            elif kind.startswith("text + district"):
                state = rng.choice(["new", "claimed", "answered", "closed"])
                filters = ticket_queue.Filters(district=rng.choice(districts), state=state, q=str(word))
                calls.append(call(admin, filters))
            elif kind.startswith("district staff"):
                calls.append(call(staff[rng.choice(districts)], ticket_queue.Filters(q=str(word), overdue_only=True)))
            else:
                calls.append(call(admin, ticket_queue.Filters(q=str(word))))
        kinds[kind] = calls
    return kinds


def measure(url: str, queries: int) -> List[str]:
    factory = make_session_factory(make_engine(url))
    lines = []
    with factory() as session:
        kinds = searches(session, random.Random(11))
        for kind, calls in kinds.items():
            seconds, totals = [], []
            for n in range(queries):
                started = time.perf_counter()
                found = calls[n % len(calls)](session)
                seconds.append(time.perf_counter() - started)
                totals.append(found.total)
            lines.append(f"  {kind}: {summary_ms(seconds)} hits={min(totals)}–{max(totals)}")
    return lines


def run(name: str, url: str, tickets: int, queries: int) -> None:
    started = time.perf_counter()
    fill(url, tickets, describe=describe)
    messages, tails = add_threads(url)
    print(
        f"{name}: {tickets} tickets, {messages} messages, {tails} phone tails written "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    for line in measure(url, queries):
        print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=80)
    args = parser.parse_args()
    print(machine())
    import sqlite3

    print(f"SQLite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/search.db", args.tickets, args.queries)
    with postgres_schema() as url:
        run("PostgreSQL", url, args.tickets, args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
