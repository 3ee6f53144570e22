"""Editing content rows (core.content.editing): validation reasons, revisions, diff, revert, expiry, 试一试."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Dict, List

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.content import editing, revisions, try_it
from core.content.loader import district_names
from core.faq import FaqMatch
from core.models import ContentRevision, Enrolment, FaqEntry, Place, Programme
from core.opening_hours import OpeningHours
from core.services import Services
from tests.conftest import FIXED_TODAY, FIXED_UTC

CONTEXT = editing.Context(district_names())
ACTOR = "staff:admin"
FAQ = editing.KINDS["faq"]
PLACES = editing.KINDS["places"]


def new_faq(services: Services, question: str, answer: str = "旧答案") -> int:
    """An entry of the test's own (the PostgreSQL database is shared by the session)."""

    def add(session: Session) -> int:
        entry = FaqEntry(question=question, variants="", answer=answer, tags="")
        session.add(entry)
        session.flush()
        return entry.id

    return services.transaction(add)


def form(services: Services, kind: editing.Kind, row_id: int, **changes: object) -> Dict[str, List[str]]:
    values = services.read(lambda s: editing.form_of(kind, editing.row_of(s, kind, row_id)))
    values.update({k: v if isinstance(v, list) else [str(v)] for k, v in changes.items()})
    return values


def save(services: Services, kind: editing.Kind, row_id: int, **changes: object) -> int:
    values = form(services, kind, row_id, **changes)
    return services.transaction(lambda s: editing.save(s, kind, row_id, values, CONTEXT, ACTOR, FIXED_UTC))


def refused(services: Services, kind: editing.Kind, row_id: int, **changes: object) -> Dict[str, str]:
    with pytest.raises(editing.InvalidForm) as caught:
        save(services, kind, row_id, **changes)
    return caught.value.errors


def a_place(services: Services, offset: int) -> int:
    """A 7:00–22:00 station, a different one per test (edits stay in the shared PostgreSQL database)."""
    query = select(Place.id).where(Place.hours == "Mo-Su 07:00-22:00").order_by(Place.id).offset(offset)
    return services.read(lambda s: s.scalar(query))


def test_an_edit_is_stored_with_who_when_and_the_row_before_and_after(services: Services) -> None:
    entry = new_faq(services, "单元测试：驿站几点关门")
    revision_id = save(services, FAQ, entry, answer="晚上十点", owner="市总工会", district="潞州区")
    revision = services.read(lambda s: s.get(ContentRevision, revision_id))
    assert (revision.kind, revision.row_id, revision.action, revision.actor, revision.at) == (
        "faq", entry, "updated", ACTOR, FIXED_UTC,
    )  # fmt: skip
    before, after = revisions.before_of(revision), revisions.after_of(revision)
    assert (before["answer"], after["answer"]) == ("旧答案", "晚上十点")
    assert (before["district"], after["district"]) == (None, "潞州区")
    changes = services.read(lambda s: editing.diff(s.get(ContentRevision, revision_id)))
    assert [(c.label, c.before, c.after) for c in changes] == [
        ("答案", "旧答案", "晚上十点"), ("区县（不选表示全市）", "（空）", "潞州区"), ("负责人", "（空）", "市总工会"),
    ]  # fmt: skip


def test_saving_what_is_stored_writes_no_revision(services: Services) -> None:
    entry = new_faq(services, "单元测试：没改什么")
    assert save(services, FAQ, entry) is None
    query = select(Place.id).where(Place.hours == "Mo-Sa 09:00-21:00; Su off").order_by(Place.id)
    station = services.read(lambda s: s.scalar(query))
    assert save(services, PLACES, station) is None  # the picker spells it Mo-Sa 09:00-21:00: the same hours
    assert services.read(lambda s: s.get(Place, station).hours) == "Mo-Sa 09:00-21:00; Su off"


