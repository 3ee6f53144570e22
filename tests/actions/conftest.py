"""Fixtures for the action tests: the domain, a dispatcher whose messages are checked against it,
and the action server's services on a SQLite copy of the sample content.

As in RasaHQ/financial-demo's tests, an action is run alone: a rasa_sdk `Tracker`, a
`CollectingDispatcher`, the domain as Rasa sends it; no model, no server. The content is
loaded once per session (`tests.conftest.make_services`) and each test gets its own copy of
the database file, so a test that books or opens a ticket sees nobody else's.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from core.services import Services
from tests.actions.trackers import DOMAIN, check_against_domain
from tests.conftest import fixed_clock, make_services, settings_for


@pytest.fixture(scope="session")
def content_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with the migrations and the sample content, built once."""
    folder = tmp_path_factory.mktemp("actions-content")
    path = folder / "nuanxin.db"
    make_services(f"sqlite:///{path}", folder).close()  # closing checkpoints the WAL into the file
    return path


def services_on(url: str, var_dir: Path) -> Services:
    return replace(Services.from_settings(settings_for(url, var_dir)), clock=fixed_clock())


@pytest.fixture
def core(content_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """The services every action reaches through `actions.runtime.services()`, on this test's copy."""
    path = tmp_path / "nuanxin.db"
    shutil.copyfile(content_db, path)
    services = services_on(f"sqlite:///{path}", tmp_path)
    monkeypatch.setattr(runtime, "from_environment", lambda: services)
    yield services
    services.close()


@pytest.fixture
def no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """Services whose database cannot be opened (its folder does not exist)."""
    services = services_on(f"sqlite:///{tmp_path / 'missing' / 'nuanxin.db'}", tmp_path)
    monkeypatch.setattr(runtime, "from_environment", lambda: services)
    yield services
    services.close()


@pytest.fixture
def domain() -> dict:
    return DOMAIN


@pytest.fixture
def dispatcher() -> Iterator[CollectingDispatcher]:
    """A dispatcher; afterwards, every response it was given must exist with all its variables."""
    collecting = CollectingDispatcher()
    yield collecting
    check_against_domain(collecting.messages)
