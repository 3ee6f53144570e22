"""The web app in-process (aiohttp's test client) on a real SQLite database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, AsyncIterator, Optional

import pytest
from aiohttp.test_utils import TestClient

from bot.web.app import create_app
from core import staff, tickets
from core.services import Services
from core.workers import WorkerRef
from tests.conftest import FIXED_TODAY, FIXED_UTC, copied_services

PASSWORD = "correct horse battery"


@pytest.fixture
def web_services(tmp_path: Path, sqlite_content: Path) -> Services:
    services = copied_services(sqlite_content, tmp_path, "web.db")
    services.transaction(lambda s: staff.create_user(s, "admin", PASSWORD, "admin", None, "管理员"))
    services.transaction(lambda s: staff.create_user(s, "lz", PASSWORD, "staff", "潞州区", "潞州小李"))
    services.transaction(lambda s: staff.create_user(s, "tl", PASSWORD, "staff", "屯留区", "屯留小王"))
    yield services
    services.close()


@pytest.fixture
async def client(aiohttp_client: Any, web_services: Services) -> AsyncIterator[TestClient]:
    yield await aiohttp_client(create_app(web_services.settings, web_services))


def new_ticket(services: Services, sender: str, description: str, district: str = "潞州区", **kw: Any) -> Any:
    request = tickets.NewRequest(
        WorkerRef("rest", sender), kw.pop("intent", "request_human"), description, district, **kw
    )
    rules = tickets.deadline_rules.parse()
    return services.transaction(lambda s: tickets.open_ticket(s, request, FIXED_UTC, FIXED_TODAY, rules))


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(client: TestClient, username: str, password: str = PASSWORD) -> Optional[str]:
    """Log in like a browser; returns the CSRF token of the session's pages."""
    page = await client.get("/console/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', await page.text()).group(1)
    response = await client.post(
        "/console/login", data={"username": username, "password": password, "login_csrf": token, "next": "/console/"}
    )
    if response.status != 200 or "/console/login" in str(response.url):
        return None
    return csrf_of(await response.text())
