"""The review inbox page (未识别问题): admins only, masked, filtered, and its one-click actions."""

from __future__ import annotations

import re
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import answer_ratings, review
from core.models import FaqDraft, FaqEntry, InboxGroup, LabelledExample
from core.services import Services
from core.workers import WorkerRef
from tests.conftest import FIXED_UTC
from tests.web.conftest import login

INBOX = "/console/admin/inbox"


def keep(services: Services, text: str, reason: str = "fallback", **kw: object) -> int:
    item = review.Unanswered(text, reason, str(kw.pop("channel", "webchat")), **kw)  # type: ignore[arg-type]
    return services.transaction(lambda s: review.record(s, item, FIXED_UTC)).group_id


def group(services: Services, group_id: int) -> InboxGroup:
    return services.read(lambda s: s.get(InboxGroup, group_id))


def row_of(html: str, group_id: int) -> Optional[str]:
    found = re.search(rf'<tr id="group-{group_id}".*?</tr>', html, re.S)
    return found.group(0) if found else None


async def test_only_admins_see_the_inbox_and_its_link(client, web_services) -> None:
    keep(web_services, "能帮我抢单吗")
    assert await login(client, "lz")
    assert (await client.get(INBOX)).status == 403
    assert 'href="/console/admin/inbox"' not in await (await client.get("/console/")).text()
    await client.post("/console/logout", data={"csrf": ""})


async def test_the_page_lists_groups_masked_with_counts_reasons_and_the_predicted_intent(client, web_services) -> None:
    first = keep(web_services, "我电话13812345678 押金啥时候退", intent="legal_wage_arrears", confidence=0.31)
    keep(web_services, "我电话13812345678 押金啥时候退呢", reason="repeat")
    assert await login(client, "admin")
    html = await (await client.get(INBOX)).text()
    assert 'href="/console/admin/inbox"' in html
    row = row_of(html, first)
    assert row is not None and "13812345678" not in html and "138****5678" in row
    assert '<td class="count">2</td>' in row
    assert "没听懂" in row and "重复提问" in row and "31%" in row


async def test_filters_narrow_by_reason_district_channel_and_date(client, web_services) -> None:
    lucheng = keep(web_services, "潞城的驿站能住宿吗", district="潞城区", channel="telegram")
    tunliu = keep(web_services, "屯留哪里有充电柜子", reason="out_of_scope", district="屯留区")
    assert await login(client, "admin")

    async def shown(query: str) -> set:
        html = await (await client.get(f"{INBOX}?{query}")).text()
        return {g for g in (lucheng, tunliu) if row_of(html, g)}

    assert await shown("") == {lucheng, tunliu}
    assert await shown("district=潞城区") == {lucheng}
    assert await shown("channel=telegram") == {lucheng}
    assert await shown("reason=out_of_scope") == {tunliu}
    assert await shown("from=2026-11-27") == set()
    assert await shown("from=2026-11-26&to=2026-11-26") == {lucheng, tunliu}


