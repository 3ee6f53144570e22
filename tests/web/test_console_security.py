"""Console hardening: login throttling, sessions that end for good, the password policy and
known districts in the account forms, and Secure cookies behind HTTPS."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any, Dict, Optional

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, make_mocked_request
from sqlalchemy import select

from bot.console.auth import client_address, served_over_https, wait_text
from bot.web.app import create_app
from core.clock import Clock
from core.models import StaffUser
from core.services import Services
from tests.conftest import FIXED_UTC
from tests.web.conftest import PASSWORD, login

NEW_PASSWORD = "a new horse 2026"


async def _post_login(
    client: TestClient, username: str, password: str, headers: Optional[Dict[str, str]] = None
) -> ClientResponse:
    page = await client.get("/console/login", headers=headers)
    token = re.search(r'name="login_csrf" value="([^"]+)"', await page.text()).group(1)
    form = {"username": username, "password": password, "login_csrf": token, "next": "/console/"}
    return await client.post("/console/login", data=form, headers=headers, allow_redirects=False)


def _later(services: Services, seconds: float) -> None:
    services.clock = Clock(services.clock.zone, FIXED_UTC + timedelta(seconds=seconds))


async def _logged_in(client: TestClient) -> bool:
    response = await client.get("/console/", allow_redirects=False)
    return response.status == 200


@pytest.fixture
async def browser(aiohttp_client: Any, web_services: Services) -> TestClient:
    """A second browser on a second web worker of the same database."""
    return await aiohttp_client(create_app(web_services.settings, web_services))


async def _user_id(services: Services, username: str) -> int:
    return services.read(lambda s: s.scalars(select(StaffUser.id).where(StaffUser.username == username)).one())


# Login throttling ---------------------------------------------------------------------------


async def test_wrong_passwords_then_the_right_one_must_wait(client, web_services) -> None:
    """What was seen: 40 wrong console passwords in a row, then the right one, all accepted without delay."""
    for attempt in range(4):
        response = await _post_login(client, "lz", f"wrong password {attempt}")
        assert response.status == 401 and "用户名或密码不对" in await response.text()
    fifth = await _post_login(client, "lz", "wrong password 5")
    assert fifth.status == 401 and fifth.headers["Retry-After"] == "2"
    assert "用户名或密码不对。失败次数太多，请 2 秒后再试。" in await fifth.text()
    right = await _post_login(client, "lz", PASSWORD)
    assert right.status == 429 and right.headers["Retry-After"] == "2"
    assert "登录失败次数太多，请 2 秒后再试。" in await right.text()
    assert not await _logged_in(client)
    _later(web_services, 2)
    assert await login(client, "lz")


async def test_a_good_login_resets_the_accounts_count(client, web_services) -> None:
    for attempt in range(4):
        assert (await _post_login(client, "lz", f"wrong {attempt}")).status == 401
    assert await login(client, "lz")
    for attempt in range(4):
        response = await _post_login(client, "lz", f"wrong again {attempt}")
        assert response.status == 401 and "Retry-After" not in response.headers
    assert await login(client, "lz")


async def test_guesses_from_one_address_behind_the_proxy_slow_that_address_only(client, web_services) -> None:
    guesser, colleague = {"X-Forwarded-For": "198.51.100.7"}, {"X-Forwarded-For": "198.51.100.8"}
    for attempt in range(20):
        assert (await _post_login(client, f"nobody{attempt}", "guess", guesser)).status == 401
    assert (await _post_login(client, "lz", PASSWORD, guesser)).status == 429
    assert (await _post_login(client, "lz", PASSWORD, colleague)).status == 303


def test_forwarded_headers_count_only_from_the_local_proxy() -> None:
    proxied = make_mocked_request(
        "GET", "/console/login", headers={"X-Forwarded-For": "10.0.0.9, 198.51.100.7", "X-Forwarded-Proto": "https"}
    )
    assert client_address(proxied.clone(remote="127.0.0.1")) == "198.51.100.7"  # what nginx appended
    assert client_address(proxied.clone(remote="::1")) == "198.51.100.7"
    assert served_over_https(proxied.clone(remote="127.0.0.1"))
    assert client_address(proxied.clone(remote="203.0.113.5")) == "203.0.113.5"  # anyone else: not believed
    assert not served_over_https(proxied.clone(remote="203.0.113.5"))
    assert served_over_https(make_mocked_request("GET", "/").clone(scheme="https", remote="203.0.113.5"))
    assert not served_over_https(make_mocked_request("GET", "/").clone(remote="127.0.0.1"))


def test_waits_are_said_in_seconds_then_minutes() -> None:
    assert [wait_text(timedelta(seconds=s)) for s in (0.2, 2, 59, 60, 61, 900)] == [
        "1 秒",
        "2 秒",
        "59 秒",
        "1 分钟",
        "2 分钟",
        "15 分钟",
    ]


# Secure cookies ------------------------------------------------------------------------------


def _cookie_header(response: ClientResponse, name: str) -> str:
    return next(value for value in response.headers.getall("Set-Cookie") if value.startswith(f"{name}="))


async def test_cookies_are_secure_behind_https_and_still_work_over_plain_http(client) -> None:
    https = {"X-Forwarded-Proto": "https"}
    page = await client.get("/console/login", headers=https)
    assert "Secure" in _cookie_header(page, "nx_login")
    # A browser sends a Secure cookie back over HTTPS only; the test client talks plain http.
    token = re.search(r'name="login_csrf" value="([^"]+)"', await page.text()).group(1)
    form = {"username": "lz", "password": PASSWORD, "login_csrf": token, "next": "/console/"}
    headers = {**https, "Cookie": f"nx_login={page.cookies['nx_login'].value}"}
    response = await client.post("/console/login", data=form, headers=headers, allow_redirects=False)
    assert response.status == 303 and "Secure" in _cookie_header(response, "nx_console")
    plain = await client.get("/console/login")
    assert "Secure" not in _cookie_header(plain, "nx_login")
    response = await _post_login(client, "lz", PASSWORD)
    assert response.status == 303 and "Secure" not in _cookie_header(response, "nx_console")
    assert await _logged_in(client)  # localhost over http keeps working


# Sessions that end ---------------------------------------------------------------------------


async def _toggle(admin: TestClient, csrf: str, user_id: int) -> None:
    response = await admin.post(f"/console/admin/users/{user_id}/toggle", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303


async def test_a_re_enabled_accounts_old_sessions_stay_dead(client, browser, web_services) -> None:
    """What was seen: a re-enabled account's old sessions work again."""
    assert await login(client, "lz")
    csrf = await login(browser, "admin")
    lz = await _user_id(web_services, "lz")
    await _toggle(browser, csrf, lz)
    assert not await _logged_in(client)
    await _toggle(browser, csrf, lz)
    assert not await _logged_in(client)
    assert await login(client, "lz") and await _logged_in(client)


