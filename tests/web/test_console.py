"""The staff console: login, CSRF, district scope, escaping, masking, the ticket workflow, admin."""

from __future__ import annotations

import asyncio
import json

from aiohttp import FormData
from sqlalchemy import select

from core import tickets
from core.models import AuditEvent, FaqEntry, OutboxMessage, QueuedReply, Ticket
from core.workers import WorkerRef
from tests.conftest import FIXED_UTC
from tests.fakes.telegram_api import JPEG
from tests.web.conftest import login, new_ticket

XSS = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'


async def test_pages_need_a_login(client) -> None:
    response = await client.get("/console/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/console/login")


async def test_a_wrong_password_is_refused(client) -> None:
    assert await login(client, "lz", "not the password") is None
    assert await login(client, "nobody") is None


async def test_forms_without_the_csrf_token_are_refused(client, web_services) -> None:
    ticket = new_ticket(web_services, "csrf-w", "站点欠薪")
    assert await login(client, "lz")
    response = await client.post(f"/console/tickets/{ticket.id}/reply", data={"text": "hi", "request_key": "k"})
    assert response.status == 403
    response = await client.post(f"/console/tickets/{ticket.id}/reply", data={"text": "hi", "csrf": "forged"})
    assert response.status == 403
    with web_services.session_factory() as session:
        assert session.get(Ticket, ticket.id).state == "new"


async def test_the_login_form_itself_is_protected(client) -> None:
    response = await client.post("/console/login", data={"username": "lz", "password": "x", "login_csrf": "forged"})
    assert response.status == 403


async def test_staff_see_only_their_districts_tickets(client, web_services) -> None:
    mine = new_ticket(web_services, "scope-1", "潞州区的事", "潞州区")
    theirs = new_ticket(web_services, "scope-2", "屯留区的事", "屯留区")
    assert await login(client, "lz")
    queue = await (await client.get("/console/")).text()
    assert mine.number in queue and theirs.number not in queue
    assert (await client.get(f"/console/tickets/{theirs.id}")).status == 403
    assert (await client.get(f"/console/tickets/{mine.id}")).status == 200


async def test_admins_see_every_district(client, web_services) -> None:
    a = new_ticket(web_services, "adm-1", "一", "潞州区")
    b = new_ticket(web_services, "adm-2", "二", "屯留区")
    assert await login(client, "admin")
    queue = await (await client.get("/console/")).text()
    assert a.number in queue and b.number in queue


async def test_worker_text_is_escaped_everywhere(client, web_services) -> None:
    ticket = new_ticket(web_services, "xss", XSS, place_text=XSS)
    assert await login(client, "lz")
    for page in ("/console/", f"/console/tickets/{ticket.id}", "/console/metrics"):
        html = await (await client.get(page)).text()
        assert "<script>document.title" not in html and "<img src=x" not in html, page
    html = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    assert "&lt;script&gt;document.title" in html
    csp = (await client.get("/console/")).headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


async def test_personal_data_masked_in_lists_full_on_the_ticket_page_and_the_view_audited(client, web_services) -> None:
    ticket = new_ticket(
        web_services, "pii-sender-123", "我叫王大明 电话13812345678 站点欠薪", lat=36.19543, lon=113.11621
    )
    assert await login(client, "lz")
    queue = await (await client.get("/console/")).text()
    assert "138****5678" in queue and "13812345678" not in queue and "王大明" not in queue
    assert "pii-sender-123" not in queue
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    assert "13812345678" in page and "36.19543" in page
    with web_services.session_factory() as session:
        views = session.scalars(
            select(AuditEvent).where(AuditEvent.ticket_id == ticket.id, AuditEvent.action == "viewed_personal_data")
        ).all()
        assert [v.actor for v in views] == ["staff:lz"]