def test_each_refused_field_says_why_and_nothing_is_written(services: Services) -> None:
    entry = new_faq(services, "单元测试：拒绝")
    errors = refused(services, FAQ, entry, question="", answer="新答案", valid_until="明年", district="北京")
    assert errors == {
        "question": "不能为空",
        "valid_until": "“明年”不是日期（格式 2027-07-01）",
        "district": "请选择一个区县",
    }
    assert services.read(lambda s: s.get(FaqEntry, entry).answer) == "旧答案"
    assert (
        services.read(
            lambda s: s.scalar(
                select(func.count()).where(ContentRevision.row_id == entry, ContentRevision.kind == "faq")
            )
        )
        == 0
    )
    assert refused(services, FAQ, entry, question="问" * 201) == {"question": "最多 200 个字，现在 201 个"}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"hours_0_days": [], "hours_0_from": "", "hours_0_to": ""}, "请勾选“24小时开放”"),
        ({"hours_0_days": [], "hours_0_from": "08:00"}, "第 1 行没有勾选星期几"),
        ({"hours_0_to": ""}, "第 1 行请填开门和关门时间"),
        ({"hours_0_from": "7点"}, "时间要写成 时:分"),
    ],
)
def test_opening_hours_from_the_picker_are_refused_with_the_reason(
    services: Services, changes: Dict[str, object], reason: str
) -> None:
    errors = refused(services, PLACES, a_place(services, 1), **changes)
    assert list(errors) == ["hours"] and errors["hours"].startswith(reason)


def test_picker_lines_become_the_hours_the_nearest_search_reads(services: Services) -> None:
    station = a_place(services, 2)
    weekdays = ["Mo", "Tu", "We", "Th", "Fr"]
    save(services, PLACES, station, hours_0_days=weekdays, hours_0_from="08:00", hours_0_to="12:00",
         hours_1_days=weekdays, hours_1_from="14:00", hours_1_to="18:00",
         hours_2_days=["Sa"], hours_2_from="20:00", hours_2_to="02:00")  # fmt: skip
    hours = services.read(lambda s: s.get(Place, station).hours)
    assert hours == "Mo-Fr 08:00-12:00; Mo-Fr 14:00-18:00; Sa 20:00-02:00"
    assert OpeningHours.parse(hours).describe() == "周一至周五 08:00-12:00，14:00-18:00；周六 20:00-次日02:00"
    assert save(services, PLACES, station, hours_always="1") is not None
    assert services.read(lambda s: s.get(Place, station).hours) == "24/7"


def test_coordinates_are_refused_outside_changzhi_and_must_be_numbers(services: Services) -> None:
    station = a_place(services, 3)
    assert refused(services, PLACES, station, lat="abc", lon="") == {
        "lat": "“abc”不是数字",
        "lon": "经度要填数字，例如 113.117",
    }
    errors = refused(services, PLACES, station, lat="113.117", lon="36.195")  # swapped
    assert set(errors) == {"lat", "lon"} and "纬度和经度是否填反了" in errors["lat"]
    assert refused(services, PLACES, station, district="") == {"district": "请选择一个区县"}  # a station needs one


def test_programme_dates_and_ages_are_checked_against_each_other(services: Services) -> None:
    kind = editing.KINDS["programmes"]
    programme = services.read(lambda s: s.scalar(select(Programme.id).where(Programme.kind == "summer_camp")))
    errors = refused(
        services, kind, programme, start_date="2027-07-10", end_date="2027-07-01", age_min="12", age_max="6"
    )
    assert errors == {"end_date": "结束日期不能早于开始日期", "age_max": "最大年龄不能小于最小年龄"}
    with pytest.raises(editing.EditError):  # a childcare programme is not a training
        services.read(lambda s: editing.row_of(s, editing.KINDS["trainings"], programme))


def test_revert_undoes_only_what_its_revision_changed_and_is_a_revision_itself(services: Services) -> None:
    entry = new_faq(services, "单元测试：撤销")
    first = save(services, FAQ, entry, answer="第一次改")
    save(services, FAQ, entry, owner="张三")  # a later edit of another field stays
    edited_at = services.read(lambda s: s.get(FaqEntry, entry).updated_at)
    undo = services.transaction(lambda s: editing.revert(s, first, ACTOR, FIXED_UTC))
    row = services.read(lambda s: s.get(FaqEntry, entry))
    assert (row.answer, row.owner) == ("旧答案", "张三")
    assert row.updated_at > edited_at  # a revert is a change: the FAQ index's version moves on, never back
    revision = services.read(lambda s: s.get(ContentRevision, undo))
    assert (revision.action, revision.reverts_id) == ("reverted", first)
    with pytest.raises(editing.EditError) as caught:
        services.transaction(lambda s: editing.revert(s, first, ACTOR, FIXED_UTC))
    assert caught.value.code == "nothing_to_revert"
    services.transaction(lambda s: editing.revert(s, undo, ACTOR, FIXED_UTC))  # the revert undone in turn
    assert services.read(lambda s: s.get(FaqEntry, entry).answer) == "第一次改"


