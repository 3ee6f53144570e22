"""问题走势 (issue 13, point 8): the inbox over time, by district and hour, and 每月一题 with its two actions."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core import review
from core.models import FaqDraft, LabelledExample
from tests.conftest import FIXED_UTC
from tests.web.conftest import login


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def keep(services, text: str, hours_ago: int, district=None, reason: str = "fallback") -> int:
    item = review.Unanswered(text=text, reason=reason, channel="webchat", district=district)
    return services.transaction(lambda s: review.record(s, item, FIXED_UTC - timedelta(hours=hours_ago)).group_id)


async def test_the_months_top_topics_with_charts_and_a_content_task_from_one(client, web_services) -> None:
    battery = keep(web_services, "换电柜在哪 电话13912344321", 1, "潞州区")
    keep(web_services, "换电柜在哪 电话13912344321", 2, "潞州区")
    keep(web_services, "换电柜在哪 电话13912344321", 3, "屯留区", reason="thumbs_down")
    parking = keep(web_services, "小区停车要收费吗", 4)
    csrf = await login(client, "admin")
    page = await (await client.get("/console/admin/trends")).text()
    text = visible(page)
    assert "共 4 条" in text and "没听懂（3）" in text and "骑手点了👎（1）" in text
    top = re.findall(r'<li class="topic" id="topic-(\d+)"><strong>(\d+) 次</strong>', page)
    assert top == [(str(battery), "3"), (str(parking), "1")]
    assert "139****4321" in page and "13912344321" not in page
    assert "潞州区、屯留区" in text

    drafted = await client.post(f"/console/admin/inbox/{battery}/draft", data={"csrf": csrf}, allow_redirects=False)
    assert drafted.status == 303
    named = select(FaqDraft.question).where(FaqDraft.group_id == battery)
    assert web_services.read(lambda s: s.scalars(named).one()).startswith("换电柜在哪")
    routed = await client.post(
        f"/console/admin/inbox/{parking}/intent", data={"csrf": csrf, "intent": "report_issue"}, allow_redirects=False
    )
    assert routed.status == 303
    labelled = select(LabelledExample.intent).where(LabelledExample.group_id == parking)
    assert web_services.read(lambda s: list(s.scalars(labelled))) == ["report_issue"]
    after = await (await client.get("/console/admin/trends")).text()
    assert re.findall(r'id="topic-(\d+)"', after) == []  # both dealt with: no longer unresolved


async def test_only_admins_see_the_trends(client) -> None:
    await login(client, "lz")
    assert (await client.get("/console/admin/trends")).status == 403