async def test_reply_claim_transfer_resolve(client, web_services) -> None:
    ticket = new_ticket(web_services, "flow", "押金不退")
    csrf = await login(client, "lz")
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    request_key = page.split('name="request_key" value="')[1].split('"')[0]
    reply = {"text": "您好，已联系站点，三天内退还。", "csrf": csrf, "request_key": request_key}
    assert (await client.post(f"/console/tickets/{ticket.id}/reply", data=reply)).status == 200
    again = await client.post(f"/console/tickets/{ticket.id}/reply", data=reply)  # a double click
    assert again.status == 409
    with web_services.session_factory() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
        assert [json.loads(r.payload)["text"] for r in rows] == ["您好，已联系站点，三天内退还。"]
        assert session.get(Ticket, ticket.id).state == "answered"
    await client.post(f"/console/tickets/{ticket.id}/note", data={"text": "内部：站长已答应", "csrf": csrf})
    assert (await client.post(f"/console/tickets/{ticket.id}/resolve", data={"csrf": csrf})).status == 200
    with web_services.session_factory() as session:
        assert session.get(Ticket, ticket.id).state == "resolved"


async def test_transfer_moves_the_ticket_out_of_scope(client, web_services) -> None:
    ticket = new_ticket(web_services, "move", "井盖没了", intent="report_issue")
    csrf = await login(client, "lz")
    response = await client.post(f"/console/tickets/{ticket.id}/transfer", data={"district": "屯留区", "csrf": csrf})
    assert str(response.url).endswith("/console/")
    assert (await client.get(f"/console/tickets/{ticket.id}")).status == 403
    with web_services.session_factory() as session:
        assert session.get(Ticket, ticket.id).district == "屯留区"


async def test_new_tickets_arrive_as_server_sent_events(client, web_services) -> None:
    assert await login(client, "lz")
    response = await client.get("/console/events?after=0", headers={"Accept": "text/event-stream"})
    assert response.headers["Content-Type"].startswith("text/event-stream")
    ticket = new_ticket(web_services, "live", "刚刚的新问题")
    data = b""
    while ticket.number.encode() not in data:
        data += await asyncio.wait_for(response.content.readany(), timeout=10)
    assert b"event: ticket" in data
    response.close()


async def test_metrics_page_shows_the_three_rates(client, web_services) -> None:
    for i in range(3):
        new_ticket(web_services, f"m{i}", f"东大街路灯坏了 第{i}盏", intent="report_issue", place_text="东大街")
    assert await login(client, "admin")
    html = await (await client.get("/console/metrics")).text()
    for word in ("响应率", "解决率", "满意率", "从一件事到一类事", "<svg"):
        assert word in html
    assert "3 件" in html  # the three street-light reports form one recurring problem


async def test_admin_exports_and_imports_content_and_a_bad_file_changes_nothing(client, web_services) -> None:
    csrf = await login(client, "admin")
    export = await client.get("/console/admin/content/faq.csv")
    assert export.status == 200 and (await export.read()).startswith(b"\xef\xbb\xbf")
    bad = "question,variants,answer,tags,intent,id,is_sample\n,,没有问题的答案,,,,0\n"
    data = FormData()
    data.add_field("csrf", csrf)
    data.add_field("file", bad.encode(), filename="faq.csv", content_type="text/csv")
    response = await client.post("/console/admin/content/faq", data=data)
    assert response.status == 400 and "第2行" in await response.text()
    with web_services.session_factory() as session:
        assert not session.scalars(select(FaqEntry).where(FaqEntry.answer == "没有问题的答案")).all()
    good = "question,variants,answer,tags,intent,id,is_sample\n骑手能在驿站洗澡吗,,部分驿站可以。,,faq,,0\n"
    data = FormData()
    data.add_field("csrf", csrf)
    data.add_field("file", good.encode("utf-8-sig"), filename="faq.csv", content_type="text/csv")
    response = await client.post("/console/admin/content/faq", data=data)
    preview = await response.text()
    assert response.status == 200 and "将新增 1 行" in preview
    assert web_services.faq.search("骑手能在驿站洗澡吗")[0].question != "骑手能在驿站洗澡吗"  # not written yet
    token = preview.split('name="token" value="')[1].split('"')[0]
    response = await client.post("/console/admin/content/faq/confirm", data={"csrf": csrf, "token": token})
    assert response.status == 200 and "新增 1 行" in await response.text()
    assert web_services.faq.search("骑手能在驿站洗澡吗")[0].answer == "部分驿站可以。"


