"""The console's assignment, 待分派 queue, deadline reminder and rider history (issue 14, points 3, 4, 6)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from core import tickets
from core.services import Services
from core.workers import WorkerRef
from tests.conftest import FIXED_UTC
from tests.web.conftest import login, new_ticket


async def test_staff_take_a_ticket_and_the_reassignment_reads_in_chinese(
    client: TestClient, web_services: Services
) -> None:
    ticket = new_ticket(web_services, "r1", "站点扣我押金")
    csrf = await login(client, "lz")
    unassigned = await (await client.get("/console/?unassigned=1")).text()
    assert ticket.number in unassigned
    await client.post(f"/console/tickets/{ticket.id}/assign", data={"csrf": csrf, "assignee": "2"})
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    assert '<dd id="assignee">潞州小李</dd>' in page
    assert "分派给 未分派→潞州小李" in page
    assert ticket.number in await (await client.get("/console/?mine=1")).text()
    assert ticket.number not in await (await client.get("/console/?unassigned=1")).text()


async def test_another_districts_member_can_neither_be_given_nor_give_a_ticket(
    client: TestClient, web_services: Services
) -> None:
    ticket = new_ticket(web_services, "r1", "站点扣我押金")
    csrf = await login(client, "lz")
    refused = await client.post(f"/console/tickets/{ticket.id}/assign", data={"csrf": csrf, "assignee": "3"})
    assert refused.status == 409 and "只能分派给本区县的在岗工作人员。" in await refused.text()
    await client.post("/console/logout", data={"csrf": csrf})
    csrf = await login(client, "tl")
    outside = await client.post(f"/console/tickets/{ticket.id}/assign", data={"csrf": csrf, "assignee": "3"})
    assert outside.status == 403
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    assert "潞州小李" not in page


async def test_a_ticket_without_a_district_waits_for_city_staff(client: TestClient, web_services: Services) -> None:
    ticket = new_ticket(web_services, "r1", "路灯坏了", district=None)
    csrf = await login(client, "lz")
    assert ticket.number not in await (await client.get("/console/")).text()
    await client.post("/console/logout", data={"csrf": csrf})
    csrf = await login(client, "admin")
    waiting = await (await client.get("/console/?dispatch=1")).text()
    assert ticket.number in waiting and "<td>待分派</td>" in waiting
    await client.post(f"/console/tickets/{ticket.id}/transfer", data={"csrf": csrf, "district": "屯留区"})
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    assert "分派到区县 待分派→屯留区" in page
    assert ticket.number not in await (await client.get("/console/?dispatch=1")).text()


async def test_the_header_counts_tickets_due_within_the_hour_and_the_citys_overdue(
    client: TestClient, web_services: Services
) -> None:
    # report_issue must be answered within 2 hours: opened 90 minutes ago it is due in 30; 3 hours ago, overdue.
    opened_before(web_services, "r1", "潞州区", timedelta(minutes=90))
    opened_before(web_services, "r2", "屯留区", timedelta(minutes=90))
    opened_before(web_services, "r3", "屯留区", timedelta(hours=3))
    csrf = await login(client, "lz")
    queue = await (await client.get("/console/")).text()
    assert "本区 1 小时内到期 1 件" in queue and "全市超时" not in queue
    assert '<strong class="soon">即将到期</strong>' in queue
    await client.post("/console/logout", data={"csrf": csrf})
    await login(client, "admin")
    queue = await (await client.get("/console/")).text()
    assert "全市 1 小时内到期 2 件" in queue and "全市超时 1 件" in queue


def opened_before(services: Services, sender: str, district: str, ago: timedelta) -> None:
    request = tickets.NewRequest(WorkerRef("rest", sender), "report_issue", "井盖丢了", district)
    rules = tickets.deadline_rules.parse()
    when = FIXED_UTC - ago
    services.transaction(lambda s: tickets.open_ticket(s, request, when, when.date(), rules))


async def test_the_ticket_page_lists_the_riders_other_tickets_with_their_outcome(
    client: TestClient, web_services: Services
) -> None:
    earlier = new_ticket(web_services, "r1", "押金 13912344321", intent="report_issue")
    current = new_ticket(web_services, "r1", "站点欠我工资")
    new_ticket(web_services, "r1", "屯留的事", district="屯留区", intent="make_suggestion")
    await login(client, "lz")
    page = await (await client.get(f"/console/tickets/{current.id}")).text()
    history = page[page.index('id="history"') : page.index("这位骑手的报名")]
    assert earlier.number in history and "待受理" in history and "139****4321" in history
    assert "屯留的事" not in history and "13912344321" not in history
    assert "没有报名记录" in page
