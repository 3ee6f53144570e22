"""Alembic migrations that rewrite data, on a database that already holds it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List, Set, Tuple

import pytest
from alembic import command
from sqlalchemy import inspect, text

from core import geo
from core.cli import alembic_config, migrate
from core.content import loader
from core.db import make_engine, make_session_factory
from tests.conftest import FIXED_TODAY, pg_schema


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