async def test_staff_cannot_reach_admin_pages(client) -> None:
    assert await login(client, "lz")
    assert (await client.get("/console/admin/content")).status == 403
    assert (await client.get("/console/admin/users")).status == 403


async def test_admin_creates_an_account(client, web_services) -> None:
    csrf = await login(client, "admin")
    form = {"username": "hg", "password": "long enough pw", "role": "staff", "district": "壶关县", "csrf": csrf}
    response = await client.post("/console/admin/users", data=form)
    assert response.status == 200 and "hg" in await response.text()
    assert await login(client, "hg", "long enough pw")


async def test_rest_clients_read_their_queue_with_the_token(client, web_services) -> None:
    web_services.transaction(
        lambda s: s.add(QueuedReply(key="k1", channel="rest", recipient="r1", payload='{"text": "你好"}'))
    )
    assert (await client.get("/api/conversations/r1/replies")).status == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await client.get("/api/conversations/r1/replies", headers=wrong)).status == 401
    right = {"Authorization": f"Bearer {web_services.settings.rasa_token}"}
    replies = await (await client.get("/api/conversations/r1/replies", headers=right)).json()
    assert [r["text"] for r in replies] == ["你好"]
    after = await (await client.get(f"/api/conversations/r1/replies?after={replies[0]['id']}", headers=right)).json()
    assert after == []


async def test_the_live_feed_carries_only_the_viewers_district(client, web_services) -> None:
    assert await login(client, "lz")
    response = await client.get("/console/events?after=0", headers={"Accept": "text/event-stream"})
    theirs = new_ticket(web_services, "live-tl", "屯留区的新问题", "屯留区")
    mine = new_ticket(web_services, "live-lz", "潞州区的新问题", "潞州区")
    data = b""
    while mine.number.encode() not in data:
        data += await asyncio.wait_for(response.content.readany(), timeout=10)
    response.close()
    assert theirs.number.encode() not in data and "屯留区的新问题".encode() not in data
    assert f"id: {theirs.id}\n".encode() not in data


async def test_a_photo_is_served_to_its_districts_staff_only(client, web_services) -> None:
    worker = WorkerRef("rest", "photo-tl")
    photo = web_services.transaction(
        lambda s: tickets.store_attachment(s, worker, "image/jpeg", JPEG, "a.jpg", FIXED_UTC).id
    )
    new_ticket(web_services, "photo-tl", "井盖丢了，有照片", "屯留区", attachment_ids=[photo])
    assert await login(client, "lz")
    refused = await client.get(f"/console/attachments/{photo}")
    assert refused.status == 403 and JPEG not in await refused.read()
    assert await login(client, "tl")
    served = await client.get(f"/console/attachments/{photo}")
    assert served.status == 200 and await served.read() == JPEG
    assert served.headers["Content-Type"] == "image/jpeg"


async def test_a_csv_upload_without_the_csrf_token_is_refused(client, web_services) -> None:
    csrf = await login(client, "admin")
    good = "question,variants,answer,tags,intent,id,is_sample\n伪造的问题,,伪造的答案,,faq,,0\n"
    for token in (None, "forged", csrf[:-1]):
        data = FormData()
        if token is not None:
            data.add_field("csrf", token)
        data.add_field("file", good.encode(), filename="faq.csv", content_type="text/csv")
        response = await client.post("/console/admin/content/faq", data=data)
        assert response.status == 403, token
    with web_services.session_factory() as session:
        assert not session.scalars(select(FaqEntry).where(FaqEntry.answer == "伪造的答案")).all()
