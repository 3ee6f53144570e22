"""问题走势: what riders ask and we fail at, over time, by district and hour, and the month's top topics."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Dict

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from bot.console.auth import require_admin
from bot.console.charts import bar_chart, line_chart
from bot.web.database import read_in_transaction
from bot.web.keys import SERVICES
from core import review_trends, tickets, topics

PERIODS = {"7": 7, "30": 30, "90": 90}
_MONTH = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])")


def _month(value: str, today: date) -> date:
    """The first day of `?month=2026-11`; this month for anything else."""
    found = _MONTH.fullmatch(value)
    return date(int(found.group(1)), int(found.group(2)), 1) if found else today.replace(day=1)


async def trends_page(request: web.Request) -> web.Response:
    require_admin(request)
    clock = request.config_dict[SERVICES].clock
    today = clock.today()
    days = PERIODS.get(request.query.get("days", "30"), 30)
    month = _month(request.query.get("month", ""), today)

    def load(session: Session) -> Dict[str, Any]:
        found = review_trends.trends(session, today - timedelta(days=days - 1), today, clock)
        return {
            "trends": found,
            "daily_chart": line_chart([d.strftime("%m-%d") for d in found.days], found.daily),
            "district_chart": bar_chart([(d or "未知区县", n) for d, n in found.by_district]),
            "hour_chart": bar_chart([(f"{hour}时", n) for hour, n in enumerate(found.by_hour)], longest_first=False),
            "top": review_trends.monthly_top(session, month, clock),
            "categories": topics.category_labels(session, tickets.CATEGORIES),
        }

    context = await read_in_transaction(request, load)
    context.update(
        days=days,
        periods=list(PERIODS),
        month=month,
        previous_month=(month - timedelta(days=1)).replace(day=1),
        next_month=review_trends.next_month(month),
        this_month=today.replace(day=1),
    )
    return aiohttp_jinja2.render_template("trends.html", request, context)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/trends", trends_page)
