"""CSV import and export: Excel-friendly files in any encoding Excel writes, errors by spreadsheet row
and Chinese header, nothing half-imported, a preview before anything is written, and no duplicates
when the same file comes back."""

import base64
import csv
import io
import json
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.content import loader
from core.content.csv_io import (
    FieldChange,
    ImportRejected,
    ImportStale,
    RowChange,
    confirm_import,
    export_table,
    import_bytes,
    plan_import,
    read_rows,
    table_digest,
)
from core.content.staging import LIFETIME, StagedImport, StagedImports
from core.content.tables import table_specs
from core.models import FaqEntry, Place
from core.services import Services

SPECS = table_specs(loader.district_names())
FAQ_HEADER = "question,variants,answer,tags,intent,id,is_sample\n"
PLACE_HEADER = (
    "id,kind,name,address,district,street,lat,lon,hours,amenities,phone,operator,closed_until,closure_note,is_sample"
)


def export(services: Services, table: str) -> bytes:
    out = io.StringIO()
    with services.session_factory() as session:
        export_table(session, SPECS[table], out)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def count(services: Services, model) -> int:
    with services.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def answers(services: Services, question: str) -> list:
    return services.read(lambda s: list(s.scalars(select(FaqEntry.answer).where(FaqEntry.question == question))))


def rejected_messages(services: Services, table: str, data: bytes) -> list:
    with pytest.raises(ImportRejected) as rejected:
        services.transaction(lambda s: import_bytes(s, SPECS[table], data))
    return [str(e) for e in rejected.value.errors]


def test_export_then_import_changes_nothing(sqlite_services: Services) -> None:
    data = export(sqlite_services, "places")
    assert data.startswith("\ufeff编号,类型,名称,地址,区县,".encode())  # Chinese headers, as Excel shows them
    before = count(sqlite_services, Place)
    report = sqlite_services.transaction(lambda s: import_bytes(s, SPECS["places"], data))
    assert (report.inserted, report.updated, report.deleted, report.unchanged) == (0, 0, 0, before)
    assert count(sqlite_services, Place) == before
    assert export(sqlite_services, "places") == data


def test_an_edited_row_and_a_new_row_are_applied(sqlite_services: Services) -> None:
    data = (FAQ_HEADER + "新问题,,新答案,,faq,,0\n").encode("utf-8")
    sqlite_services.transaction(lambda s: import_bytes(s, SPECS["faq"], data))
    assert answers(sqlite_services, "新问题") == ["新答案"]


def test_the_same_file_imported_twice_adds_nothing_the_second_time(services: Services) -> None:
    """What was seen: 「新增 1 行，更新 18 行」 twice, and the new question stored twice."""
    question = f"驿站能借雨伞吗{uuid.uuid4().hex[:6]}"
    data = (FAQ_HEADER + f"{question},,能借。,,faq,,0\n").encode("utf-8")
    first = services.transaction(lambda s: import_bytes(s, SPECS["faq"], data))
    second = services.transaction(lambda s: import_bytes(s, SPECS["faq"], data))
    assert (first.inserted, second.inserted, second.updated, second.unchanged) == (1, 0, 0, 1)
    assert answers(services, question) == ["能借。"]
    # The same row edited, spelt with other punctuation, width and spacing: still that row.
    edited = (FAQ_HEADER + f" {question.upper()} ？,,能借，押身份证。,,faq,,0\n").encode("utf-8")
    third = services.transaction(lambda s: import_bytes(s, SPECS["faq"], edited))
    assert (third.inserted, third.updated) == (0, 1)
    assert services.read(lambda s: s.scalars(select(FaqEntry.answer).where(FaqEntry.answer.like("能借%"))).all()) == [
        "能借，押身份证。"
    ]


def test_two_branches_of_one_chain_are_two_places_and_stay_two(sqlite_services: Services) -> None:
    """Places are known by district, name, address and pin: a chain's branches share a name."""
    rows = [
        PLACE_HEADER,
        ",爱心商户,王记面馆,英雄中路1号,潞州区,,36.19,113.11,24/7,,,,,,0",
        ",爱心商户,王记面馆,太行东街8号,潞州区,,36.2,113.12,24/7,,,,,,0",
    ]
    data = "\n".join(rows).encode()
    before = count(sqlite_services, Place)
    assert sqlite_services.transaction(lambda s: import_bytes(s, SPECS["places"], data)).inserted == 2
    assert sqlite_services.transaction(lambda s: import_bytes(s, SPECS["places"], data)).inserted == 0
    assert count(sqlite_services, Place) == before + 2


