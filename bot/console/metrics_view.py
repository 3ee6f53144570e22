"""Metrics page: the three rates, counts by kind and district over time, recurring problems."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from bot.console.auth import current_user
from bot.console.charts import bar_chart, line_chart
from bot.web.database import read_in_transaction
from bot.web.keys import SERVICES
from core import metrics, topics

PERIODS = {"7": 7, "30": 30, "90": 90}


async def metrics_page(request: web.Request) -> web.Response:
    user = current_user(request)
    days = PERIODS.get(request.query.get("days", "30"), 30)
    now = request.config_dict[SERVICES].clock.utc()
    since = datetime(now.year, now.month, now.day) - timedelta(days=days - 1)

    def load(session: Session) -> Dict[str, Any]:
        labels = topics.labels(session)
        by_category = metrics.counts(session, user, since, now, "category")
        day_list, series = metrics.daily(session, user, since, now, "category")
        return {
            "rates": metrics.rates(session, user, since, now, now),
            "category_chart": bar_chart([(labels.get(k, k), v) for k, v in by_category.items()]),
            "district_chart": bar_chart(list(metrics.counts(session, user, since, now, "district").items())),
            "daily_chart": line_chart(
                [d.strftime("%m-%d") for d in day_list], {labels.get(k, k): v for k, v in series.items()}
            ),
            "clusters": metrics.clusters(session, user),
            "labels": labels,
        }

    context = await read_in_transaction(request, load)
    context.update(days=days, periods=list(PERIODS))
    return aiohttp_jinja2.render_template("metrics.html", request, context)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics_page)
