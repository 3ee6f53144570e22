"""Read-only transactions: they read beside a writer and refuse to change data."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from core.models import FaqEntry
from core.services import Services


def test_a_lookup_reads_while_another_process_holds_the_write_lock(sqlite_services: Services) -> None:
    path = sqlite_services.engine.url.database
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # as the action server does while it books a place
    try:
        # With BEGIN IMMEDIATE this would wait out the 30 s busy timeout and fail "database is locked".
        count = sqlite_services.read(lambda s: s.scalar(select(func.count(FaqEntry.id))))
        found = sqlite_services.faq.search("驿站几点开门")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert count > 0
    assert found


def test_a_change_inside_a_read_is_refused_and_not_written(services: Services) -> None:
    before = services.read(lambda s: s.scalar(select(func.count(FaqEntry.id))))

    def sneaky(session) -> None:
        session.add(FaqEntry(question="偷偷写入?", variants="", answer="不该写入", tags=""))

    with pytest.raises(RuntimeError, match="read-only"):
        services.read(sneaky)
    assert services.read(lambda s: s.scalar(select(func.count(FaqEntry.id)))) == before
