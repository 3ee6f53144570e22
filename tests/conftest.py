"""Fixtures shared by every tier: databases (SQLite and PostgreSQL), services, a fixed clock.

Unit tests of `core` run against real SQLite files and a real PostgreSQL schema
created for the session; nothing here imports Rasa.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import ContextManager, Iterator
from zoneinfo import ZoneInfo

import pytest

from core.cli import migrate
from core.clock import Clock
from core.content import loader
from core.db import scratch_schema
from core.services import Services
from core.settings import Settings
from tests import running

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
# Thursday 2026-11-26 14:00 in 长治 (06:00 UTC): stations open, programmes ahead.
FIXED_UTC = datetime(2026, 11, 26, 6, 0)
FIXED_TODAY = date(2026, 11, 26)


def fixed_clock() -> Clock:
    return Clock(ZoneInfo("Asia/Shanghai"), FIXED_UTC)


def settings_for(database_url: str, var_dir: Path) -> Settings:
    env = {
        "DATABASE_URL": database_url,
        "NUANXIN_VAR_DIR": str(var_dir),
        "NUANXIN_SECRET_KEY": "test-secret",
        "RASA_TOKEN": "test-token",
    }
    return Settings.from_env(env)


def make_services(database_url: str, var_dir: Path, load_content: bool = True) -> Services:
    migrate(database_url)
    services = Services.from_settings(settings_for(database_url, var_dir))
    services = replace(services, clock=fixed_clock())
    if load_content:
        services.transaction(lambda s: loader.load_initial(s, FIXED_TODAY))
    return services


@pytest.fixture(scope="session")
def fakes() -> Iterator[running.Fakes]:
    yield from running.start_fakes()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, fakes: running.Fakes) -> Iterator[running.RunningStack]:
    """The whole assistant as real processes, once per session."""
    yield from running.start_stack(tmp_path_factory, fakes)


@pytest.fixture(scope="session")
def sqlite_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated and loaded with the initial content once per session:
    each test gets a copy (migrating and loading again cost most of a unit test's time)."""
    folder = tmp_path_factory.mktemp("sqlite-content")
    path = folder / "nuanxin.db"
    make_services(f"sqlite:///{path}", folder).close()  # closing checkpoints the WAL into the file
    return path


def copied_services(content: Path, var_dir: Path, name: str = "nuanxin.db") -> Services:
    """Services on a fresh copy of the `sqlite_content` database, with the fixed clock."""
    path = var_dir / name
    shutil.copyfile(content, path)
    return replace(Services.from_settings(settings_for(f"sqlite:///{path}", var_dir)), clock=fixed_clock())


@pytest.fixture
def sqlite_services(tmp_path: Path, sqlite_content: Path) -> Iterator[Services]:
    services = copied_services(sqlite_content, tmp_path)
    yield services
    services.close()


def pg_schema(prefix: str) -> ContextManager[str]:
    """A PostgreSQL schema of its own on TEST_POSTGRES_URL's server, dropped afterwards."""
    return scratch_schema(PG_URL, prefix)


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL schema of its own for the session."""
    with pg_schema("nx_test") as url:
        yield url


@pytest.fixture(scope="session")
def pg_services(pg_schema_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = make_services(pg_schema_url, tmp_path_factory.mktemp("pg"))
    yield services
    services.close()


@pytest.fixture(params=["sqlite", "pg"])
def services(request: pytest.FixtureRequest) -> Services:
    """The same test against both databases."""
    return request.getfixturevalue(f"{request.param}_services")