def test_the_preview_says_what_is_added_changed_and_removed_and_writes_nothing(sqlite_services: Services) -> None:
    spec = SPECS["faq"]
    header, first, second, *rest = list(csv.reader(io.StringIO(export(sqlite_services, "faq").decode("utf-8-sig"))))
    old_answer = first[header.index("答案")]
    first[header.index("答案")] = "已改的答案"
    new = ["" for _ in header]
    new[header.index("问题")], new[header.index("答案")] = "全新的问题", "全新的答案"
    out = io.StringIO()
    csv.writer(out).writerows([header, first, *rest, new])
    data = out.getvalue().encode()
    before = count(sqlite_services, FaqEntry)

    plan = sqlite_services.read(lambda s: plan_import(s, spec, data, replace=False))
    question = first[header.index("问题")]
    assert plan.added == [RowChange(len(rest) + 3, "全新的问题")]
    assert plan.changed == [RowChange(2, question, (FieldChange("答案", old_answer, "已改的答案"),))]
    assert plan.removed == [] and plan.unchanged == len(rest)  # without 替换, the row the file lacks stays
    replacing = sqlite_services.read(lambda s: plan_import(s, spec, data, replace=True))
    assert replacing.removed == [RowChange(0, second[header.index("问题")])]
    assert count(sqlite_services, FaqEntry) == before and answers(sqlite_services, question) == [old_answer]


