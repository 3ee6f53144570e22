"""End to end in Chromium (issue 13, point 10): an admin imports a CSV saved by Excel in GBK, twice;
the preview says what will change before anything is written, and the second import adds nothing."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from core.db import make_engine, make_session_factory
from core.models import FaqEntry
from tests.browser.conftest import screenshot
from tests.browser.test_review_inbox_e2e import admin_page
from tests.running import RunningStack


def entries_asking(stack: RunningStack, question: str) -> int:
    factory = make_session_factory(make_engine(stack.database_url))
    with factory() as session:
        return session.scalar(select(func.count()).select_from(FaqEntry).where(FaqEntry.question == question))


def upload(page: Page, path: Path) -> None:
    row = page.locator("table.tables tbody tr", has_text="常见问题")
    row.locator("input[type=file]").set_input_files(str(path))
    row.locator("text=上传并预览").click()


def test_a_gbk_csv_imported_twice_adds_its_new_row_once(stack: RunningStack, page: Page, tmp_path: Path) -> None:
    admin_page(stack, page)
    page.goto(f"{stack.web}/console/admin/content")
    exported = page.request.get(f"{stack.web}/console/admin/content/faq.csv").body().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    header = rows[0]
    question = f"驿站的饮水机几点有热水{uuid.uuid4().hex[:4]}"
    new = dict.fromkeys(header, "")
    new.update({header[1]: question, header[header.index("答案") if "答案" in header else 3]: "早七点到晚九点有热水。"})
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([*rows, [new[column] for column in header]])
    path = tmp_path / "常见问题.csv"
    path.write_bytes(out.getvalue().encode("gbk"))  # as Excel on Chinese Windows saves it

    upload(page, path)
    preview = page.locator("section.import-preview")
    expect(preview.locator(".summary")).to_contain_text("将新增 1 行，修改 0 行，删除 0 行")
    expect(preview.locator("ul.added")).to_contain_text(question)
    screenshot(page, "content_csv_preview")
    assert entries_asking(stack, question) == 0  # a preview writes nothing
    preview.locator("text=确认导入").click()
    expect(page.locator("p.report")).to_contain_text("新增 1 行")
    assert entries_asking(stack, question) == 1

    upload(page, path)
    expect(page.locator("section.import-preview")).to_contain_text("文件和表里现有的内容完全一样，不需要导入")
    assert entries_asking(stack, question) == 1
    screenshot(page, "content_csv_second_import")
