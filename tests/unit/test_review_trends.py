"""What riders ask and we fail at (issue 13, point 8): the inbox by day, hour and district, and 每月一题."""

import uuid
from datetime import date, datetime

from core import review, review_trends
from core.clock import Clock
from core.services import Services

CLOCK = Clock.for_zone("Asia/Shanghai")


def keep(services: Services, text: str, when: datetime, reason: str = "fallback", district=None):
    item = review.Unanswered(text=text, reason=reason, channel="rest", district=district)
    return services.transaction(lambda s: review.record(s, item, when))


def test_messages_are_counted_by_local_day_hour_reason_and_district(sqlite_services: Services) -> None:
    services = sqlite_services  # counts of the whole inbox: a database of this test's own
    keep(services, "电瓶车在哪换电池", datetime(2026, 11, 2, 15, 30), district="潞州区")  # 23:30 in 长治, 11-02
    keep(services, "电瓶车在哪换电池啊", datetime(2026, 11, 2, 16, 30), district="潞州区")  # 00:30 local, 11-03
    keep(services, "你们管不管小区门禁", datetime(2026, 11, 3, 1, 0), reason="thumbs_down")  # 09:00 local
    keep(services, "十月的旧问题", datetime(2026, 10, 20, 1, 0))
    found = services.read(lambda s: review_trends.trends(s, date(2026, 11, 1), date(2026, 11, 3), CLOCK))
    assert found.total == 3
    assert found.daily == {"fallback": [0, 1, 1], "thumbs_down": [0, 0, 1]}
    assert [(hour, n) for hour, n in enumerate(found.by_hour) if n] == [(0, 1), (9, 1), (23, 1)]
    assert found.by_district == [("潞州区", 2), ("", 1)]


def test_the_months_top_topics_are_pending_groups_by_their_count_in_that_month(services: Services) -> None:
    run = uuid.uuid4().hex[:6]  # PostgreSQL keeps the session's groups: words of this test's own
    often, sometimes, ignored = f"换电柜 {run} 在哪", f"停车 {run} 收费吗", f"广告 {run} 推广"
    for n in range(3):
        keep(services, often, datetime(2026, 11, 5 + n, 2, 0), district="潞州区" if n else "屯留区")
    keep(services, sometimes, datetime(2026, 11, 9, 2, 0))
    for n in range(4):
        keep(services, sometimes, datetime(2026, 10, 9 + n, 2, 0))  # many, but last month
    for n in range(5):
        group = keep(services, ignored, datetime(2026, 11, 10, 2, n)).group_id
    services.transaction(lambda s: review.set_status(s, group, review.IGNORED, "staff:admin"))

    top = services.read(lambda s: review_trends.monthly_top(s, date(2026, 11, 1), CLOCK, limit=1000))
    mine = [(t.sample, t.count, t.districts) for t in top if run in t.sample]
    assert mine == [(often, 3, ["潞州区", "屯留区"]), (sometimes, 1, [""])]
