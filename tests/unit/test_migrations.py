"""Alembic migrations that rewrite data, on a database that already holds it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from core import geo, ticket_queue
from core.cli import alembic_config, migrate
from core.content import loader
from core.db import make_engine, make_session_factory
from core.models import Base, StaffUser
from tests.conftest import FIXED_TODAY, pg_schema
from tests.unit.test_staff_accounts import _names


@pytest.fixture(params=["sqlite", "pg"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    with pg_schema("nx_migrate") as url:
        yield url


def _query(database_url: str, sql: str) -> Tuple[List[tuple], Set[str]]:
    """The rows of a query and the columns `places` has now."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(text(sql))]
        columns = {c["name"] for c in inspect(connection).get_columns("places")}
    engine.dispose()
    return rows, columns


def test_the_street_and_county_grids_are_computed_for_places_already_stored_and_removed_again(
    empty_database: str,
) -> None:
    migrate(empty_database)
    engine = make_engine(empty_database)
    with make_session_factory(engine)() as session, session.begin():
        loader.load_initial(session, FIXED_TODAY)
    engine.dispose()
    config = alembic_config(empty_database)

    command.downgrade(config, "0004")  # places as revision 0004 kept them
    rows, columns = _query(empty_database, "SELECT lat, lon, cell FROM places")
    assert not {"street_cell", "county_cell"} & columns
    assert len(rows) > 900
    assert all(cell == geo.TOWN_GRID.cell_of(lat, lon) for lat, lon, cell in rows)

    command.upgrade(config, "0005")
    rows, columns = _query(empty_database, "SELECT lat, lon, cell, street_cell, county_cell FROM places")
    assert all(street == geo.STREET_GRID.cell_of(lat, lon) for lat, lon, _, street, _ in rows)
    assert all(county == geo.COUNTY_GRID.cell_of(lat, lon) for lat, lon, _, _, county in rows)
    assert all(cell == geo.TOWN_GRID.cell_of(lat, lon) for lat, lon, cell, _, _ in rows)
    assert min(street for _, _, _, street, _ in rows) > 2**31  # a 64-bit column holds the street keys


def _store_ticket(connection, number: str, district, description: str, at: datetime, **more: datetime) -> None:
    """Ticket 1 written as an older schema holds it (the columns every revision since 0009 has, and `more`)."""
    columns = ", ".join(more)
    values = "".join(f", :{name}" for name in more)
    connection.execute(
        text(
            "INSERT INTO tickets (id, number, category, sla_class, district, channel, sender_id, state, "
            "description, place_text, handoff_active, created_at, respond_by, resolve_by, reopened_count, "
            f"queue_rank, next_deadline{', ' + columns if more else ''}) VALUES (1, :number, 'request_human', "
            f"'ordinary', :district, 'rest', 'w1', 'new', :description, '', false, :t, :t, :t, 0, 0, :t{values})"
        ),
        {"number": number, "district": district, "description": description, "t": at, **more},
    )


def test_search_indexes_and_phone_tails_are_built_for_tickets_already_stored_and_removed_again(
    empty_database: str,
) -> None:
    """0012: the phone tails and (SQLite) the FTS5 table are filled from stored tickets; down drops all."""
    config = alembic_config(empty_database)
    command.upgrade(config, "0011")
    engine = make_engine(empty_database)
    with engine.begin() as connection:
        _store_ticket(connection, "CZ-20261130-0001", "黎城县", "站点扣押金", datetime(2026, 11, 30))
        connection.execute(
            text(
                "INSERT INTO ticket_messages (ticket_id, author, text, created_at) "
                "VALUES (1, 'worker', '电话13912344321 电动车被扣', :t)"
            ),
            {"t": datetime(2026, 11, 30)},
        )
    command.upgrade(config, "0012")
    command.upgrade(config, "head")  # the queue reads through today's models
    admin = StaffUser(id=1, username="a", display_name="a", password_hash="x", role="admin")

    def found(q: str) -> int:
        filters = ticket_queue.Filters(q=q)
        with make_session_factory(engine)() as session:
            return ticket_queue.page(session, admin, filters, datetime(2026, 12, 1)).total

    assert (found("4321"), found("电动车被扣"), found("扣押金"), found("1234")) == (1, 1, 1, 0)
    command.downgrade(config, "0011")
    with engine.connect() as connection:
        inspector = inspect(connection)
        assert not {"ticket_phones", "ticket_text"} & set(inspector.get_table_names())
        assert {i["name"] for i in inspector.get_indexes("tickets")} & {"ix_tickets_description_trgm"} == set()
        if engine.dialect.name == "sqlite":
            assert connection.scalar(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")) == 0
    command.upgrade(config, "head")
    assert found("电动车被扣") == 1
    engine.dispose()


def test_a_ticket_may_wait_without_a_district_and_search_still_finds_new_tickets_after_the_rebuild(
    empty_database: str,
) -> None:
    """0013: district becomes nullable; on SQLite the rebuilt table keeps its search triggers; down files 潞州区."""
    config = alembic_config(empty_database)
    command.upgrade(config, "0013")
    engine = make_engine(empty_database)
    with engine.begin() as connection:
        _store_ticket(connection, "CZ-20261130-0001", None, "路灯坏了好几天", datetime(2026, 11, 30))
    command.upgrade(config, "head")  # the queue reads through today's models
    admin = StaffUser(id=1, username="a", display_name="a", password_hash="x", role="admin")
    with make_session_factory(engine)() as session:
        assert ticket_queue.page(session, admin, ticket_queue.Filters(q="路灯坏了"), datetime(2026, 12, 1)).total == 1
    command.downgrade(config, "0012")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT district FROM tickets WHERE id = 1")) == "潞州区"
    engine.dispose()


def test_tickets_open_before_the_unread_count_arrived_count_as_seen_and_down_keeps_their_messages(
    empty_database: str,
) -> None:
    """0014: staff_seen_at starts at each ticket's last rider message; down drops it in place, rows intact."""
    config = alembic_config(empty_database)
    command.upgrade(config, "0013")
    engine = make_engine(empty_database)
    written = datetime(2026, 11, 29, 8, 0)
    with engine.begin() as connection:
        _store_ticket(connection, "CZ-20261129-0001", "潞州区", "押金不退", written, last_worker_message_at=written)
        connection.execute(
            text(
                "INSERT INTO ticket_messages (ticket_id, author, text, created_at) VALUES (1, 'worker', '押金不退', :t)"
            ),
            {"t": written},
        )
    command.upgrade(config, "0014")
    with engine.connect() as connection:
        seen = connection.scalar(text("SELECT staff_seen_at FROM tickets WHERE id = 1"))
        unread = connection.scalar(text("SELECT has_unread FROM tickets WHERE id = 1"))
    assert str(seen).startswith("2026-11-29 08:00") and not unread
    command.downgrade(config, "0013")
    with engine.connect() as connection:
        assert "staff_seen_at" not in {c["name"] for c in inspect(connection).get_columns("tickets")}
        assert connection.scalar(text("SELECT count(*) FROM ticket_messages WHERE ticket_id = 1")) == 1
    engine.dispose()


def test_the_review_inbox_tables_match_the_models_and_go_down_and_up_again(empty_database: str) -> None:
    """0015: the review inbox, rated answers, FAQ drafts and labelled examples; down drops them, keeping the FAQ."""
    ours = {"inbox_groups", "inbox_messages", "rated_answers", "faq_drafts", "labelled_examples"}
    migrate(empty_database)
    engine = make_engine(empty_database)

    def differences() -> list:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return [d for d in compare_metadata(context, Base.metadata) if ours & _names(d)]

    def tables() -> Set[str]:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())

    assert differences() == [] and ours <= tables()
    config = alembic_config(empty_database)
    command.downgrade(config, "0014")
    assert not ours & tables() and "faq_entries" in tables()
    command.upgrade(config, "head")
    assert differences() == [] and ours <= tables()
    engine.dispose()


