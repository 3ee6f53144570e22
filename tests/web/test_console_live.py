"""The live ticket page and forms sent without a reload (issue 14, points 1 and 7), over HTTP.

The browser tests (tests/browser/test_console_live_e2e.py) drive the same through Chromium;
these pin the protocol: the thread's events, the JSON answers and the unread count.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any, Dict, List, Tuple

from sqlalchemy import func, select

from core import ticket_queue, tickets
from core.models import StaffUser, Ticket, TicketMessage
from tests.conftest import FIXED_UTC
from tests.web.conftest import login, new_ticket

JSON = {"Accept": "application/json"}


async def events_until(response: Any, done, timeout: float = 10) -> List[Tuple[str, Dict[str, Any]]]:
    """Read server-sent events until `done(events)` holds."""
    buffer, events = b"", []
    while not done(events):
        chunk = await asyncio.wait_for(response.content.readany(), timeout=timeout)
        assert chunk, f"the stream ended after {[name for name, _ in events]}"
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.decode().splitlines() if ": " in line)
            if "event" in fields:
                events.append((fields["event"], json.loads(fields["data"])))
    return events


def add_rider_message(services, ticket: Ticket, text: str) -> None:
    """The rider writes a minute after the ticket was opened."""
    later = FIXED_UTC + timedelta(minutes=1)
    services.transaction(lambda s: tickets.add_worker_message(s, s.get(Ticket, ticket.id), text, later))


async def test_a_rider_message_and_a_colleagues_reply_reach_the_open_ticket_page(client, web_services) -> None:
    ticket = new_ticket(web_services, "live-thread", "押金不退")
    csrf = await login(client, "lz")
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    after = page.split(f"/console/tickets/{ticket.id}/events?after=", 1)[1].split('"', 1)[0]
    async with client.get(f"/console/tickets/{ticket.id}/events?after={after}") as feed:
        await _a_rider_message_and_a_reply_arrive(feed, client, web_services, ticket, csrf)


async def _a_rider_message_and_a_reply_arrive(feed, client, web_services, ticket, csrf) -> None:
    first = await events_until(feed, lambda e: any(name == "status" for name, _ in e))
    assert [name for name, _ in first] == ["status"] and first[0][1]["open"] and "待受理" in first[0][1]["heading"]

    add_rider_message(web_services, ticket, "站长说下周才退")
    lines = await events_until(feed, lambda e: any(name == "line" for name, _ in e))
    (line,) = [data for name, data in lines if name == "line"]
    assert line["author"] == "worker" and "站长说下周才退" in line["html"]

    answered = await client.post(
        f"/console/tickets/{ticket.id}/reply",
        data={"csrf": csrf, "text": "已联系站长", "request_key": "k1"},
        headers=JSON,
    )
    answer = await answered.json()
    assert answered.status == 200 and answer["ok"] and answer["request_key"] not in ("", "k1")
    news = await events_until(feed, lambda e: {"line", "status"} <= {name for name, _ in e})
    reply_line = next(data for name, data in news if name == "line")
    status = [data for name, data in news if name == "status"][-1]
    assert reply_line["author"] == "staff" and "已联系站长" in reply_line["html"]
    assert "已答复" in status["heading"] and "潞州小李" in status["facts"]


async def test_a_refusal_comes_back_as_json_in_chinese_and_a_form_post_still_redirects(client, web_services) -> None:
    ticket = new_ticket(web_services, "live-json", "押金不退")
    csrf = await login(client, "lz")
    empty = await client.post(f"/console/tickets/{ticket.id}/reply", data={"csrf": csrf, "text": " "}, headers=JSON)
    assert empty.status == 409 and (await empty.json()) == {"error": "回复不能为空。"}
    posted = await client.post(f"/console/tickets/{ticket.id}/claim", data={"csrf": csrf}, allow_redirects=False)
    assert posted.status == 303 and posted.headers["Location"] == f"/console/tickets/{ticket.id}"
    away = await client.post(
        f"/console/tickets/{ticket.id}/transfer", data={"csrf": csrf, "district": "屯留区"}, headers=JSON
    )
    assert (await away.json()) == {"ok": True, "redirect": "/console/"}


async def test_the_queue_counts_unread_tickets_live_and_the_page_marks_what_it_showed(client, web_services) -> None:
    csrf = await login(client, "lz")
    ticket = new_ticket(web_services, "live-unread", "押金不退")
    queue = await (await client.get("/console/")).text()
    assert "<title>(1) 工单" in queue and 'data-count="1"' in queue

    def unread(events):
        return [data for name, data in events if name == "unread"]

    async with client.get("/console/events?after=0") as feed:
        assert unread(await events_until(feed, unread)) == [{"count": 1, "ids": [ticket.id]}]
        await client.get(f"/console/tickets/{ticket.id}")  # opening it: seen
        assert unread(await events_until(feed, unread)) == [{"count": 0, "ids": []}]
        add_rider_message(web_services, ticket, "还在吗")
        assert unread(await events_until(feed, unread)) == [{"count": 1, "ids": [ticket.id]}]

    newest = select(func.max(TicketMessage.id)).where(TicketMessage.ticket_id == ticket.id)
    last = web_services.read(lambda s: s.scalar(newest))
    seen = await client.post(f"/console/tickets/{ticket.id}/seen", data={"csrf": csrf, "message_id": str(last)})
    assert seen.status == 200
    viewer = web_services.read(lambda s: s.query(StaffUser).filter_by(username="lz").one())
    assert web_services.read(lambda s: ticket_queue.unread_count(s, viewer)) == 0
    bad = await client.post(f"/console/tickets/{ticket.id}/seen", data={"csrf": csrf}, headers=JSON)
    assert bad.status == 404 and (await bad.json())["error"]  # in Chinese, as on the error page


async def test_a_ticket_that_leaves_the_viewers_district_ends_its_live_page(client, web_services) -> None:
    ticket = new_ticket(web_services, "live-gone", "押金不退")
    await login(client, "lz")
    admin = web_services.read(lambda s: s.query(StaffUser).filter_by(username="admin").one())
    async with client.get(f"/console/tickets/{ticket.id}/events?after=0") as feed:
        await events_until(feed, lambda e: any(name == "status" for name, _ in e))
        web_services.transaction(
            lambda s: tickets.transfer(s, s.get(Ticket, ticket.id), s.get(StaffUser, admin.id), "屯留区", FIXED_UTC)
        )
        assert (await events_until(feed, lambda e: any(name == "gone" for name, _ in e)))[-1][0] == "gone"
        await asyncio.wait_for(feed.content.read(), timeout=10)  # the server ends the stream
        assert feed.content.at_eof()
