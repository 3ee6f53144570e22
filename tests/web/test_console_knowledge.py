"""转为知识 from the ticket page (issue 13, point 6): staff turn a resolved ticket's answer into an FAQ draft."""

from __future__ import annotations

import re

from tests.web.conftest import login, new_ticket


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


async def test_a_resolved_tickets_answer_becomes_a_draft_the_admin_finds_in_the_inbox(client, web_services) -> None:
    ticket = new_ticket(web_services, "knowledge", "押金什么时候退 电话13912344321")
    csrf = await login(client, "lz")
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    assert 'id="to-knowledge"' not in page  # not before 办结
    for action, data in (("reply", {"text": "押金七个工作日内原路退回", "request_key": "k"}), ("resolve", {})):
        assert (await client.post(f"/console/tickets/{ticket.id}/{action}", data={"csrf": csrf, **data})).status == 200
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    assert 'id="to-knowledge"' in page
    assert (await client.post(f"/console/tickets/{ticket.id}/knowledge", data={"csrf": csrf})).status == 200
    page = visible(await (await client.get(f"/console/tickets/{ticket.id}")).text())
    assert "已转为知识草稿，等管理员修改后发布" in page and "转为知识草稿 #" in page

    await client.post("/console/logout", data={"csrf": csrf})
    await login(client, "admin")
    inbox = await (await client.get("/console/admin/inbox")).text()
    assert "押金七个工作日内原路退回" in inbox and "139****4321" in inbox and "13912344321" not in inbox


async def test_an_open_ticket_is_refused_in_chinese(client, web_services) -> None:
    ticket = new_ticket(web_services, "knowledge-open", "押金不退")
    csrf = await login(client, "lz")
    refused = await client.post(
        f"/console/tickets/{ticket.id}/knowledge", data={"csrf": csrf}, headers={"Accept": "application/json"}
    )
    assert refused.status == 409 and (await refused.json())["error"].startswith("办结之后才能转为知识")