async def test_ignoring_a_group_keeps_new_messages_of_it_out_of_the_pending_list(client, web_services) -> None:
    group_id = keep(web_services, "你们能帮我抢单吗")
    csrf = await login(client, "admin")
    response = await client.post(
        f"{INBOX}/{group_id}/status", data={"csrf": csrf, "new_status": "ignored", "reason": "fallback"},
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303 and response.headers["Location"] == f"{INBOX}?reason=fallback"
    keep(web_services, "你们能帮我抢单吗？")
    assert row_of(await (await client.get(INBOX)).text(), group_id) is None
    assert row_of(await (await client.get(f"{INBOX}?status=ignored")).text(), group_id) is not None
    assert group(web_services, group_id).status == "ignored"


async def test_one_click_adds_a_variant_that_answers_at_once(client, web_services) -> None:
    question = "驿站里的微波炉能随便用吗"
    faq_id = web_services.read(lambda s: s.scalars(select(FaqEntry.id).order_by(FaqEntry.id)).first())
    group_id = keep(web_services, question)
    csrf = await login(client, "admin")
    await client.post(f"{INBOX}/{group_id}/variant", data={"csrf": csrf, "faq_id": str(faq_id)})
    html = await (await client.get(f"{INBOX}?status=resolved")).text()
    assert f"已加为问答 #{faq_id} 的问法" in row_of(html, group_id)
    assert web_services.faq.search(question)[0].entry_id == faq_id
    assert group(web_services, group_id).status == "resolved"


async def test_a_draft_is_created_and_published_by_an_admin(client, web_services) -> None:
    question = "骑手摔伤了驿站有没有碘伏"
    group_id = keep(web_services, question)
    csrf = await login(client, "admin")
    await client.post(f"{INBOX}/{group_id}/draft", data={"csrf": csrf})
    draft = web_services.read(lambda s: s.scalars(select(FaqDraft)).one())
    assert draft.question == question and all(m.question != question for m in web_services.faq.search(question))
    html = await (await client.get(INBOX)).text()
    assert f'id="draft-{draft.id}"' in html
    refused = await client.post(
        f"{INBOX}/drafts/{draft.id}/publish", data={"csrf": csrf, "question": question, "answer": ""}
    )
    assert refused.status == 400 and "请写好问题和答案" in await refused.text()
    await client.post(
        f"{INBOX}/drafts/{draft.id}/publish", data={"csrf": csrf, "question": question, "answer": "驿站备有药箱。"}
    )
    assert web_services.faq.search(question)[0].answer == "驿站备有药箱。"


async def test_labelling_a_group_queues_its_wordings_for_training(client, web_services) -> None:
    group_id = keep(web_services, "俺的钱被扣了咋整")
    csrf = await login(client, "admin")
    await client.post(f"{INBOX}/{group_id}/intent", data={"csrf": csrf, "intent": "legal_wage_arrears"})
    texts = web_services.read(lambda s: s.scalars(select(LabelledExample.text)).all())
    assert texts == ["俺的钱被扣了咋整"]
    html = await (await client.get(f"{INBOX}?status=resolved")).text()
    assert "例句，等下次训练" in row_of(html, group_id)


async def test_a_thumbs_down_is_shown_with_the_answer_that_was_rated(client, web_services) -> None:
    worker = WorkerRef("webchat", "web-down")
    answer_id = web_services.transaction(
        lambda s: answer_ratings.offer(
            s, worker, "驿站收费吗", "【驿站收费吗】免费开放", "utter_faq_answer", 1, FIXED_UTC
        )
    )
    web_services.transaction(lambda s: answer_ratings.rate(s, answer_id, worker, answer_ratings.DOWN, FIXED_UTC))
    keep(web_services, "别的问题没人点踩")
    assert await login(client, "admin")
    html = await (await client.get(f"{INBOX}?reason=thumbs_down")).text()
    assert "免费开放" in html and "问答 #1" in html and "别的问题没人点踩" not in html


async def test_a_rated_flow_answer_is_named_by_its_service_in_chinese(client, web_services) -> None:
    """Not by the response's internal name: an admin reads 「找驿站」, the name stays in the tooltip."""

    def thumbs_down(session: Session, sender: str, text: str, response: str) -> None:
        worker = WorkerRef("webchat", sender)
        answer_id = answer_ratings.offer(session, worker, f"{sender}的问题", text, response, None, FIXED_UTC)
        answer_ratings.rate(session, answer_id, worker, answer_ratings.DOWN, FIXED_UTC)

    web_services.transaction(lambda s: thumbs_down(s, "web-down-station", "英雄中路驿站：开着", "utter_station_item"))
    web_services.transaction(lambda s: thumbs_down(s, "web-down-legal", "先和站长协商", "utter_legal_wage_arrears"))
    assert await login(client, "admin")
    html = await (await client.get(f"{INBOX}?reason=thumbs_down")).text()
    shown = re.findall(r'<div class="rated-answer">被点👎的回答（<span title="([a-z_]+)">([^<]+)</span>）', html)
    assert sorted(shown) == [("utter_legal_wage_arrears", "维权指引"), ("utter_station_item", "找驿站")]
    assert "（流程 utter_" not in html


async def test_forged_or_malformed_actions_are_refused_with_4xx(client, web_services) -> None:
    group_id = keep(web_services, "这是啥")
    csrf = await login(client, "admin")
    assert (await client.post(f"{INBOX}/{group_id}/status", data={"new_status": "ignored"})).status == 403
    assert (await client.post(f"{INBOX}/{group_id}/status", data={"csrf": csrf, "new_status": "gone"})).status == 400
    assert (await client.post(f"{INBOX}/999999/status", data={"csrf": csrf, "new_status": "ignored"})).status == 404
    assert (await client.post(f"{INBOX}/{group_id}/variant", data={"csrf": csrf, "faq_id": "x" * 40})).status == 404
    assert (await client.post(f"{INBOX}/{group_id}/intent", data={"csrf": csrf, "intent": "nope"})).status == 400
    assert (await client.post(f"{INBOX}/{'9' * 40}/draft", data={"csrf": csrf})).status == 404
    assert group(web_services, group_id).status == "pending"
