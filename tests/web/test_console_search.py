"""The queue's search box and filters (issue 14, point 2), in the console in-process."""

from __future__ import annotations

from datetime import timedelta

from core import tickets
from core.models import StaffUser, Ticket
from tests.conftest import FIXED_TODAY, FIXED_UTC
from tests.web.conftest import login, new_ticket


async def page(client, **params: str) -> str:
    response = await client.get("/console/", params=params)
    assert response.status == 200
    return await response.text()


async def queue(client, **params: str) -> str:
    """The queue's rows only (the search box repeats what was asked)."""
    html = await page(client, **params)
    return html[html.index("<tbody>") : html.index("</tbody>")]


async def test_the_search_box_and_the_filters_render_with_what_was_asked(client) -> None:
    await login(client, "lz")
    html = await page(client, q="押金不退", mine="1", **{"from": "2026-11-01", "to": "2026-11-30"})
    assert 'name="q" value="押金不退"' in html
    assert 'name="mine" value="1" checked' in html
    assert 'name="from" value="2026-11-01"' in html and 'name="to" value="2026-11-30"' in html
    assert "没有符合条件的工单" in html


async def test_q_finds_by_text_number_and_phone_tail_and_rows_stay_masked(client, web_services) -> None:
    deposit = new_ticket(web_services, "s-deposit", "站点扣我押金不退，电话13812345678")
    scooter = new_ticket(web_services, "s-scooter", "电动车被交警扣了")
    await login(client, "lz")
    html = await queue(client, q="押金不退")
    assert deposit.number in html and scooter.number not in html
    html = await queue(client, q=scooter.number.lower())
    assert scooter.number in html and deposit.number not in html
    html = await queue(client, q="5678")
    assert deposit.number in html and scooter.number not in html
    assert "138****5678" in html and "13812345678" not in html


async def test_another_districts_ticket_never_appears_whatever_is_searched(client, web_services) -> None:
    ours = new_ticket(web_services, "s-ours", "押金不退 电话13900001111", district="潞州区")
    theirs = new_ticket(web_services, "s-theirs", "押金不退 电话13900001111", district="屯留区")
    await login(client, "lz")
    for params in ({"q": "押金不退"}, {"q": "1111"}, {"q": theirs.number}, {"q": "押金", "district": "屯留区"}):
        html = await queue(client, **params)
        assert theirs.number not in html, params
    assert ours.number in await queue(client, q="1111")


async def test_the_filters_narrow_the_queue(client, web_services) -> None:
    old = new_ticket(web_services, "s-old", "旧的押金问题")
    web_services.transaction(lambda s: setattr(s.get(Ticket, old.id), "created_at", FIXED_UTC - timedelta(days=20)))
    claimed = new_ticket(web_services, "s-claimed", "认领的押金问题")
    legal = new_ticket(web_services, "s-legal", "工资押金被扣", intent="legal_wage_arrears")
    await login(client, "lz")

    def claim(session) -> None:
        lz = session.query(StaffUser).filter_by(username="lz").one()
        tickets.claim(session, session.get(Ticket, claimed.id), lz, FIXED_UTC)

    web_services.transaction(claim)
    html = await queue(client, q="押金", mine="1")
    assert claimed.number in html and old.number not in html and legal.number not in html
    html = await queue(client, q="押金", category="legal_wage_arrears")
    assert legal.number in html and claimed.number not in html
    html = await queue(client, q="押金", state="claimed")
    assert claimed.number in html and legal.number not in html
    today = FIXED_TODAY.isoformat()
    html = await queue(client, **{"from": today, "to": today})
    assert claimed.number in html and legal.number in html and old.number not in html
    html = await queue(client, to=(FIXED_TODAY - timedelta(days=10)).isoformat())
    assert old.number in html and claimed.number not in html
    assert "一两个字只在最近" in await page(client, q="押金")


async def test_the_pager_keeps_the_search(client, web_services) -> None:
    for n in range(55):
        new_ticket(web_services, f"s-page-{n}", f"押金不退 第{n}件")
    await login(client, "lz")
    html = await page(client, q="押金不退")
    assert "共 55 件" in html
    assert "?q=%E6%8A%BC%E9%87%91%E4%B8%8D%E9%80%80&amp;page=2" in html
    second = await page(client, q="押金不退", page="2")
    assert "第 2 / 2 页" in second


async def test_beyond_the_cap_the_count_says_more_than(client, web_services, monkeypatch) -> None:
    from core import ticket_queue

    for n in range(7):
        new_ticket(web_services, f"s-cap-{n}", f"押金不退 第{n}件")
    monkeypatch.setattr(ticket_queue, "COUNT_CAP", 4)
    await login(client, "lz")
    html = await page(client, q="押金不退")
    assert "共 4 件以上" in html and "只列出按时限排在前面的 4 件" in html
    assert "共 7 件" not in html
    monkeypatch.setattr(ticket_queue, "COUNT_CAP", 1_000)
    html = await page(client, q="押金不退")
    assert "共 7 件" in html and "件以上" not in html
