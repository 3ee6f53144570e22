"""Content editing in the console: forms refused with the reason beside the field, edits live for the
next rider question, the diff and one-click revert, and 「试一试」 with and without the live model."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Dict, List, Tuple

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.web.app import create_app
from core import geo, places
from core.content import editing
from core.models import ContentRevision, FaqEntry, Place
from core.services import Services
from tests.web.conftest import login

EDIT = "/console/admin/edit"
QUESTION = "暖新驿站收费吗"


def faq_id(services: Services, question: str = QUESTION) -> int:
    return services.read(lambda s: s.scalar(select(FaqEntry.id).where(FaqEntry.question == question)))


def place_id(services: Services, hours: str = "Mo-Su 07:00-22:00") -> int:
    return services.read(lambda s: s.scalar(select(Place.id).where(Place.hours == hours).order_by(Place.id)))


def stored_form(services: Services, kind: str, row_id: int) -> Dict[str, List[str]]:
    """The row's form as the edit page fills it in."""
    spec = editing.KINDS[kind]
    return services.read(lambda s: editing.form_of(spec, editing.row_of(s, spec, row_id)))


def posted(form: Dict[str, List[str]], csrf: str, **changes: Any) -> List[Tuple[str, str]]:
    fields = {**form, **{k: v if isinstance(v, list) else [v] for k, v in changes.items()}}
    return [("csrf", csrf)] + [(k, v) for k, values in fields.items() for v in values]


def revision_count(services: Services) -> int:
    return services.read(lambda s: s.scalar(select(func.count(ContentRevision.id))))


def field_html(html: str, name: str) -> str:
    """The form's block for one field, where its refusal must be shown."""
    found = re.search(
        rf'<div class="field[^"]*" id="field-{name}">.*?(?=<div class="field|<button class="save")', html, re.S
    )
    assert found, f"no field {name} on the page"
    return found.group(0)


def try_result(html: str) -> str:
    """The 试一试 result block of a page."""
    return re.search(r'<section class="try-result".*?</section>', html, re.S).group(0)


async def test_only_admins_reach_content_editing_and_staff_see_no_link(
    client: TestClient, web_services: Services
) -> None:
    assert await login(client, "lz")
    assert (await client.get(f"{EDIT}/faq")).status == 403
    assert f'href="{EDIT}"' not in await (await client.get("/console/")).text()


async def test_an_edited_answer_is_what_the_next_rider_gets_and_the_diff_shows_it(
    client: TestClient, web_services: Services
) -> None:
    entry = faq_id(web_services)
    old = web_services.faq.search(QUESTION, 1, None)[0].answer  # the index is built before the edit
    csrf = await login(client, "admin")
    form = stored_form(web_services, "faq", entry)
    response = await client.post(
        f"{EDIT}/faq/{entry}", data=posted(form, csrf, answer="驿站全部免费，新答案。"), allow_redirects=False
    )
    assert response.status == 303
    best = web_services.faq.search(QUESTION, 1, None)[0]
    assert (best.entry_id, best.answer) == (entry, "驿站全部免费，新答案。")
    revision = re.search(r"revision-(\d+)", response.headers["Location"]).group(1)
    html = await (await client.get(f"/console/admin/revisions/{revision}")).text()
    assert (
        '<th scope="row">答案</th>' in html
        and f"<del>{old}</del>" in html
        and "<ins>驿站全部免费，新答案。</ins>" in html
    )


async def test_a_bad_opening_hour_is_refused_beside_its_field_and_nothing_is_written(
    client: TestClient, web_services: Services
) -> None:
    station = place_id(web_services)
    before, revisions = stored_form(web_services, "places", station), revision_count(web_services)
    csrf = await login(client, "admin")
    bad = posted(
        before, csrf, name="改了名字的驿站", hours_0_days=["Mo", "Tu"], hours_0_from="25:00", hours_0_to="21:00"
    )
    response = await client.post(f"{EDIT}/places/{station}", data=bad)
    assert response.status == 400
    html = await response.text()
    assert "时间要写成 时:分" in field_html(html, "hours")
    assert 'value="改了名字的驿站"' in html  # what the admin typed is kept to correct
    assert stored_form(web_services, "places", station) == before and revision_count(web_services) == revisions