def test_a_reverted_answer_is_what_the_faq_search_finds_next(services: Services) -> None:
    question = "单元测试撤销以后骑手看到哪个答案"
    entry = new_faq(services, question)
    changed = save(services, FAQ, entry, answer="改过的答案")
    assert services.faq.search(question, 1, None)[0].answer == "改过的答案"
    services.transaction(lambda s: editing.revert(s, changed, ACTOR, FIXED_UTC))
    assert services.faq.search(question, 1, None)[0].answer == "旧答案"


def test_faq_past_their_valid_until_date_are_flagged(services: Services) -> None:
    expired = new_faq(services, "单元测试：昨天到期")
    current = new_faq(services, "单元测试：今天到期")
    save(services, FAQ, expired, valid_until=(FIXED_TODAY - timedelta(days=1)).isoformat())
    save(services, FAQ, current, valid_until=FIXED_TODAY.isoformat())
    flagged = {e.id for e in services.read(lambda s: editing.expired_faqs(s, FIXED_TODAY))}
    assert expired in flagged and current not in flagged
    listed = services.read(
        lambda s: editing.listing(s, FAQ, editing.Filters(words="单元测试", expired_only=True), FIXED_TODAY)
    )
    assert expired in {e.id for e in listed} and current not in {e.id for e in listed}


def test_the_list_searches_words_and_filters_by_district_and_kind(services: Services) -> None:
    places = services.read(
        lambda s: editing.listing(s, PLACES, editing.Filters(district="屯留区", subkind="司机之家"), FIXED_TODAY)
    )
    assert places and all((p.district, p.kind) == ("屯留区", "司机之家") for p in places)
    entry = new_faq(services, "单元测试：百分号 100% 的问题")
    found = services.read(lambda s: editing.listing(s, FAQ, editing.Filters(words="100%"), FIXED_TODAY))
    assert [e.id for e in found] == [entry]
    assert services.read(lambda s: editing.listing(s, FAQ, editing.Filters(words="0_%"), FIXED_TODAY)) == []


def _match(entry_id: int, similarity: float) -> FaqMatch:
    return FaqMatch(entry_id, f"问题{entry_id}", f"答案{entry_id}", None, similarity)


def test_try_it_answers_offers_or_hands_to_a_flow_as_the_actions_do() -> None:
    def search(question: str, limit: int, intent: object, district: object) -> List[FaqMatch]:
        return [_match(1, 0.5), _match(2, 0.3)] if question == "有把握" else [_match(3, 0.44), _match(4, 0.1)]

    def first(intent: str) -> FaqMatch:
        return _match(9, 0.0)

    faq_intent = try_it.Parsed("faq", 0.9)
    assert try_it.what_a_rider_gets("有把握", faq_intent, search, first).answer == _match(1, 0.5)
    unsure = try_it.what_a_rider_gets("没把握", faq_intent, search, first)
    assert (unsure.answer, unsure.offered) == (None, (_match(3, 0.44),))
    no_model = try_it.what_a_rider_gets("有把握", None, search, first)
    assert (no_model.route, no_model.answer) == ("no_model", _match(1, 0.5))
    flow = try_it.what_a_rider_gets("有把握", try_it.Parsed("find_station", 0.8), search, first)
    assert (flow.route, flow.answer) == ("flow", None)
    assert try_it.what_a_rider_gets("x", try_it.Parsed("volunteer", 0.8), lambda *a: [], first).answer == _match(9, 0.0)
    asked_as: List[object] = []

    def searched_as(question: str, limit: int, intent: object, district: object) -> List[FaqMatch]:
        asked_as.append(district)
        return []

    assert try_it.what_a_rider_gets("有把握", faq_intent, searched_as, first, "屯留区").district == "屯留区"
    assert asked_as == ["屯留区"]
    assert try_it.parsed({"intent": {"name": "faq", "confidence": 0.7}}) == try_it.Parsed("faq", 0.7)
    assert try_it.parsed({"intent": None}) is None and try_it.parsed([]) is None