async def test_an_admin_password_reset_ends_the_accounts_sessions(client, browser, web_services) -> None:
    assert await login(client, "lz")
    csrf = await login(browser, "admin")
    lz = await _user_id(web_services, "lz")
    form = {"csrf": csrf, "password": NEW_PASSWORD}
    response = await browser.post(f"/console/admin/users/{lz}/password", data=form, allow_redirects=False)
    assert response.status == 303
    assert not await _logged_in(client)
    assert await login(client, "lz") is None
    assert await login(client, "lz", NEW_PASSWORD)


async def test_an_admin_reset_to_a_weak_password_is_refused_with_the_reason(client, browser, web_services) -> None:
    assert await login(client, "lz")
    csrf = await login(browser, "admin")
    lz = await _user_id(web_services, "lz")
    response = await browser.post(f"/console/admin/users/{lz}/password", data={"csrf": csrf, "password": "aaaaaaaaaa"})
    assert response.status == 400 and "密码不能只用一类字符" in await response.text()
    assert await _logged_in(client)


async def test_changing_ones_own_password_logs_out_every_other_browser(client, browser, web_services) -> None:
    assert await login(browser, "lz")
    csrf = await login(client, "lz")
    form = {"csrf": csrf, "current": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    response = await client.post("/console/account/password", data=form)
    assert response.status == 200 and "密码已修改" in await response.text()
    assert await _logged_in(client) and not await _logged_in(browser)
    assert await login(browser, "lz", NEW_PASSWORD)


@pytest.mark.parametrize(
    "current, new, again, reason",
    [
        ("not my password", NEW_PASSWORD, NEW_PASSWORD, "当前密码不对"),
        (PASSWORD, NEW_PASSWORD, "something else 1", "两次输入的新密码不一样"),
        (PASSWORD, "1111111111", "1111111111", "密码不能只用一类字符"),
    ],
)
async def test_a_refused_change_says_why_and_changes_nothing(client, current, new, again, reason) -> None:
    csrf = await login(client, "lz")
    form = {"csrf": csrf, "current": current, "password": new, "password_again": again}
    response = await client.post("/console/account/password", data=form)
    assert response.status == 400 and reason in await response.text()
    assert await _logged_in(client)
    assert await login(client, "lz", PASSWORD)


async def test_a_disabled_accounts_live_feed_ends(client, browser, web_services) -> None:
    assert await login(client, "lz")
    feed = await client.get("/console/events?after=0", headers={"Accept": "text/event-stream"})
    assert feed.status == 200
    csrf = await login(browser, "admin")
    await _toggle(browser, csrf, await _user_id(web_services, "lz"))
    await asyncio.wait_for(feed.content.read(), timeout=10)  # the server ends the stream
    assert feed.content.at_eof()


# Account forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"password": "aaaaaaaaaa"}, "密码不能只用一类字符"),
        ({"password": "Password123"}, "这个密码太常见"),
        ({"password": "hgstaff-Secret-2026"}, "密码不能包含用户名"),
        ({"district": "NoSuchDistrict"}, "没有“NoSuchDistrict”这个区县"),
        ({"role": "admin", "district": "NoSuchDistrict"}, "没有“NoSuchDistrict”这个区县"),
    ],
)
async def test_the_account_form_refuses_weak_passwords_and_unknown_districts(client, web_services, fields, reason):
    """What was seen: passwords like aaaaaaaaaa and a district NoSuchDistrict were accepted."""
    csrf = await login(client, "admin")
    form = {"username": "hgstaff", "password": "long enough pw", "role": "staff", "district": "壶关县", "csrf": csrf}
    response = await client.post("/console/admin/users", data={**form, **fields})
    assert response.status == 400 and reason in await response.text()
    named = select(StaffUser).where(StaffUser.username == "hgstaff")
    assert web_services.read(lambda s: s.scalars(named).first()) is None
