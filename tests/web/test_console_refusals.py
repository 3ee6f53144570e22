"""What the console's session middleware answers when it refuses: a login page for a browser,
a 401 for a live feed or a form, a page that says why for a missing CSRF token; and the
token accepted from the X-CSRF-Token header that the console's scripts send."""

from __future__ import annotations

from sqlalchemy import select

from core.models import TicketMessage
from tests.web.conftest import login, new_ticket

EXPIRED = "页面已过期，请刷新后再试一次。"
LOG_IN_FIRST = "请先登录。"


async def test_a_browser_without_a_session_is_sent_to_the_login_page_and_back(client) -> None:
    response = await client.get("/console/tickets/1", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/console/login?next=/console/tickets/1"


async def test_a_live_feed_without_a_session_is_a_401_not_a_login_page(client) -> None:
    response = await client.get(
        "/console/events?after=0", headers={"Accept": "text/event-stream"}, allow_redirects=False
    )
    assert response.status == 401 and LOG_IN_FIRST in await response.text()


async def test_a_form_posted_without_a_session_is_a_401_that_says_so(client, web_services) -> None:
    ticket = new_ticket(web_services, "no-session", "没登录就想答复")
    response = await client.post(f"/console/tickets/{ticket.id}/note", data={"text": "x"}, allow_redirects=False)
    assert response.status == 401 and LOG_IN_FIRST in await response.text()


async def test_a_form_without_its_token_is_refused_with_the_reason(client, web_services) -> None:
    ticket = new_ticket(web_services, "no-token", "站点欠薪")
    assert await login(client, "lz")
    response = await client.post(f"/console/tickets/{ticket.id}/note", data={"text": "无令牌"})
    assert response.status == 403 and EXPIRED in await response.text()


async def test_the_token_may_come_in_the_header_the_scripts_send(client, web_services) -> None:
    ticket = new_ticket(web_services, "header-token", "站点欠薪")
    csrf = await login(client, "lz")
    response = await client.post(
        f"/console/tickets/{ticket.id}/note", data={"text": "头里的令牌"}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 200
    wrong = await client.post(
        f"/console/tickets/{ticket.id}/note", data={"text": "错的令牌"}, headers={"X-CSRF-Token": csrf + "x"}
    )
    assert wrong.status == 403
    with web_services.session_factory() as session:
        notes = session.scalars(select(TicketMessage.text).where(TicketMessage.ticket_id == ticket.id)).all()
    assert "头里的令牌" in notes and "错的令牌" not in notes