def test_a_snapshot_restores_dates_as_dates() -> None:
    assert revisions.restored(FaqEntry, {"valid_until": "2027-01-31", "updated_at": "x"}) == {
        "valid_until": date(2027, 1, 31)
    }


def test_a_form_opened_before_someone_elses_edit_is_refused_and_writes_nothing(services: Services) -> None:
    entry = new_faq(services, "单元测试：两个人同时改")
    mine = form(services, FAQ, entry, answer="我的答案")
    save(services, FAQ, entry, answer="同事的答案")  # a colleague saves first
    with pytest.raises(editing.InvalidForm) as caught:
        services.transaction(lambda s: editing.save(s, FAQ, entry, mine, CONTEXT, ACTOR, FIXED_UTC))
    assert list(caught.value.errors) == ["base"] and "被别人改过" in caught.value.errors["base"]
    assert services.read(lambda s: s.get(FaqEntry, entry).answer) == "同事的答案"


def _new_faq_form(question: str) -> Dict[str, List[str]]:
    return {"question": [question], "answer": ["新问答的答案"], "variants": ["新问答的另一种问法"], "district": [""]}


def test_a_new_entry_answers_at_once_and_undoing_its_creation_removes_and_restores_it(services: Services) -> None:
    question = "单元测试新增的问答骑手马上能问到吗"
    entry, created = services.transaction(
        lambda s: editing.create(s, FAQ, _new_faq_form(question), CONTEXT, ACTOR, FIXED_UTC)
    )
    assert services.faq.search(question, 1, None)[0].entry_id == entry
    revision = services.read(lambda s: s.get(ContentRevision, created))
    assert (revision.action, revision.before, revisions.after_of(revision)["answer"]) == (
        "created",
        None,
        "新问答的答案",
    )
    removed = services.transaction(lambda s: editing.revert(s, created, ACTOR, FIXED_UTC))
    assert services.read(lambda s: s.get(FaqEntry, entry)) is None
    assert all(m.entry_id != entry for m in services.faq.search(question, 3, None))
    services.transaction(lambda s: editing.revert(s, removed, ACTOR, FIXED_UTC))
    back = services.read(lambda s: s.get(FaqEntry, entry))
    assert (back.question, back.variants, back.is_sample) == (question, "新问答的另一种问法", False)


def test_a_new_row_is_refused_like_an_edit_and_a_programme_with_sign_ups_is_not_removed(services: Services) -> None:
    with pytest.raises(editing.InvalidForm) as caught:
        services.transaction(
            lambda s: editing.create(s, FAQ, {"question": [""], "answer": ["答"]}, CONTEXT, ACTOR, FIXED_UTC)
        )
    assert caught.value.errors == {"question": "不能为空"}
    kind = editing.KINDS["trainings"]
    model = services.read(lambda s: s.scalar(select(Programme.id).where(Programme.kind == "lecture")))
    values = form(services, kind, model, title="单元测试新讲堂")
    programme, created = services.transaction(lambda s: editing.create(s, kind, values, CONTEXT, ACTOR, FIXED_UTC))
    services.transaction(
        lambda s: s.add(Enrolment(programme_id=programme, status="confirmed", channel="rest", sender_id="u1"))
    )
    with pytest.raises(editing.EditError) as refused:
        services.transaction(lambda s: editing.revert(s, created, ACTOR, FIXED_UTC))
    assert refused.value.code == "has_enrolments" and services.read(lambda s: s.get(Programme, programme)) is not None


def test_a_question_another_entry_already_has_is_refused_naming_that_entry(services: Services) -> None:
    first = new_faq(services, "单元测试：同一个问题吗？")
    second = new_faq(services, "单元测试：另一个问题")
    errors = refused(services, FAQ, second, question="单元测试 同一个问题吗")  # the same once cleaned
    assert errors == {"question": f"已有同样的问题（问答 #{first}）。请改那一条，或把这句加为它的其他问法"}
    with pytest.raises(editing.InvalidForm):
        services.transaction(
            lambda s: editing.create(s, FAQ, _new_faq_form("单元测试：同一个问题吗"), CONTEXT, ACTOR, FIXED_UTC)
        )
    assert save(services, FAQ, first, question="单元测试：同一个问题吗") is not None  # its own question is no clash