def test_a_confirmed_preview_writes_exactly_that_and_a_stale_one_is_refused(sqlite_services: Services) -> None:
    spec = SPECS["faq"]
    data = (FAQ_HEADER + "预览里的问题,,预览里的答案,,faq,,0\n").encode("utf-8")
    digest = sqlite_services.read(lambda s: plan_import(s, spec, data)).digest
    assert digest == sqlite_services.read(lambda s: table_digest(s, spec))

    def edit_elsewhere(session) -> None:
        session.scalars(select(FaqEntry).order_by(FaqEntry.id)).first().answer = "别人刚改过"

    sqlite_services.transaction(edit_elsewhere)
    with pytest.raises(ImportStale):
        sqlite_services.transaction(lambda s: confirm_import(s, spec, data, False, digest))
    assert answers(sqlite_services, "预览里的问题") == []
    fresh = sqlite_services.read(lambda s: plan_import(s, spec, data)).digest
    report = sqlite_services.transaction(lambda s: confirm_import(s, spec, data, False, fresh))
    assert (report.inserted, report.updated) == (1, 0)
    assert answers(sqlite_services, "预览里的问题") == ["预览里的答案"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_files_in_every_encoding_excel_writes_are_read(sqlite_services: Services, encoding: str) -> None:
    """What was seen: a GBK file refused with 「第0行」."""
    text = "问题,其他问法,答案,标签,意图,编号,示例数据\n骑手驿站几点关门,,晚上九点。,,faq,,否\n"
    report = sqlite_services.transaction(lambda s: import_bytes(s, SPECS["faq"], text.encode(encoding)))
    assert report.inserted == 1
    assert answers(sqlite_services, "骑手驿站几点关门") == ["晚上九点。"]


def test_errors_name_the_row_as_excel_numbers_it_and_the_chinese_header(sqlite_services: Services) -> None:
    """A cell of three lines is one row in Excel, and so are a blank line and the empty row Excel writes
    as commas (both skipped): rows, not lines, are counted."""
    three_lines = '有三行的问题,"问法一\n问法二\n问法三",答案,,faq,,0\n'
    data = (FAQ_HEADER + three_lines + "\n,,,,,,\n没有答案的问题,,,,faq,,0\n").encode()
    assert rejected_messages(sqlite_services, "faq", data) == ["第5行「答案」：不能为空"]


def test_a_bad_file_is_rejected_with_row_numbers_and_nothing_changes(sqlite_services: Services) -> None:
    before = count(sqlite_services, Place)
    good = "1,暖新驿站,好驿站,地址,潞州区,英雄中路,36.19,113.11,24/7,drinking_water,0355-1234567,,,,1"
    rows = [
        PLACE_HEADER,
        ",暖新驿站,新驿站,地址,潞州区,英雄中路,36.19,113.11,24/7,drinking_water,,,,,1",
        ",驿站,错类型,地址,潞州区,,36.19,113.11,24/7,,,,,,1",
        ",暖新驿站,坐标反了,地址,潞州区,,113.11,36.19,24/7,,,,,,1",
        ",暖新驿站,时间,地址,海淀区,,36.19,113.11,always,wifi|sauna,,,,,1",
        good,
    ]
    messages = rejected_messages(sqlite_services, "places", "\n".join(rows).encode("utf-8"))
    assert any(m.startswith("第3行「类型」：“驿站”不是以下之一") for m in messages)
    assert any(m.startswith("第4行「纬度」") for m in messages)
    assert any(m.startswith("第5行「区县」") for m in messages)
    assert any(m.startswith("第5行「开放时间」：开放时间看不懂“always”；例：Mo-Fr 08:00-20:00") for m in messages)
    assert any(m.startswith("第5行「设施」") and "sauna" in m for m in messages)
    assert count(sqlite_services, Place) == before


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"question,answer\n\xff\xfe,x\n", "文件的编码认不出：不是 UTF-8，也不是 GBK/GB18030"),
        (b"question,variants,answer,tags,intent,id,colour\n", "第1行：不认识的列：colour"),
        (b"variants,tags\n", "第1行：缺少列：问题、答案"),
        ("问题,answer,答案\n".encode(), "第1行「答案」：这一列出现了两次"),
        (f"{FAQ_HEADER}q,,a,,,7,0\nq2,,a2,,,7,0\n".encode(), "第3行：和第2行是同一条记录"),
        (f"{FAQ_HEADER}q,,a,,,,0\nＱ ?,,b,,,,0\n".encode(), "第3行：和第2行重复（Ｑ ?）"),
        (f"{FAQ_HEADER}q,,a,,,,0,extra\n".encode(), "第2行：这一行的格子比表头多"),
        (f"{FAQ_HEADER}q,,a\n".encode(), "第2行「标签」：这一行的格子比表头少"),
        (f'{FAQ_HEADER}q,,a,,,,0\n"unterminated,a\n'.encode(), "第3行「其他问法」：这一行的格子比表头少（是不是"),
        (f'{FAQ_HEADER}q,,a,,,,0\n"{"长" * 140_000}\n'.encode(), "第3行：CSV 格式错误：有一格超过 131072 个字"),
        (f"{FAQ_HEADER}q\x00,,a,,,,0\n".encode(), "第2行：CSV 格式错误：文件里有空字符"),
    ],
)
def test_malformed_files_say_what_is_wrong(sqlite_services: Services, data: bytes, expected: str) -> None:
    before = count(sqlite_services, FaqEntry)
    messages = rejected_messages(sqlite_services, "faq", data)
    assert any(m.startswith(expected) for m in messages), messages
    assert not any(m.startswith("第0行") for m in messages)
    assert count(sqlite_services, FaqEntry) == before


def test_a_row_made_to_repeat_a_stored_row_is_refused(sqlite_services: Services) -> None:
    first, second = sqlite_services.read(lambda s: s.scalars(select(FaqEntry).order_by(FaqEntry.id)).all()[:2])
    renamed = f"{FAQ_HEADER}{second.question},,答案,,faq,{first.id},0\n".encode()
    messages = rejected_messages(sqlite_services, "faq", renamed)
    assert messages == [f"第2行：导入后会和表里编号 {second.id} 的记录重复（{second.question}）"]


def test_a_row_without_an_id_that_matches_two_stored_rows_asks_which(sqlite_services: Services) -> None:
    """Duplicates stored before imports were idempotent: the file must say which one it means."""
    sqlite_services.transaction(lambda s: s.add_all([FaqEntry(question="重复的问题", answer=a) for a in "甲乙"]))
    ids = sqlite_services.read(lambda s: s.scalars(select(FaqEntry.id).where(FaqEntry.question == "重复的问题")).all())
    messages = rejected_messages(sqlite_services, "faq", f"{FAQ_HEADER}重复的问题,,丙,,faq,,0\n".encode())
    assert messages == [f"第2行：表里已有 2 条相同的记录（编号 {ids[0]}、{ids[1]}），请在「编号」列填上要更新的那一条"]
    report = sqlite_services.transaction(
        lambda s: import_bytes(s, SPECS["faq"], f"{FAQ_HEADER}重复的问题,,丙,,faq,{ids[1]},0\n".encode())
    )
    assert report.updated == 1 and sorted(answers(sqlite_services, "重复的问题")) == ["丙", "甲"]


