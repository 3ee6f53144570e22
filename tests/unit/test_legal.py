"""Legal answers by topic and working relationship, from the content admins edit (core.legal)."""

from datetime import date
from typing import Optional

import pytest
from sqlalchemy import select

from core import legal
from core.models import LegalSection, LegalTopic
from core.services import Services

TODAY = date(2026, 11, 30)


def answer(services: Services, intent: str, text: str, relationship: Optional[str], today: date = TODAY):
    def load(session):
        topic = legal.topic_for(session, intent, text)
        return topic.key, legal.answer(session, topic, relationship, today)

    return services.read(load)


# (intent the NLU gives, what the rider wrote, relationship) → (topic, words the answer must hold, words it must not)
CASES = [
    (
        "legal_platform_dispute",
        "超时被罚了200块",
        "crowd",
        "platform_dispute",
        ["法院", "3年"],
        ["仲裁一年", "一年内申请劳动仲裁"],
    ),
    ("legal_platform_dispute", "超时被罚了200块", "dedicated", "platform_dispute", ["20%", "仲裁"], []),
    ("legal_wage_arrears", "站点两个月没发工资", "crowd", "wage_arrears", ["法院", "3年"], ["仲裁一年"]),
    ("legal_wage_arrears", "站点两个月没发工资 我还在干", "dedicated", "wage_arrears", ["不受一年限制", "12333"], []),
    ("legal_wage_arrears", "站点两个月没发工资", "unknown", "wage_arrears", ["一年"], []),
    ("legal_wage_arrears", "押金不退", "dedicated", "deposit", ["押金", "12333"], []),
    ("legal_traffic_accident", "被车撞了 对方跑了", None, "hit_and_run", ["救助基金", "122"], []),
    ("legal_traffic_accident", "代驾开客户的车出了事故", None, "driver_designated", [], []),
    ("legal_work_injury", "送餐时被顾客打了", None, "customer_assault", ["110"], []),
    ("legal_work_injury", "职业伤害保障怎么报", None, "occupational_injury", ["12333"], []),
    ("legal_platform_dispute", "号被封了 不给派单", "crowd", "account_ban", [], []),
]


@pytest.mark.parametrize(("intent", "text", "relationship", "topic", "must", "must_not"), CASES)
def test_the_answer_names_the_forum_and_limit_that_fit(
    services: Services, intent, text, relationship, topic, must, must_not
) -> None:
    found_topic, found = answer(services, intent, text, relationship)
    assert found_topic == topic
    whole = "\n".join(found.texts.values())
    for word in must:
        assert word in whole, (topic, relationship, word)
    for word in must_not:
        assert word not in whole, (topic, relationship, word)


def test_every_section_has_a_source_and_a_review_date(services: Services) -> None:
    sections = services.read(lambda s: list(s.scalars(select(LegalSection))))
    assert len(sections) > 100
    assert all(s.source.strip() and s.reviewed_on for s in sections)


def test_every_topic_answers_every_aspect_for_every_relationship(services: Services) -> None:
    topics = services.read(lambda s: list(s.scalars(select(LegalTopic))))
    assert {t.intent for t in topics} == set(legal.LEGAL_INTENTS)
    for topic in topics:
        for relationship in ("dedicated", "crowd", "contract", "unknown"):
            found = services.read(lambda s, t=topic, r=relationship: legal.answer(s, t, r, TODAY))
            assert set(found.texts) == set(legal.ASPECTS), (topic.key, relationship)


def test_a_statement_with_a_start_date_holds_only_from_that_day(services: Services) -> None:
    """职业伤害保障 in 山西: until an admin dates its start, the answer says it could not be confirmed."""
    _, today = answer(services, "legal_work_injury", "职业伤害保障怎么报", None)
    _, later = answer(services, "legal_work_injury", "职业伤害保障怎么报", None, date(2099, 1, 1))
    assert "没能确认" in today.text("summary") and "12333" in today.text("summary")
    assert "没能确认" not in later.text("summary") and "山西已开通" in later.text("summary")


def test_a_relationship_the_topic_does_not_care_about_is_ignored(services: Services) -> None:
    _, crowd = answer(services, "legal_traffic_accident", "被车撞了 对方跑了", "crowd")
    _, nobody = answer(services, "legal_traffic_accident", "被车撞了 对方跑了", None)
    assert crowd.texts == nobody.texts


def test_the_longest_keyword_picks_the_branch_and_no_keyword_the_default(services: Services) -> None:
    assert answer(services, "legal_wage_arrears", "工钱一直拖着", "dedicated")[0] == "wage_arrears"
    assert answer(services, "legal_labor_contract", "被站长辞退了", "dedicated")[0] == "dismissal"


def test_a_section_key_names_what_it_answers() -> None:
    assert legal.section_key("deposit", "crowd", "steps") == "deposit/crowd/steps/"
    assert legal.section_key("x", "any", "summary", date(2027, 1, 1)) == "x/any/summary/2027-01-01"
