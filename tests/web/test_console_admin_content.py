"""Content import in the console: a preview before anything is written, written exactly on 确认导入
and refused when the table changed in between; a file imported twice adds nothing; GBK files; errors
by Excel's row and the Chinese header."""

from __future__ import annotations

import csv
import io
import re
from typing import List, Optional, Tuple

from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.web.app import create_app
from core import staff
from core.models import ContentRevision, FaqEntry
from core.services import Services
from tests.web.conftest import PASSWORD, login
from tests.web.test_console_chinese import items, visible

FAQ_HEADER = "问题,其他问法,答案,标签,意图,编号,示例数据\n"


async def upload(client: TestClient, csrf: str, data: bytes, replace: bool = False) -> ClientResponse:
    form = FormData()
    form.add_field("csrf", csrf)
    if replace:
        form.add_field("replace", "1")
    form.add_field("file", data, filename="faq.csv", content_type="text/csv")
    return await client.post("/console/admin/content/faq", data=form)


def token_of(html: str) -> Optional[str]:
    match = re.search(r'name="token" value="([^"]+)"', html)
    return match.group(1) if match else None


async def confirm(client: TestClient, csrf: str, token: Optional[str]) -> ClientResponse:
    return await client.post("/console/admin/content/faq/confirm", data={"csrf": csrf, "token": token or ""})


def stored_answers(services: Services, question: str) -> List[str]:
    return services.read(lambda s: list(s.scalars(select(FaqEntry.answer).where(FaqEntry.question == question))))


def faq_count(services: Services) -> int:
    return services.read(lambda s: s.scalar(select(func.count()).select_from(FaqEntry)))


async def test_an_upload_is_previewed_and_written_only_when_confirmed(client, web_services) -> None:
    csrf = await login(client, "admin")
    data = (FAQ_HEADER + "骑手能在驿站洗澡吗,,部分驿站可以。,,faq,,否\n").encode("utf-8-sig")
    preview = await upload(client, csrf, data)
    page = await preview.text()
    assert preview.status == 200
    assert "将新增 1 行，修改 0 行，删除 0 行" in visible(page) and "确认导入" in page
    assert items(page, "added") == ["第2行 骑手能在驿站洗澡吗"]
    assert stored_answers(web_services, "骑手能在驿站洗澡吗") == []  # nothing written yet
    done = await confirm(client, csrf, token_of(page))
    assert done.status == 200
    assert "已导入“常见问题”：新增 1 行，修改 0 行" in visible(await done.text())
    assert web_services.faq.search("骑手能在驿站洗澡吗")[0].answer == "部分驿站可以。"


async def test_a_file_imported_twice_adds_no_duplicate(client, web_services) -> None:
    """What was seen: 「新增 1 行，更新 18 行」 on each import, and the new question stored twice."""
    csrf = await login(client, "admin")
    data = (FAQ_HEADER + "驿站有没有充电宝,,有，免费借用。,,faq,,否\n").encode("utf-8-sig")
    first = await (await upload(client, csrf, data)).text()
    assert (await confirm(client, csrf, token_of(first))).status == 200
    again = await (await upload(client, csrf, data)).text()
    assert "文件和表里现有的内容完全一样，不需要导入" in visible(again)
    assert token_of(again) is None and "确认导入" not in again
    assert not list((web_services.settings.var_dir / "imports").glob("*")), "nothing left waiting"
    assert stored_answers(web_services, "驿站有没有充电宝") == ["有，免费借用。"]


async def test_a_changed_row_shows_before_and_after_and_removals_only_when_replacing(client, web_services) -> None:
    csrf = await login(client, "admin")
    exported = (await (await client.get("/console/admin/content/faq.csv")).read()).decode("utf-8-sig")
    header, first, second, *rest = list(csv.reader(io.StringIO(exported)))
    old = first[header.index("答案")]
    first[header.index("答案")] = "新的答案"
    out = io.StringIO()
    csv.writer(out).writerows([header, first, *rest])
    data = out.getvalue().encode("utf-8-sig")
    question, gone = first[header.index("问题")], second[header.index("问题")]

    page = await (await upload(client, csrf, data)).text()
    assert items(page, "changed")[0] == f"第2行 {question} 答案： {old} → 新的答案"
    assert "将新增 0 行，修改 1 行，删除 0 行" in visible(page) and 'class="removed"' not in page
    replacing = await (await upload(client, csrf, data, replace=True)).text()
    assert items(replacing, "removed") == [gone]
    assert "将新增 0 行，修改 1 行，删除 1 行" in visible(replacing)
    before = faq_count(web_services)
    assert (await confirm(client, csrf, token_of(replacing))).status == 200
    assert stored_answers(web_services, question) == ["新的答案"] and stored_answers(web_services, gone) == []
    assert faq_count(web_services) == before - 1


def import_revisions(services: Services) -> List[Tuple[str, int, bool, bool]]:
    """(kind, row, had a before, has an after) of each revision a CSV import left, in order."""
    rows = services.read(
        lambda s: s.execute(
            select(ContentRevision.kind, ContentRevision.row_id, ContentRevision.before, ContentRevision.after)
            .where(ContentRevision.action == "imported")
            .order_by(ContentRevision.id)
        ).all()
    )
    return [(kind, row_id, before is not None, after is not None) for kind, row_id, before, after in rows]