def test_enrolments_export_masks_personal_data_and_cannot_be_imported(sqlite_services: Services) -> None:
    with pytest.raises(ImportRejected, match="“报名记录”只能导出，不能导入"):
        sqlite_services.transaction(lambda s: import_bytes(s, SPECS["enrolments"], b"id\n"))


def test_an_emptied_id_cell_does_not_overwrite_the_stored_id(services) -> None:
    from core.models import Landmark

    specs = table_specs(["潞州区"])
    before = services.read(lambda s: s.scalars(select(Landmark).where(Landmark.name == "长兴北路")).one().id)
    row = "id,name,aliases,kind,district,lat,lon\n,长兴北路,,street,潞州区,36.2120,113.1065\n".encode()
    report = services.transaction(lambda s: import_bytes(s, specs["landmarks"], row))
    assert report.updated + report.unchanged == 1 and report.inserted == 0
    assert services.read(lambda s: s.scalars(select(Landmark).where(Landmark.name == "长兴北路")).one().id) == before


def test_a_header_too_long_to_read_is_a_rejection_not_a_crash() -> None:
    with pytest.raises(ImportRejected, match="第1行：表头读不出来"):
        read_rows(table_specs(["潞州区"])["faq"], ("q" * 140_000 + "\r\n").encode())


def test_a_staged_file_is_kept_for_its_uploader_unaltered_and_for_an_hour(tmp_path: Path) -> None:
    store, now = StagedImports(tmp_path / "imports"), datetime(2026, 11, 26, 6, 0)
    staged = StagedImport("faq", True, "digest-of-the-table", 7, "问题\n".encode("gbk"))
    token = store.put(staged, now)
    assert store.get(token, 7, now + LIFETIME) == staged
    assert store.get(token, 8, now) is None  # another admin's
    assert store.get(token, 7, now + LIFETIME + timedelta(seconds=1)) is None
    for forged in ("../imports/" + token, token[:-1] + "/", ""):
        assert store.get(forged, 7, now) is None
    path = tmp_path / "imports" / f"{token}.json"
    assert path.stat().st_mode & 0o077 == 0  # the content's drafts are the admins' only
    record = json.loads(path.read_text())
    record["data"] = base64.b64encode(b"tampered").decode()
    path.write_text(json.dumps(record))
    assert store.get(token, 7, now) is None
    later = store.put(staged, now + LIFETIME + timedelta(seconds=1))  # expired files go as new ones come
    assert [p.name for p in (tmp_path / "imports").iterdir()] == [f"{later}.json"]
    store.discard(later)
    assert not list((tmp_path / "imports").iterdir())


def test_on_postgresql_a_confirmation_waits_for_a_writer_and_then_sees_its_row(pg_services: Services) -> None:
    """A row another admin is adding while the preview is confirmed makes the preview stale, not a duplicate."""
    spec, mark = SPECS["faq"], uuid.uuid4().hex[:6]
    data = f"{FAQ_HEADER}并发预览{mark},,答案,,faq,,0\n".encode()
    digest = pg_services.read(lambda s: plan_import(s, spec, data)).digest
    outcome: list = []

    def confirm() -> None:
        try:
            outcome.append(pg_services.transaction(lambda s: confirm_import(s, spec, data, False, digest)))
        except ImportStale as stale:
            outcome.append(stale)

    thread = threading.Thread(target=confirm)
    with pg_services.session_factory() as writer:
        writer.add(FaqEntry(question=f"另一位管理员刚加的{mark}", answer="x"))
        writer.flush()  # not committed yet
        thread.start()
        thread.join(timeout=1)
        waited = thread.is_alive()
        writer.commit()
    thread.join(timeout=30)
    assert waited  # for the writer
    assert [type(o) for o in outcome] == [ImportStale]
    assert answers(pg_services, f"并发预览{mark}") == []