def test_accounts_stored_before_gain_no_forced_password_change_and_down_keeps_them(empty_database: str) -> None:
    """0016: existing accounts must not change their password and have no login recorded; down drops both."""
    config = alembic_config(empty_database)
    command.upgrade(config, "0015")
    engine = make_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO staff_users (id, username, display_name, password_hash, role, district, active, "
                "created_at) VALUES (1, 'lz', '潞州小李', 'x', 'staff', '潞州区', true, :t)"
            ),
            {"t": datetime(2026, 11, 29)},
        )
    command.upgrade(config, "0016")
    with engine.connect() as connection:
        row = connection.execute(text("SELECT must_change_password, last_login_at FROM staff_users")).one()
    assert (bool(row[0]), row[1]) == (False, None)
    command.downgrade(config, "0015")
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("staff_users")}
        assert not {"must_change_password", "last_login_at"} & columns
        assert connection.scalar(text("SELECT username FROM staff_users WHERE id = 1")) == "lz"
    engine.dispose()


def test_faq_drafts_gain_their_ticket_once_and_lose_it_on_the_way_down(empty_database: str) -> None:
    """0017: faq_drafts.ticket_id with a unique index (one draft a ticket); down drops both."""
    config = alembic_config(empty_database)
    command.upgrade(config, "0017")
    engine = make_engine(empty_database)
    with engine.connect() as connection:
        inspector = inspect(connection)
        assert "ticket_id" in {c["name"] for c in inspector.get_columns("faq_drafts")}
        (index,) = [i for i in inspector.get_indexes("faq_drafts") if i["column_names"] == ["ticket_id"]]
        assert index["unique"]
    command.downgrade(config, "0016")
    with engine.connect() as connection:
        assert "ticket_id" not in {c["name"] for c in inspect(connection).get_columns("faq_drafts")}
    engine.dispose()


def test_faq_entries_stored_before_hold_city_wide_without_expiry_and_revisions_go_down_and_up(
    empty_database: str,
) -> None:
    """0018: an FAQ entry already stored gains no district, document, date or owner; content_revisions
    matches its model; down drops both and keeps the entry."""
    config = alembic_config(empty_database)
    command.upgrade(config, "0017")
    engine = make_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO faq_entries (id, question, variants, answer, tags, is_sample, updated_at) "
                "VALUES (1, '驿站收费吗', '', '免费', '', false, :t)"
            ),
            {"t": datetime(2026, 11, 29)},
        )
    command.upgrade(config, "0018")

    def differences() -> list:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return [
                d for d in compare_metadata(context, Base.metadata) if {"faq_entries", "content_revisions"} & _names(d)
            ]

    with engine.connect() as connection:
        row = connection.execute(text("SELECT district, policy_document, valid_until, owner FROM faq_entries")).one()
    assert tuple(row) == (None, "", None, "") and differences() == []
    command.downgrade(config, "0017")
    with engine.connect() as connection:
        assert "content_revisions" not in inspect(connection).get_table_names()
        columns = {c["name"] for c in inspect(connection).get_columns("faq_entries")}
        assert not {"district", "policy_document", "valid_until", "owner"} & columns
        assert connection.scalar(text("SELECT answer FROM faq_entries WHERE id = 1")) == "免费"
    engine.dispose()
