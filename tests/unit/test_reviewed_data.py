"""Labelled inbox examples written as Rasa NLU YAML, one file per intent (core.reviewed_data)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core import review, reviewed_data
from core.models import LabelledExample
from core.services import Services
from tests.conftest import FIXED_UTC


def label(services: Services, intent: str, *texts: str) -> None:
    examples = [LabelledExample(text=t, intent=intent, created_by="admin", created_at=FIXED_UTC) for t in texts]
    services.transaction(lambda s: s.add_all(examples))


def test_one_file_per_intent_in_rasas_nlu_format(sqlite_services: Services, tmp_path: Path) -> None:
    label(sqlite_services, "legal_wage_arrears", "俺的钱被扣了咋整", "工资[押着]不给(怎么办)")
    label(sqlite_services, "find_station", "哪能歇脚\n喝口水")
    written = sqlite_services.read(lambda s: reviewed_data.write(s, tmp_path))
    assert [p.name for p in written] == ["find_station.yml", "legal_wage_arrears.yml"]
    wages = yaml.safe_load((tmp_path / "legal_wage_arrears.yml").read_text(encoding="utf-8"))
    assert wages["version"] == "3.1" and wages["nlu"][0]["intent"] == "legal_wage_arrears"
    assert wages["nlu"][0]["examples"].splitlines() == ["- 俺的钱被扣了咋整", "- 工资［押着］不给(怎么办)"]
    station = yaml.safe_load((tmp_path / "find_station.yml").read_text(encoding="utf-8"))
    assert station["nlu"][0]["examples"].splitlines() == ["- 哪能歇脚 喝口水"]


def test_the_same_examples_give_the_same_bytes_and_duplicates_are_written_once() -> None:
    first = reviewed_data.nlu_yaml("greet", ["你好", "你好", "在吗"])
    assert first == reviewed_data.nlu_yaml("greet", ["你好", "在吗"])
    assert first.count("你好") == 1


def test_a_name_that_is_no_intent_never_becomes_a_path() -> None:
    with pytest.raises(ValueError):
        reviewed_data.nlu_yaml("../../config", ["x"])


def test_labelling_in_the_inbox_writes_nothing_under_data(sqlite_services: Services) -> None:
    item = review.Unanswered("俺的钱被扣了咋整", "fallback", "webchat")
    group = sqlite_services.transaction(lambda s: review.record(s, item, FIXED_UTC)).group_id
    before = sorted(reviewed_data.REVIEWED_DIR.parent.rglob("*"))
    sqlite_services.transaction(lambda s: review.label_intent(s, group, "legal_wage_arrears", "admin", FIXED_UTC))
    assert sorted(reviewed_data.REVIEWED_DIR.parent.rglob("*")) == before
