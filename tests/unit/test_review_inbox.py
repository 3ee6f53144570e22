"""The review inbox: masked messages grouped by similar wording, statuses, and what admins make of a group;
riders' 👍/👎 on answers. Both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Iterator, List, Optional

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import answer_ratings, review
from core.content import revisions
from core.models import ContentRevision, FaqDraft, FaqEntry, InboxGroup, InboxMessage, LabelledExample, RatedAnswer
from core.services import Services
from core.workers import WorkerRef, remember_district
from tests.conftest import FIXED_UTC

LATER = FIXED_UTC + timedelta(hours=1)


@pytest.fixture(autouse=True)
def services(services: Services) -> Iterator[Services]:
    """The PostgreSQL schema lives for the session: each test leaves the inbox and the FAQ as it found them."""
    variants = dict(services.read(lambda s: s.execute(select(FaqEntry.id, FaqEntry.variants)).all()))
    yield services

    def restore(session: Session) -> None:
        for table in (LabelledExample, FaqDraft, InboxMessage, RatedAnswer, InboxGroup):
            session.execute(delete(table))
        session.execute(delete(FaqEntry).where(FaqEntry.id.not_in(list(variants))))
        for entry in session.scalars(select(FaqEntry)):
            entry.variants = variants[entry.id]

    services.transaction(restore)


def keep(services: Services, text: str, reason: str = "fallback", **kw: object) -> Optional[int]:
    item = review.Unanswered(text, reason, str(kw.pop("channel", "webchat")), **kw)  # type: ignore[arg-type]
    message = services.transaction(lambda s: review.record(s, item, FIXED_UTC))
    return message.group_id if message else None


def rows(services: Services, **filters: object) -> list:
    return services.read(lambda s: review.groups(s, review.Filters(**filters)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "together"),
    [
        ("驿站几点关门", "驿站几点关门啊", True),  # 5 of 6 bigrams
        ("驿站几点关门", "驿站 几点关门？", True),  # the same once normalised
        ("驿站几点关门", "驿站几点开门", False),  # 3 of 7
        ("老板拖欠工资怎么办", "电动车在哪里充电", False),
    ],
)
def test_similar_wordings_share_a_group(services: Services, a: str, b: str, together: bool) -> None:
    first, second = keep(services, a), keep(services, b)
    assert (first == second) is together


def test_the_similarity_is_the_jaccard_of_character_bigrams() -> None:
    assert review.similarity("驿站几点关门", "驿站几点关门啊") == pytest.approx(5 / 6)
    assert review.similarity("驿站几点关门", "驿站几点开门") == pytest.approx(3 / 7)
    assert review.similarity("好", "好") == 1.0


def test_text_is_masked_and_counts_and_first_and_last_seen_are_kept(services: Services) -> None:
    item = review.Unanswered("我叫王大明 电话13812345678 押金不退", "fallback", "telegram")
    services.transaction(lambda s: review.record(s, item, FIXED_UTC))
    services.transaction(lambda s: review.record(s, item, LATER))
    [row] = [r for r in rows(services) if "押金不退" in r.sample]
    assert "13812345678" not in row.sample and "王大明" not in row.sample and "138****5678" in row.sample
    assert (row.count, row.first_seen, row.last_seen) == (2, FIXED_UTC, LATER)
    stored = services.read(lambda s: s.scalars(select(InboxMessage.text)).all())
    assert not any("13812345678" in text for text in stored)


def test_a_group_shows_its_newest_few_messages_however_many_joined(services: Services) -> None:
    for minute in range(review.EXAMPLES_PER_GROUP + 3):
        item = review.Unanswered(f"工资不发{'啊' * (minute % 2)}", "fallback", "webchat")
        services.transaction(lambda s, m=minute, i=item: review.record(s, i, FIXED_UTC + timedelta(minutes=m)))
    [row] = rows(services)
    assert row.count == review.EXAMPLES_PER_GROUP + 3
    newest = FIXED_UTC + timedelta(minutes=review.EXAMPLES_PER_GROUP + 2)
    assert [e.at for e in row.examples] == [newest - timedelta(minutes=n) for n in range(review.EXAMPLES_PER_GROUP)]


def test_a_button_payload_or_a_message_without_words_is_not_kept(services: Services) -> None:
    assert keep(services, '/faq{"faq_id": 3}') is None
    assert keep(services, "？？！") is None


def test_filters_by_district_channel_reason_and_date(services: Services) -> None:
    keep(services, "黎城有没有驿站可以热饭", district="黎城县", channel="telegram", reason="out_of_scope")
    keep(services, "黎城有没有驿站可以热饭呀", district="潞州区", channel="webchat", reason="fallback")
    [row] = rows(services, district="黎城县")
    assert row.count == 1 and row.examples[0].channel == "telegram"
    assert rows(services, channel="webchat")[0].count == 1
    assert rows(services, reason="out_of_scope")[0].examples[0].district == "黎城县"
    assert rows(services, reason="thumbs_down") == []
    assert rows(services, since=FIXED_UTC + timedelta(seconds=1)) == []
    assert rows(services, until=FIXED_UTC + timedelta(seconds=1))[0].count == 2
    assert rows(services, until=FIXED_UTC) == []


def test_an_ignored_group_stays_ignored_when_new_messages_join_it(services: Services) -> None:
    group = keep(services, "能不能帮我抢单")
    services.transaction(lambda s: review.set_status(s, group, review.IGNORED, "admin"))
    assert keep(services, "能不能帮我抢单啊") == group
    assert rows(services, status=review.PENDING) == []
    assert rows(services, status=review.IGNORED)[0].count == 2


def test_a_resolved_group_comes_back_when_riders_still_ask(services: Services) -> None:
    group = keep(services, "暖新驿站能洗澡吗")
    services.transaction(lambda s: review.set_status(s, group, review.RESOLVED, "admin"))
    assert rows(services, status=review.PENDING) == []
    keep(services, "暖新驿站能洗澡吗")
    assert [r.id for r in rows(services, status=review.PENDING)] == [group]


def test_unknown_statuses_and_groups_are_refused(services: Services) -> None:
    group = keep(services, "这个怎么弄")
    with pytest.raises(review.ReviewError, match="unknown_status"):
        services.transaction(lambda s: review.set_status(s, group, "deleted", "admin"))
    with pytest.raises(review.ReviewError, match="no_such_group"):
        services.transaction(lambda s: review.set_status(s, 999_999, review.IGNORED, "admin"))


def faq_revisions(services: Services, entry_id: int) -> List[ContentRevision]:
    query = select(ContentRevision).where(ContentRevision.kind == "faq", ContentRevision.row_id == entry_id)
    return services.read(lambda s: list(s.scalars(query.order_by(ContentRevision.id))))


def test_a_variant_added_from_a_group_answers_the_next_question_at_once(services: Services) -> None:
    question = "驿站的微波炉坏了找谁修"
    entry_id = services.read(lambda s: s.scalars(select(FaqEntry.id).order_by(FaqEntry.id)).first())
    assert all(m.entry_id != entry_id for m in services.faq.search(question) if m.similarity >= 0.45)
    group = keep(services, question)
    services.transaction(lambda s: review.add_variant(s, group, entry_id, "admin", LATER))
    assert services.faq.search(question)[0].entry_id == entry_id
    entry = services.read(lambda s: s.get(FaqEntry, entry_id))
    assert entry.variants.splitlines()[-1] == question
    assert rows(services, status=review.RESOLVED)[0].resolution == f"variant:{entry_id}"
    services.transaction(lambda s: review.add_variant(s, group, entry_id, "admin", LATER))
    assert services.read(lambda s: s.get(FaqEntry, entry_id)).variants.count(question) == 1
    [change] = faq_revisions(services, entry_id)  # the second click added nothing: no second revision
    assert change.action == "updated" and change.actor == "admin"
    assert [(c.attr, c.after.splitlines()[-1]) for c in revisions.changes(change)] == [("variants", question)]


def test_a_draft_answers_no_one_until_it_is_published(services: Services) -> None:
    question = "骑手摔伤了驿站有没有碘伏创可贴"
    group = keep(services, question)
    draft = services.transaction(lambda s: review.draft_faq(s, group, "admin", LATER))
    assert services.read(lambda s: s.scalar(select(func.count(FaqEntry.id)).where(FaqEntry.question == question))) == 0
    assert all(m.question != question for m in services.faq.search(question))
    with pytest.raises(review.ReviewError, match="draft_incomplete"):
        services.transaction(lambda s: review.publish_draft(s, draft.id, question, " ", None, "admin", LATER))
    answer = "驿站都备有药箱。"
    entry = services.transaction(lambda s: review.publish_draft(s, draft.id, question, answer, None, "admin", LATER))
    assert services.faq.search(question)[0].entry_id == entry.id
    assert services.read(lambda s: s.get(FaqDraft, draft.id).published_faq_id) == entry.id
    [created] = faq_revisions(services, entry.id)
    assert (created.action, created.before, revisions.after_of(created)["answer"]) == ("created", None, answer)
    assert services.read(review.drafts) == []
    with pytest.raises(review.ReviewError, match="no_such_draft"):
        services.transaction(lambda s: review.publish_draft(s, draft.id, question, "again", None, "admin", LATER))


def test_a_group_labelled_with_an_intent_is_queued_for_training_once(services: Services) -> None:
    group = keep(services, "俺的钱被扣了咋整")
    keep(services, "俺的钱被扣了咋整啊")
    services.transaction(lambda s: review.label_intent(s, group, "legal_wage_arrears", "admin", LATER))
    services.transaction(lambda s: review.label_intent(s, group, "legal_wage_arrears", "admin", LATER))
    texts = services.read(lambda s: s.scalars(select(LabelledExample.text).order_by(LabelledExample.id)).all())
    assert texts == ["俺的钱被扣了咋整", "俺的钱被扣了咋整啊"]
    with pytest.raises(review.ReviewError, match="unknown_intent"):
        services.transaction(lambda s: review.label_intent(s, group, "no_such_intent", "admin", LATER))


def test_a_thumbs_down_puts_the_question_in_the_inbox_with_the_answer_it_rated(services: Services) -> None:
    worker = WorkerRef("webchat", "web-rater")
    services.transaction(lambda s: remember_district(s, worker, "屯留区"))
    answer = services.transaction(
        lambda s: answer_ratings.offer(
            s, worker, "驿站收费吗 我电话13912345678", "【驿站收费吗】免费", "utter_faq_answer", 7, FIXED_UTC
        )
    )
    assert services.transaction(lambda s: answer_ratings.rate(s, answer, worker, answer_ratings.DOWN, LATER))
    [row] = rows(services, reason="thumbs_down")
    example = row.examples[0]
    assert "13912345678" not in example.text and "驿站收费吗" in example.text
    assert (example.rated_answer, example.rated_response, example.rated_faq_id) == (
        "【驿站收费吗】免费",
        "utter_faq_answer",
        7,
    )
    assert example.district == "屯留区"
    services.transaction(lambda s: answer_ratings.rate(s, answer, worker, answer_ratings.DOWN, LATER))
    assert rows(services, reason="thumbs_down")[0].count == 1  # rated twice, kept once
    services.transaction(lambda s: answer_ratings.rate(s, answer, worker, answer_ratings.UP, LATER))
    assert rows(services, reason="thumbs_down") == []


def test_only_the_rider_who_got_the_answer_can_rate_it(services: Services) -> None:
    worker = WorkerRef("telegram", "tg:1")
    answer = services.transaction(lambda s: answer_ratings.offer(s, worker, "问", "答", None, None, FIXED_UTC))
    for other in (WorkerRef("telegram", "tg:2"), WorkerRef("webchat", "tg:1")):
        assert not services.transaction(
            lambda s, o=other: answer_ratings.rate(s, answer, o, answer_ratings.DOWN, LATER)
        )
    assert not services.transaction(lambda s: answer_ratings.rate(s, 999_999, worker, answer_ratings.DOWN, LATER))
    assert services.read(lambda s: s.scalar(select(func.count(InboxGroup.id)))) == 0
