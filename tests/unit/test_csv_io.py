"""CSV import and export: Excel-friendly files, line-numbered errors, nothing half-imported."""

import io

import pytest
from sqlalchemy import func, select

from core.content import loader
from core.content.csv_io import ImportRejected, export_table, import_bytes
from core.content.tables import table_specs
from core.models import FaqEntry, Place
from core.services import Services

SPECS = table_specs(loader.district_names())


def export(services: Services, table: str) -> bytes:
    out = io.StringIO()
    with services.session_factory() as session:
        export_table(session, SPECS[table], out)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def count(services: Services, model) -> int:
    with services.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_export_then_import_changes_nothing(sqlite_services: Services) -> None:
    data = export(sqlite_services, "places")
    assert data.startswith(b"\xef\xbb\xbf")
    before = count(sqlite_services, Place)
    report = sqlite_services.transaction(lambda s: import_bytes(s, SPECS["places"], data))
    assert (report.inserted, report.updated) == (0, before)
    assert count(sqlite_services, Place) == before
    assert export(sqlite_services, "places") == data


def test_an_edited_row_and_a_new_row_are_applied(sqlite_services: Services) -> None:
    header = "question,variants,answer,tags,intent,id,is_sample\n"
    data = (header + "新问题,,新答案,,faq,,0\n").encode("utf-8")
    sqlite_services.transaction(lambda s: import_bytes(s, SPECS["faq"], data))
    with sqlite_services.session_factory() as session:
        assert session.scalars(select(FaqEntry).where(FaqEntry.question == "新问题")).one().answer == "新答案"


def test_a_bad_file_is_rejected_with_line_numbers_and_nothing_changes(sqlite_services: Services) -> None:
    before = count(sqlite_services, Place)
    good = "1,暖新驿站,好驿站,地址,潞州区,英雄中路,36.19,113.11,24/7,drinking_water,0355-1234567,,,,1"
    rows = [
        "id,kind,name,address,district,street,lat,lon,hours,amenities,phone,operator,closed_until,closure_note,is_sample",
        ",暖新驿站,新驿站,地址,潞州区,英雄中路,36.19,113.11,24/7,drinking_water,,,,,1",
        ",驿站,错类型,地址,潞州区,,36.19,113.11,24/7,,,,,,1",
        ",暖新驿站,坐标反了,地址,潞州区,,113.11,36.19,24/7,,,,,,1",
        ",暖新驿站,时间,地址,海淀区,,36.19,113.11,always,wifi|sauna,,,,,1",
        good,
    ]
    with pytest.raises(ImportRejected) as rejected:
        sqlite_services.transaction(lambda s: import_bytes(s, SPECS["places"], "\n".join(rows).encode("utf-8")))
    messages = [str(e) for e in rejected.value.errors]
    assert any(m.startswith("第3行 kind") for m in messages)
    assert any(m.startswith("第4行 lat") for m in messages)
    assert any(m.startswith("第5行 district") for m in messages)
    assert any(m.startswith("第5行 hours") for m in messages)
    assert any(m.startswith("第5行 amenities") and "sauna" in m for m in messages)
    assert count(sqlite_services, Place) == before


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"question,answer\n\xff\xfe,x\n", "UTF-8"),
        (b"question,variants,answer,tags,intent,id,colour\n", "colour"),
        (b"variants,tags\n", "question"),
        (b"question,variants,answer,tags,intent,id,is_sample\nq,,a,,,7,0\nq2,,a2,,,7,0\n", "重复"),
        (b'question,answer\n"unterminated,a\n', ""),
    ],
)
def test_malformed_files_say_what_is_wrong(sqlite_services: Services, data: bytes, expected: str) -> None:
    before = count(sqlite_services, FaqEntry)
    with pytest.raises(ImportRejected) as rejected:
        sqlite_services.transaction(lambda s: import_bytes(s, SPECS["faq"], data))
    assert expected in str(rejected.value)
    assert count(sqlite_services, FaqEntry) == before


def test_enrolments_export_masks_personal_data_and_cannot_be_imported(sqlite_services: Services) -> None:
    with pytest.raises(ImportRejected):
        sqlite_services.transaction(lambda s: import_bytes(s, SPECS["enrolments"], b"id\n"))


def test_an_emptied_id_cell_does_not_overwrite_the_stored_id(services) -> None:
    from core.models import Landmark

    specs = table_specs(["潞州区"])
    before = services.read(lambda s: s.scalars(select(Landmark).where(Landmark.name == "长兴北路")).one().id)
    row = "id,name,aliases,kind,district,lat,lon\n,长兴北路,,street,潞州区,36.2120,113.1065\n".encode()
    report = services.transaction(lambda s: import_bytes(s, specs["landmarks"], row))
    assert report.updated == 1
    assert services.read(lambda s: s.scalars(select(Landmark).where(Landmark.name == "长兴北路")).one().id) == before


def test_a_header_too_long_to_read_is_a_rejection_not_a_crash() -> None:
    from core.content.csv_io import read_rows

    with pytest.raises(ImportRejected):
        read_rows(table_specs(["潞州区"])["faq"], ("q" * 140_000 + "\r\n").encode())
