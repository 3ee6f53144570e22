"""FAQ retrieval over the database: paraphrases, and edits that take effect at once."""

import pytest
from sqlalchemy import select

from core import faq
from core.models import FaqEntry
from core.services import Services

# How well the sample content answers is measured on a fresh copy of it: the session's
# PostgreSQL database also holds the entries other tests add, which move BM25's term weights
# (a paraphrase scored 0.443 there against 0.45 needed once the content-editing tests had run).


def test_a_paraphrase_finds_its_entry(sqlite_services: Services) -> None:
    best = sqlite_services.faq.search("进驿站休息要不要花钱")[0]
    assert best.question == "暖新驿站收费吗"
    assert best.similarity >= faq.ANSWER_THRESHOLD


def test_unrelated_questions_match_nothing_well(sqlite_services: Services) -> None:
    matches = sqlite_services.faq.search("明天长治下雨吗")
    assert not matches or matches[0].similarity < faq.ANSWER_THRESHOLD


def test_entries_of_one_intent_only(services: Services) -> None:
    matches = services.faq.search("骑手怎么报名", intent="volunteer")
    assert matches and all(m.intent == "volunteer" for m in matches)


def test_an_edited_answer_is_served_by_the_next_question(services: Services) -> None:
    services.faq.search("驿站收费吗")  # builds the index

    def edit(session):
        entry = session.scalars(select(FaqEntry).where(FaqEntry.question == "暖新驿站收费吗")).one()
        entry.answer = "驿站全部免费（已更新）"

    services.transaction(edit)
    assert services.faq.search("驿站收费吗")[0].answer == "驿站全部免费（已更新）"


def test_a_new_entry_is_found_without_retraining(services: Services) -> None:
    services.faq.search("驿站收费吗")
    services.transaction(
        lambda s: s.add(
            FaqEntry(
                question="驿站能借打气筒吗",
                variants="驿站有没有打气筒\n能在驿站给电动车打气吗",
                answer="大部分驿站有打气筒。",
                tags="打气",
            )
        )
    )
    assert services.faq.search("驿站里有打气筒吗")[0].answer == "大部分驿站有打气筒。"


def test_retrieval_of_thousands_of_entries_ranks_the_right_one_first() -> None:
    entries = [
        FaqEntry(id=i, question=f"第{i}号问题 编号{i}的事项怎么办", variants="", answer=f"答{i}", tags="", intent=None)
        for i in range(1, 2001)
    ]
    entries.append(
        FaqEntry(id=5000, question="司机之家能洗澡吗", variants="司机之家有淋浴吗", answer="有", tags="", intent=None)
    )
    index = faq.FaqIndex(entries)
    assert index.search("司机之家可以洗个澡吗")[0].entry_id == 5000


def test_a_question_worded_as_a_variant_of_a_long_entry_is_answered_by_it() -> None:
    """BM25 scores a long entry's every term lower; the exact wording an admin added is its, all the same."""
    long = FaqEntry(
        id=1, question="驿站收费吗", variants="\n".join(f"驿站第{n}种问法要不要钱" for n in range(40)), answer="免费"
    )
    long.variants += "\n驿站的微波炉能随便用吗"
    other = FaqEntry(id=2, question="驿站里的微波炉在哪", variants="\n\n", answer="在里面")  # blank lines, as CSV has
    index = faq.FaqIndex([long, other])
    [best, *_] = index.search("驿站的 微波炉，能随便用吗？")
    assert (best.entry_id, best.similarity) == (1, 1.0)
    assert index.search("驿站的微波炉能随便用吗", intent="faq") == []  # neither entry has that intent
    assert all(m.similarity < 1.0 for m in index.search("？？")) and index.search("") == []


# --- entries written for one district ----------------------------------------------------------

NIGHT = "驿站夜里几点关门"


def district_entries() -> list:
    def entry(id: int, district, answer: str, question: str = NIGHT) -> FaqEntry:
        return FaqEntry(id=id, question=question, variants="", answer=answer, tags="", intent=None, district=district)

    return [
        entry(1, "屯留区", "屯留区的驿站22点关门"),
        entry(2, None, "各驿站关门时间不一，以门口公示为准"),
        entry(3, "潞州区", "潞州区的驿站通宵开放"),
        entry(4, "屯留区", "屯留区驿站的电话是0355-1", "屯留区驿站的电话是多少"),
        entry(5, None, "市里驿站的热线是12345", "驿站有没有热线电话"),
    ]


def test_the_riders_districts_entry_comes_before_the_citys_and_another_districts() -> None:
    index = faq.FaqIndex(district_entries())
    for district, first in (("屯留区", 1), ("潞州区", 3), ("上党区", 2), (None, 1)):
        exact = index.search(NIGHT, district=district)
        paraphrased = index.search("驿站晚上几点关门呀", district=district)
        print(district, [(m.entry_id, round(m.similarity, 3)) for m in paraphrased])
        assert exact[0].entry_id == first and exact[0].similarity == 1.0
        assert paraphrased[0].entry_id == first and paraphrased[0].similarity >= faq.ANSWER_THRESHOLD
    assert [m.entry_id for m in index.search(NIGHT, district="上党区")] == [2, 1, 3]  # the city's, then the rest


def test_another_districts_entry_counts_for_less_but_is_still_answered_when_asked_for() -> None:
    index = faq.FaqIndex(district_entries())
    own = index.search("屯留区驿站的电话是多少", district="屯留区")[0]
    elsewhere = index.search("屯留区驿站的电话是多少", district="潞州区")[0]
    assert (own.entry_id, own.similarity) == (4, 1.0)
    assert elsewhere.entry_id == 4 and elsewhere.similarity == faq.OTHER_DISTRICT_WEIGHT
    assert faq.reply_to([elsewhere]).answer == elsewhere
    loose = {district: index.search("驿站电话多少", district=district)[0] for district in ("屯留区", "潞州区")}
    assert loose["屯留区"].entry_id == loose["潞州区"].entry_id == 4
    assert loose["潞州区"].similarity == pytest.approx(loose["屯留区"].similarity * faq.OTHER_DISTRICT_WEIGHT)
