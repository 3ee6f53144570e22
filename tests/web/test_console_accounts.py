"""Accounts in the console: name, role and district edited with the reason beside the field, a reset
password that its owner must change at the next login, the last login shown; in Chinese."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.web.app import create_app
from core.models import AuditEvent, StaffUser
from core.services import Services
from tests.web.conftest import PASSWORD, csrf_of, login
from tests.web.test_console_chinese import ENGLISH, visible

TEMPORARY = "temporary horse 2026"
OWN = "my own horse 2026"


@pytest.fixture
async def browser(aiohttp_client: Any, web_services: Services) -> TestClient:
    """The staff member's own browser, beside the admin's."""
    return await aiohttp_client(create_app(web_services.settings, web_services))


def _user(services: Services, username: str) -> StaffUser:
    return services.read(lambda s: s.scalars(select(StaffUser).where(StaffUser.username == username)).one())


async def _logged_in(client: TestClient) -> bool:
    response = await client.get("/console/", allow_redirects=False)
    return response.status == 200


def beside(html: str, field: str) -> str:
    """The refusal shown right after the form field `field` (empty if none)."""
    after = html.split(f'name="{field}"', 1)[1].split("</label>", 1)[1]
    match = re.match(r'\s*<span class="error field-error"[^>]*>(.*?)</span>', after)
    return match.group(1) if match else ""


async def test_an_admin_edits_name_role_and_district_and_the_staff_members_sessions_end(
    client, browser, web_services
) -> None:
    assert await login(browser, "lz")
    csrf = await login(client, "admin")
    lz = _user(web_services, "lz").id
    form = {"csrf": csrf, "display_name": "李明", "role": "staff", "district": "屯留区"}
    response = await client.post(f"/console/admin/users/{lz}", data=form)
    assert response.status == 200 and str(response.url).endswith(f"/console/admin/users/{lz}?done=saved")
    assert "已保存" in visible(await response.text())
    stored = _user(web_services, "lz")
    assert (stored.display_name, stored.role, stored.district) == ("李明", "staff", "屯留区")
    assert not await _logged_in(browser)  # the 潞州区 queue it had open is closed
    details = web_services.read(
        lambda s: s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "account_updated")).all()
    )
    assert details == ["account:lz display_name:潞州小李→李明", "account:lz district:潞州区→屯留区"]
    listing = visible(await (await client.get("/console/admin/users")).text())
    assert "lz\n李明\n工作人员\n屯留区\n在用" in listing


@pytest.mark.parametrize(
    ("form", "field", "reason"),
    [
        ({"role": "staff", "district": ""}, "district", "工作人员必须选一个区县；管理员看全市，不选区县"),
        ({"role": "staff", "district": "海淀区"}, "district", "没有“海淀区”这个区县"),
        ({"role": "boss", "district": "潞州区"}, "role", "角色只能是工作人员或管理员"),
        ({"role": "staff", "district": "潞州区", "display_name": "长" * 41}, "display_name", "姓名不能超过 40 个字"),
    ],
)
async def test_a_refused_edit_shows_the_reason_beside_the_field_and_changes_nothing(
    client, web_services, form, field, reason
) -> None:
    csrf = await login(client, "admin")
    lz = _user(web_services, "lz").id
    response = await client.post(f"/console/admin/users/{lz}", data={"csrf": csrf, "display_name": "李明", **form})
    page = await response.text()
    assert response.status == 400 and beside(page, field).startswith(reason)
    assert [f for f in ("display_name", "role", "district") if beside(page, f)] == [field]
    if field != "display_name":
        assert 'name="display_name" value="李明"' in page  # what the admin typed is kept
    stored = _user(web_services, "lz")
    assert (stored.display_name, stored.role, stored.district) == ("潞州小李", "staff", "潞州区")


async def test_an_admin_can_neither_demote_nor_disable_themself(client, web_services) -> None:
    csrf = await login(client, "admin")
    me = _user(web_services, "admin").id
    form = {"csrf": csrf, "display_name": "管理员", "role": "staff", "district": "潞州区"}
    demoted = await client.post(f"/console/admin/users/{me}", data=form)
    assert demoted.status == 400 and beside(await demoted.text(), "role").startswith("不能取消自己的管理员身份")
    disabled = await client.post(f"/console/admin/users/{me}/toggle", data={"csrf": csrf})
    assert disabled.status == 400 and "不能停用自己的账号" in visible(await disabled.text())
    assert (_user(web_services, "admin").role, _user(web_services, "admin").active) == ("admin", True)
    assert await _logged_in(client)


async def test_after_a_reset_the_staff_member_must_set_a_new_password_before_anything_else(
    client, browser, web_services
) -> None:
    assert await login(browser, "lz")
    csrf = await login(client, "admin")
    lz = _user(web_services, "lz").id
    reset = await client.post(f"/console/admin/users/{lz}/password", data={"csrf": csrf, "password": TEMPORARY})
    assert reset.status == 200 and "必须先设置自己的新密码" in visible(await reset.text())
    assert not await _logged_in(browser)  # the reset ended the open session
    assert "等本人改密码" in visible(await (await client.get("/console/admin/users")).text())

    assert await login(browser, "lz", PASSWORD) is None
    landed = await browser.get("/console/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', await landed.text()).group(1)
    form = {"username": "lz", "password": TEMPORARY, "login_csrf": token, "next": "/console/metrics"}
    response = await browser.post("/console/login", data=form)
    page = await response.text()
    assert str(response.url).endswith("/console/account/password")
    assert "管理员重置了您的密码。请先设置一个只有您自己知道的新密码" in visible(page)
    own_csrf = csrf_of(page)
    elsewhere = await browser.get("/console/metrics", allow_redirects=False)
    assert elsewhere.status == 303 and elsewhere.headers["Location"] == "/console/account/password"
    refused = await browser.post("/console/admin/canned", data={"csrf": own_csrf, "title": "t", "text": "x"})
    assert refused.status == 403 and "请先设置一个新密码再继续" in visible(await refused.text())

    change = {"csrf": own_csrf, "current": TEMPORARY, "password": OWN, "password_again": OWN}
    changed = await browser.post("/console/account/password", data=change)
    assert changed.status == 200 and "密码已修改" in visible(await changed.text())
    assert await _logged_in(browser)
    assert not _user(web_services, "lz").must_change_password


async def test_the_accounts_page_shows_each_last_login_in_chinese(client, browser, web_services) -> None:
    assert await login(browser, "lz")
    assert await login(client, "admin")
    page = await (await client.get("/console/admin/users")).text()
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    rows = {visible(row[0]): [visible(cell) for cell in row[1:]] for row in cells if row}
    assert rows["lz"][:5] == ["潞州小李", "工作人员", "潞州区", "在用", "11-26 14:00"]  # 06:00 UTC is 14:00 in 长治
    assert rows["admin"][1:3] == ["管理员", "全市"]
    assert rows["tl"][4] == "从未登录"
    assert not ENGLISH.search(visible(page))
    member = await (await client.get(f"/console/admin/users/{_user(web_services, 'lz').id}")).text()
    assert "最近登录\n11-26 14:00" in visible(member) and not ENGLISH.search(visible(member))