async def test_every_row_an_import_changes_is_a_revision_that_can_be_reverted(client, web_services) -> None:
    """Changed, removed and added rows each get a 「表格导入」 revision in their history, undone in one click."""
    csrf = await login(client, "admin")
    exported = (await (await client.get("/console/admin/content/faq.csv")).read()).decode("utf-8-sig")
    header, first, second, *rest = list(csv.reader(io.StringIO(exported)))
    old, first[header.index("答案")] = first[header.index("答案")], "导入后的答案"
    added = ["" for _ in header]
    added[header.index("问题")], added[header.index("答案")] = "驿站能存放快递吗", "可以，限当天取走。"
    out = io.StringIO()
    csv.writer(out).writerows([header, first, *rest, added])
    page = await (await upload(client, csrf, out.getvalue().encode("utf-8-sig"), replace=True)).text()
    assert (await confirm(client, csrf, token_of(page))).status == 200
    changed_id, removed_id = int(first[header.index("编号")]), int(second[header.index("编号")])
    new_id = web_services.read(lambda s: s.scalar(select(FaqEntry.id).where(FaqEntry.question == "驿站能存放快递吗")))
    assert import_revisions(web_services) == [
        ("faq", removed_id, True, False), ("faq", changed_id, True, True), ("faq", new_id, False, True)
    ]  # fmt: skip
    history = await (await client.get(f"/console/admin/edit/faq/{changed_id}")).text()
    assert "表格导入" in visible(history) and "导入后的答案" in history

    def revision_of(row_id: int) -> int:
        return web_services.read(
            lambda s: s.scalar(select(ContentRevision.id).where(ContentRevision.row_id == row_id,
                                                                ContentRevision.action == "imported"))
        )  # fmt: skip

    for row_id in (changed_id, removed_id, new_id):
        reverted = await client.post(
            f"/console/admin/revisions/{revision_of(row_id)}/revert", data={"csrf": csrf}, allow_redirects=False
        )
        assert reverted.status == 303
    assert stored_answers(web_services, first[header.index("问题")]) == [old]
    assert stored_answers(web_services, second[header.index("问题")]) == [second[header.index("答案")]]
    assert stored_answers(web_services, "驿站能存放快递吗") == []


async def test_a_preview_is_not_written_once_the_table_changed(client, web_services) -> None:
    csrf = await login(client, "admin")
    data = (FAQ_HEADER + "预览后表变了,,不该写入,,faq,,否\n").encode("utf-8-sig")
    token = token_of(await (await upload(client, csrf, data)).text())

    def edit_elsewhere(session) -> None:
        session.scalars(select(FaqEntry).order_by(FaqEntry.id)).first().answer = "另一位管理员刚改过"

    web_services.transaction(edit_elsewhere)
    refused = await confirm(client, csrf, token)
    assert refused.status == 409
    assert "预览之后，这张表被修改过" in visible(await refused.text())
    assert stored_answers(web_services, "预览后表变了") == []
    again = await confirm(client, csrf, token)  # the stale preview is gone, not waiting for a retry
    assert again.status == 410 and stored_answers(web_services, "预览后表变了") == []


async def test_a_preview_is_confirmed_once_and_only_by_its_own_token(aiohttp_client, client, web_services) -> None:
    csrf = await login(client, "admin")
    data = (FAQ_HEADER + "只确认一次,,答案,,faq,,否\n").encode("utf-8-sig")
    token = token_of(await (await upload(client, csrf, data)).text())
    forged = await confirm(client, csrf, "x" * 43)
    assert forged.status == 410 and "预览已失效" in visible(await forged.text())
    web_services.transaction(lambda s: staff.create_user(s, "admin2", PASSWORD, "admin", None, "另一位管理员"))
    other = await aiohttp_client(create_app(web_services.settings, web_services))
    assert (await confirm(other, await login(other, "admin2"), token)).status == 410  # not theirs to confirm
    assert stored_answers(web_services, "只确认一次") == []
    assert (await confirm(client, csrf, token)).status == 200
    twice = await confirm(client, csrf, token)  # a double click, or the back button
    assert twice.status == 410
    assert stored_answers(web_services, "只确认一次") == ["答案"]


async def test_a_gbk_file_from_excel_is_read_and_its_errors_name_excels_row_and_header(client, web_services) -> None:
    """What was seen: a GBK file refused with 「第0行」."""
    csrf = await login(client, "admin")
    good = (FAQ_HEADER + "长治哪里有司机之家,,潞州区有三处。,,faq,,否\n").encode("gbk")
    page = await (await upload(client, csrf, good)).text()
    assert items(page, "added") == ["第2行 长治哪里有司机之家"]
    bad = (FAQ_HEADER + '有问法的问题,"问法一\n问法二",答案,,faq,,否\n没有答案的问题,,,,faq,,否\n').encode("gbk")
    refused = await upload(client, csrf, bad)
    assert refused.status == 400
    assert items(await refused.text(), "import-errors") == ["第3行「答案」：不能为空"]
    assert token_of(await refused.text()) is None
