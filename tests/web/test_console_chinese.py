"""The console speaks Chinese: states, audit entries, refusals, categories; views audited once an hour;
canned replies per category from the first start; 回访 of poor ratings; chart labels inside the chart."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import List

from sqlalchemy import select

from core import tickets
from core.models import AuditEvent, CannedReply, Ticket
from core.workers import WorkerRef
from tests.conftest import FIXED_UTC
from tests.web.conftest import login, new_ticket

# Internal names that must never reach a staff member's eyes.
ENGLISH = re.compile(
    r"\b(new|claimed|answered|resolved|closed|created|reopened|transferred|noted|rated|handoff_ended|"
    r"viewed_personal_data|followed_up|pending|sent|failed|retrying|urgent|ordinary|complex|admins only|"
    r"request_human|legal_\w+|report_issue|outside_district|invalid_transition)\b|staff:|→(new|claimed)"
)
TICKET_CATEGORIES = [
    "随手拍反映问题", "提建议", "转人工", "讨要工资", "工伤", "交通事故", "平台罚款封号", "劳动合同", "社保",
    "法律援助", "找附近驿站", "孩子托管", "技能培训", "小区通行", "服务问答",
]  # fmt: skip


class _Text(HTMLParser):
    """What a person sees of a page: text outside <script> and <style>, one chunk per text node."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: List[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data) -> None:
        if not self._hidden and data.strip():
            self.chunks.append(" ".join(data.split()))


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.chunks)


def items(html: str, css_class: str) -> List[str]:
    """The visible text of each <li> of the list with this class."""
    block = re.search(rf'<ul class="{css_class}">(.*?)</ul>', html, re.S)
    assert block, f"no list .{css_class}"
    return [" ".join(visible(li).split()) for li in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)]


def options(html: str, name: str) -> List[str]:
    block = re.search(rf'<select name="{name}">(.*?)</select>', html, re.S)
    assert block, f"no select {name}"
    return [visible(o) for o in re.findall(r"<option[^>]*>(.*?)</option>", block.group(1), re.S)]


async def test_states_and_audit_entries_are_in_chinese(client, web_services) -> None:
    ticket = new_ticket(web_services, "zh-audit", "押金不退")
    csrf = await login(client, "lz")
    for action in ("claim", "resolve"):
        assert (await client.post(f"/console/tickets/{ticket.id}/{action}", data={"csrf": csrf})).status == 200
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    heading = visible(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1))
    assert heading.split("\n")[-1] == "已办结"
    assert [re.sub(r"^\d\d-\d\d \d\d:\d\d · ", "", line) for line in items(page, "audit")] == [
        "骑手 · 受理 一般 转人工",
        "工作人员 lz · 认领 待受理→已认领",
        "工作人员 lz · 查看完整个人信息",  # the page after the claim; not again within the hour
        "工作人员 lz · 办结 已认领→已办结",
    ]
    assert [re.sub(r"^\d\d-\d\d \d\d:\d\d · ", "", line) for line in items(page, "outbox")] == ["待发送"]
    assert not ENGLISH.search(visible(page)), ENGLISH.search(visible(page))


async def test_the_queue_names_states_in_chinese_and_filters_ticket_categories_only(client, web_services) -> None:
    new_ticket(web_services, "zh-queue", "站点欠薪两个月", intent="legal_wage_arrears")
    assert await login(client, "lz")
    queue = await (await client.get("/console/")).text()
    assert options(queue, "state") == ["全部状态", "待受理", "已认领", "已答复", "已办结", "已关闭"]
    assert options(queue, "category") == ["全部类别", *TICKET_CATEGORIES]
    assert "讨要工资" in visible(queue) and "待受理" in visible(queue)
    assert not ENGLISH.search(visible(queue)), ENGLISH.search(visible(queue))
    states = json.loads(html.unescape(re.search(r'data-states="([^"]+)"', queue).group(1)))  # for the live feed
    assert states == {
        "new": "待受理",
        "claimed": "已认领",
        "answered": "已答复",
        "resolved": "已办结",
        "closed": "已关闭",
    }


async def test_refusals_are_worded_in_chinese(client, web_services) -> None:
    mine, theirs = new_ticket(web_services, "zh-err", "押金"), new_ticket(web_services, "zh-err2", "工资", "屯留区")
    csrf = await login(client, "lz")
    admin_only = await client.get("/console/admin/users")
    assert admin_only.status == 403
    assert "只有管理员可以使用这个功能。" in visible(await admin_only.text())
    await client.post(f"/console/tickets/{mine.id}/claim", data={"csrf": csrf})
    twice = await client.post(f"/console/tickets/{mine.id}/claim", data={"csrf": csrf})
    assert twice.status == 409
    assert "这张工单现在是“已认领”，不能认领。" in visible(await twice.text())
    outside = await client.get(f"/console/tickets/{theirs.id}")
    assert outside.status == 403
    assert "这张工单属于其他区县，您不能查看或处理。" in visible(await outside.text())
    missing = await client.get("/console/tickets/999999")
    assert missing.status == 404 and "没有找到这条记录" in visible(await missing.text())
    no_csrf = await client.post(f"/console/tickets/{mine.id}/resolve", data={})
    assert no_csrf.status == 403 and "页面已过期，请刷新后再试一次。" in visible(await no_csrf.text())
    for response in (admin_only, twice, outside, missing, no_csrf):
        assert not ENGLISH.search(visible(await response.text()))