async def test_a_coordinate_outside_changzhi_is_refused_beside_it_and_nothing_is_written(
    client: TestClient, web_services: Services
) -> None:
    station = place_id(web_services)
    before, revisions = stored_form(web_services, "places", station), revision_count(web_services)
    csrf = await login(client, "admin")
    response = await client.post(f"{EDIT}/places/{station}", data=posted(before, csrf, lat="113.1", lon="36.2"))
    assert response.status == 400
    coordinates = field_html(await response.text(), "coordinates")
    assert re.search(r'id="error-lat"[^>]*>113\.100000 不在 35\.5 到 37\.3 之间', coordinates)
    assert stored_form(web_services, "places", station) == before and revision_count(web_services) == revisions


async def test_gcj02_coordinates_are_stored_as_wgs84_with_the_search_grids_moved(
    client: TestClient, web_services: Services
) -> None:
    station = place_id(web_services)
    csrf = await login(client, "admin")
    form = stored_form(web_services, "places", station)
    response = await client.post(
        f"{EDIT}/places/{station}", data=posted(form, csrf, datum="gcj02", lat="36.2000", lon="113.1200"),
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303
    place = web_services.read(lambda s: s.get(Place, station))
    lat, lon = geo.gcj02_to_wgs84(36.2, 113.12)
    assert (place.lat, place.lon) == (round(lat, 6), round(lon, 6)) and abs(place.lat - 36.2) > 1e-4
    assert place.cell == geo.TOWN_GRID.cell_of(place.lat, place.lon)
    assert place.street_cell == geo.STREET_GRID.cell_of(place.lat, place.lon)


async def test_reverting_from_the_diff_page_puts_the_row_back_as_a_new_revision(
    client: TestClient, web_services: Services
) -> None:
    station = place_id(web_services)
    csrf = await login(client, "admin")
    form = stored_form(web_services, "places", station)
    saved = await client.post(
        f"{EDIT}/places/{station}", data=posted(form, csrf, amenities=["toilet", "wifi"]), allow_redirects=False
    )
    revision = re.search(r"revision-(\d+)", saved.headers["Location"]).group(1)
    diff = await (await client.get(f"/console/admin/revisions/{revision}")).text()
    assert "<ins>厕所、无线网络</ins>" in diff
    reverted = await client.post(
        f"/console/admin/revisions/{revision}/revert", data={"csrf": csrf}, allow_redirects=False
    )
    assert reverted.status == 303
    assert stored_form(web_services, "places", station) == form
    page = await (await client.get(reverted.headers["Location"])).text()
    assert f'撤销了 <a href="/console/admin/revisions/{revision}">' in page
    again = await client.post(f"/console/admin/revisions/{revision}/revert", data={"csrf": csrf})
    assert again.status == 409 and "没有可撤销的" in await again.text()


async def test_an_expired_faq_is_listed_on_the_editing_start_page(client: TestClient, web_services: Services) -> None:
    entry = faq_id(web_services)
    csrf = await login(client, "admin")
    form = stored_form(web_services, "faq", entry)
    await client.post(f"{EDIT}/faq/{entry}", data=posted(form, csrf, valid_until="2026-11-25"))
    html = await (await client.get(EDIT)).text()
    block = re.search(r'<section class="expired-faqs".*?</section>', html, re.S).group(0)
    assert f'href="{EDIT}/faq/{entry}"' in block and "2026-11-25 到期" in block
    start = await (await client.get("/console/")).text()  # an admin's start page flags it in the header
    assert re.search(
        r'<nav class="top">.*内容编辑<span class="expired-count">（1 条问答过期待复核）</span>', start, re.S
    )


async def test_try_it_without_the_model_says_so_and_shows_what_the_faq_search_finds(
    client: TestClient, web_services: Services
) -> None:
    entry = faq_id(web_services)
    await login(client, "admin")
    html = await (await client.get(f"{EDIT}/try", params={"q": QUESTION, "faq_id": str(entry)})).text()
    assert "对话模型现在连不上" in html
    assert f'href="/console/admin/edit/faq/{entry}">问答 #{entry}</a>' in html and "正是这一条" in html
    beside_another = await (await client.get(f"{EDIT}/try", params={"q": QUESTION, "faq_id": str(entry + 1)})).text()
    assert "不是这一条" in beside_another and "正是这一条" not in beside_another


async def test_try_it_asks_as_a_rider_of_the_district_chosen(client: TestClient, web_services: Services) -> None:
    """Of two entries written alike for two districts, each district's rider gets their own; an entry's
    edit page asks as a rider of the entry's district until another is chosen."""
    night = "驿站夜里几点关门"
    web_services.transaction(
        lambda s: s.add_all(
            FaqEntry(question=night, variants="", answer=answer, tags="", district=district)
            for district, answer in (("潞州区", "潞州区通宵开放"), ("屯留区", "屯留区22点关门"))
        )
    )
    tunliu = web_services.read(lambda s: s.scalar(select(FaqEntry.id).where(FaqEntry.district == "屯留区")))
    await login(client, "admin")

    for district, answer in (("潞州区", "潞州区通宵开放"), ("屯留区", "屯留区22点关门")):
        html = await (await client.get(f"{EDIT}/try", params={"q": night, "district": district})).text()
        assert f"{district}的骑手问“{night}”" in try_result(html) and answer in try_result(html)
        assert f'<option value="{district}" selected>' in html
    on_its_page = await (await client.get(f"{EDIT}/faq/{tunliu}", params={"q": night})).text()
    assert "屯留区22点关门" in try_result(on_its_page) and "正是这一条" in try_result(on_its_page)
    as_another = await (await client.get(f"{EDIT}/faq/{tunliu}", params={"q": night, "district": "潞州区"})).text()
    assert "潞州区通宵开放" in try_result(as_another) and "不是这一条" in try_result(as_another)
    unknown = await (await client.get(f"{EDIT}/try", params={"q": night, "district": "北京市"})).text()
    assert "的骑手问" not in try_result(unknown) and "骑手问“" in try_result(unknown)


@pytest.fixture
async def rasa(aiohttp_server: Any) -> Any:
    """A stand-in for Rasa's /model/parse that reads every question as the given intent (and checks the token)."""
    answers: Dict[str, Any] = {"intent": "faq", "confidence": 0.87, "tokens": []}

    async def parse(request: web.Request) -> web.Response:
        answers["tokens"].append(request.query.get("token"))
        body = await request.json()
        return web.json_response(
            {"text": body["text"], "intent": {"name": answers["intent"], "confidence": answers["confidence"]}}
        )

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    server = await aiohttp_server(app)
    answers["url"] = str(server.make_url("")).rstrip("/")
    return answers


async def _client_with_rasa(aiohttp_client: Any, web_services: Services, url: str) -> Tuple[TestClient, Services]:
    services = replace(web_services, settings=replace(web_services.settings, rasa_url=url))
    return await aiohttp_client(create_app(services.settings, services)), services


async def test_try_it_shows_the_models_intent_and_confidence_and_the_entry_that_answers(
    aiohttp_client: Any, web_services: Services, rasa: Dict[str, Any]
) -> None:
    client, services = await _client_with_rasa(aiohttp_client, web_services, rasa["url"])
    entry = faq_id(services)
    await login(client, "admin")
    html = await (await client.get(f"{EDIT}/faq/{entry}", params={"q": "驿站要钱吗"})).text()
    result = try_result(html)
    assert '<code class="intent">faq</code>' in result and ">87%<" in result
    assert f"问答 #{entry}</a>" in result and "正是这一条" in result and "连不上" not in result
    assert rasa["tokens"] == ["test-token"]
    rasa["intent"] = "find_station"
    html = await (await client.get(f"{EDIT}/try", params={"q": "附近哪里能充电"})).text()
    assert "会进入助手的“find_station”流程" in html and 'class="answer"' not in html


async def test_new_opening_hours_are_what_the_next_station_search_reads(
    client: TestClient, web_services: Services
) -> None:
    station = place_id(web_services)
    place = web_services.read(lambda s: s.get(Place, station))
    clock = web_services.clock  # Thursday 14:00 in 长治

    def nearest_open() -> List[int]:
        found = web_services.read(
            lambda s: places.nearest(s, place.lat, place.lon, open_at=(clock.local(), clock.utc()), limit=1)
        )
        return [hit.place.id for hit in found.hits]

    assert nearest_open() == [station]
    csrf = await login(client, "admin")
    night = {"hours_0_days": ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"], "hours_0_from": "20:00", "hours_0_to": "06:00"}
    form = stored_form(web_services, "places", station)
    response = await client.post(f"{EDIT}/places/{station}", data=posted(form, csrf, **night), allow_redirects=False)
    assert response.status == 303
    assert web_services.read(lambda s: s.get(Place, station).hours) == "Mo-Su 20:00-06:00"
    assert station not in nearest_open()


async def test_saving_over_a_colleagues_newer_edit_is_refused_with_the_reason(
    client: TestClient, web_services: Services
) -> None:
    entry = faq_id(web_services)
    csrf = await login(client, "admin")
    page = await (await client.get(f"{EDIT}/faq/{entry}")).text()
    base = re.search(r'<input type="hidden" name="base" value="([0-9a-f]+)">', page).group(1)
    opened = {**stored_form(web_services, "faq", entry), "base": [base]}  # the form as this page opened it
    colleague = posted(opened, csrf, answer="同事先保存的答案")
    assert (await client.post(f"{EDIT}/faq/{entry}", data=colleague, allow_redirects=False)).status == 303
    response = await client.post(f"{EDIT}/faq/{entry}", data=posted(opened, csrf, answer="我后保存的答案"))
    assert response.status == 400
    assert re.search(r'<p class="error conflict" role="alert">这条内容在您打开之后被别人改过', await response.text())
    assert web_services.read(lambda s: s.get(FaqEntry, entry).answer) == "同事先保存的答案"


@pytest.mark.parametrize("kind", list(editing.KINDS))
async def test_every_kind_lists_its_rows_and_its_form_saves_unchanged_as_no_revision(
    client: TestClient, web_services: Services, kind: str
) -> None:
    csrf = await login(client, "admin")
    listing = await client.get(f"{EDIT}/{kind}")
    html = await listing.text()
    first = re.search(rf'<tr id="row-(\d+)">\s*<td><a href="{EDIT}/{kind}/(\d+)">', html)
    assert listing.status == 200 and first, html[:500]
    row_id = int(first.group(1))
    page = await client.get(f"{EDIT}/{kind}/{row_id}")
    assert page.status == 200 and 'class="content-form"' in await page.text()
    revisions = revision_count(web_services)
    response = await client.post(
        f"{EDIT}/{kind}/{row_id}", data=posted(stored_form(web_services, kind, row_id), csrf), allow_redirects=False
    )
    assert response.headers["Location"].endswith("?saved=unchanged") and revision_count(web_services) == revisions


async def test_a_new_faq_from_the_form_answers_the_next_question_and_a_bad_new_station_writes_nothing(
    client: TestClient, web_services: Services
) -> None:
    csrf = await login(client, "admin")
    assert f'href="{EDIT}/faq/new"' in await (await client.get(f"{EDIT}/faq")).text()
    assert (await client.get(f"{EDIT}/faq/new")).status == 200
    new = {"csrf": csrf, "question": "骑手子女夏天能去哪托管", "answer": "各区暑期托管班七月开班，可在助手里报名。"}
    response = await client.post(f"{EDIT}/faq/new", data=new, allow_redirects=False)
    assert response.status == 303
    entry, revision = map(
        int, re.search(rf"{EDIT}/faq/(\d+)\?saved=revision-(\d+)", response.headers["Location"]).groups()
    )
    assert web_services.faq.search("骑手子女夏天能去哪托管", 1, None)[0].entry_id == entry
    shown = await (await client.get(f"/console/admin/revisions/{revision}")).text()
    assert "<ins>各区暑期托管班七月开班，可在助手里报名。</ins>" in shown and "撤销这次新增" in shown
    undone = await client.post(f"/console/admin/revisions/{revision}/revert", data={"csrf": csrf})
    assert "撤销这次删除" in await undone.text() and web_services.read(lambda s: s.get(FaqEntry, entry)) is None
    places_before = web_services.read(lambda s: s.scalar(select(func.count(Place.id))))
    bad = {"csrf": csrf, "kind": "暖新驿站", "name": "新驿站", "district": "潞州区", "lat": "36.2", "lon": "200"}
    refused = await client.post(f"{EDIT}/places/new", data=bad)
    html = await refused.text()
    assert refused.status == 400 and "不在 111.8 到 114.2 之间" in field_html(html, "coordinates")
    assert "请勾选“24小时开放”" in field_html(html, "hours") and 'value="新驿站"' in html
    assert web_services.read(lambda s: s.scalar(select(func.count(Place.id)))) == places_before