async def test_a_full_view_is_audited_once_per_member_ticket_and_hour(client, web_services) -> None:
    ticket = new_ticket(web_services, "zh-views", "押金不退 电话13812345678")

    def add_earlier_view(session):
        session.add(
            AuditEvent(
                at=FIXED_UTC - timedelta(minutes=61), actor="staff:lz", action="viewed_personal_data",
                ticket_id=ticket.id, detail="",
            )
        )  # fmt: skip

    web_services.transaction(add_earlier_view)
    assert await login(client, "lz")
    for _ in range(3):
        assert (await client.get(f"/console/tickets/{ticket.id}")).status == 200
    assert await login(client, "admin")
    await client.get(f"/console/tickets/{ticket.id}")
    with web_services.session_factory() as session:
        views = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.ticket_id == ticket.id, AuditEvent.action == "viewed_personal_data")
            .order_by(AuditEvent.id)
        ).all()
        assert [(v.actor, v.at) for v in views] == [
            ("staff:lz", FIXED_UTC - timedelta(minutes=61)),
            ("staff:lz", FIXED_UTC),
            ("staff:admin", FIXED_UTC),
        ]


async def test_canned_replies_for_every_ticket_category_from_the_first_start(client, web_services) -> None:
    with web_services.session_factory() as session:
        categories = set(session.scalars(select(CannedReply.category)))
    assert categories == {None, *tickets.CATEGORIES}
    ticket = new_ticket(web_services, "zh-canned", "站点欠薪两个月", intent="legal_wage_arrears")
    assert await login(client, "lz")
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    titles = [visible(b) for b in re.findall(r'<button type="button" class="use-canned"[^>]*>(.*?)</button>', page)]
    assert titles == ["欠薪：先留证据", "办结前确认", "已收到，正在处理", "请补充信息"]


async def test_a_poor_rating_waits_for_a_follow_up_that_staff_record(client, web_services) -> None:
    ticket = new_ticket(web_services, "zh-huifang", "押金不退")
    csrf = await login(client, "lz")
    await client.post(f"/console/tickets/{ticket.id}/resolve", data={"csrf": csrf})
    web_services.transaction(lambda s: tickets.rate(s, WorkerRef("rest", "zh-huifang"), 1, FIXED_UTC))
    queue = visible(await (await client.get("/console/")).text())
    assert "待回访 1 件" in queue
    due = visible(await (await client.get("/console/?follow_up=1")).text())
    assert ticket.number in due and "已关闭 ·\n待回访" in due
    page = await (await client.get(f"/console/tickets/{ticket.id}")).text()
    assert f'action="/console/tickets/{ticket.id}/follow-up"' in page and "回访（骑手评了 1 分）" in visible(page)
    done = await client.post(f"/console/tickets/{ticket.id}/follow-up", data={"csrf": csrf, "text": "已致电，押金已退"})
    assert done.status == 200
    page = await done.text()
    assert "工作人员 lz · 完成回访 1 分" in [re.sub(r"^\d\d-\d\d \d\d:\d\d · ", "", i) for i in items(page, "audit")]
    assert 'follow-up"' not in page and "待回访" not in visible(page)
    after = await (await client.get("/console/")).text()
    assert "待回访 1 件" not in visible(after) and 'class="follow-up"' not in after
    with web_services.session_factory() as session:
        assert session.get(Ticket, ticket.id).followed_up_at == FIXED_UTC


async def test_the_daily_charts_axis_labels_lie_inside_the_chart(client, web_services) -> None:
    for n in range(3):
        new_ticket(web_services, f"zh-chart-{n}", "押金不退")
    assert await login(client, "lz")
    page = await (await client.get("/console/metrics?days=30")).text()
    svg = re.search(r'<svg class="chart daily" viewBox="([^"]+)"[^>]*>(.*?)</svg>', page, re.S)
    left, _, width, _ = (float(v) for v in svg.group(1).split())
    labels = re.findall(r'<text x="([-\d.]+)" y="[-\d.]+" text-anchor="(middle|end)">([^<]+)</text>', svg.group(2))
    assert len(labels) >= 7  # the days, and the peak
    glyph = 12 * 0.62  # the console's chart font is 12 px; a digit or dash is at most this wide
    for x, anchor, text in labels:
        span = len(text) * glyph
        start = float(x) - (span / 2 if anchor == "middle" else span)
        assert left <= start and start + span <= left + width, (text, start, left, left + width)


async def test_a_ticket_the_rider_reopened_after_resolve_is_marked_in_the_queue(client, web_services) -> None:
    ticket = new_ticket(web_services, "zh-reopen", "押金不退")
    csrf = await login(client, "lz")
    await client.post(f"/console/tickets/{ticket.id}/resolve", data={"csrf": csrf})
    rules = tickets.deadline_rules.parse()
    web_services.transaction(
        lambda s: tickets.reopen_with_message(s, WorkerRef("rest", "zh-reopen"), "押金什么时候到账", FIXED_UTC, rules)
    )
    queue = visible(await (await client.get("/console/")).text())
    assert "待受理 ·\n骑手来信重开\n· 人工对话中" in queue
    page = visible(await (await client.get(f"/console/tickets/{ticket.id}")).text())
    assert "押金什么时候到账" in page and "骑手 · 骑手来信，重新打开 已办结→待受理" in page
