"""Whole conversations through the rest channel against the running assistant."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import requests
from sqlalchemy import select

from core.clock import Clock
from core.db import make_engine, make_session_factory
from core.models import Enrolment, FaqEntry, Place, Programme, Ticket, TicketMessage
from tests.running import RunningStack


def sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def joined(replies) -> str:
    return "\n".join(m.get("text", "") for m in replies)


def buttons(replies):
    return [b for m in replies for b in m.get("buttons", [])]


def session_of(stack: RunningStack):
    return make_session_factory(make_engine(stack.database_url))


# --- conversation ---------------------------------------------------------------


def test_greeting_in_chinese_with_the_main_services_as_buttons(stack: RunningStack) -> None:
    replies = stack.say(sender("greet"), "你好")
    assert "暖新助手" in joined(replies)
    assert {"/find_station", "/request_human"} <= {b["payload"] for b in buttons(replies)}


def test_small_talk_intents(stack: RunningStack) -> None:
    who = sender("talk")
    assert "不是真人" in stack.texts(who, "你是机器人吗")
    assert "我能帮您" in stack.texts(who, "你都能干点啥")
    assert "不客气" in stack.texts(who, "太谢谢你了")
    assert "注意安全" in stack.texts(who, "好的拜拜 我去送单了")


def test_a_no_offers_a_person(stack: RunningStack) -> None:
    replies = stack.say(sender("deny"), "不用了")
    assert "/request_human" in {b["payload"] for b in buttons(replies)}


def test_out_of_scope_says_what_the_assistant_does(stack: RunningStack) -> None:
    assert "帮不上忙" in stack.texts(sender("oos"), "给我讲个笑话呗")


def test_unclear_message_gets_a_question_with_likely_topics_then_a_person(stack: RunningStack) -> None:
    who = sender("unclear")
    first = stack.say(who, "啊这")
    assert "没太明白" in joined(first)
    second = stack.say(who, "嘟嘟嘟嘟")
    assert "转给工作人员" in joined(second)


# --- stations -------------------------------------------------------------------


def test_nearest_stations_from_a_landmark_with_what_they_offer(stack: RunningStack) -> None:
    replies = stack.say(sender("near"), "英雄中路附近哪能充电")
    text = joined(replies)
    assert "英雄中路附近" in text and "手机充电" in text
    items = [m for m in replies if m.get("text", "").startswith(("1.", "2.", "3."))]
    assert len(items) == 3
    for item in items:
        assert "示例数据" in item["text"] and "米" in item["text"] and "分钟" in item["text"]
        assert "http" not in item["text"]  # never a raw long URL in a bubble
        links = {b["title"]: b["url"] for b in item["buttons"]}
        assert links["地图导航"].startswith("https://uri.amap.com/") and links["拨打电话"].startswith("tel:0355")


def test_shared_location_searches_around_those_coordinates(stack: RunningStack) -> None:
    payload = '/share_location{"latitude": 36.3157, "longitude": 112.8919}'
    replies = stack.say(sender("loc"), payload)
    assert "您附近" in joined(replies)
    first = next(m["text"] for m in replies if m.get("text", "").startswith("1."))
    name = first.split("\n")[0][3:]
    with session_of(stack)() as session:
        assert session.scalars(select(Place.district).where(Place.name == name)).first() == "屯留区"


def items_of(replies) -> list:
    return [m["text"] for m in replies if m.get("text", "")[:2] in {f"{n}." for n in range(1, 10)}]


def test_the_last_place_is_remembered_for_the_next_search(stack: RunningStack) -> None:
    who = sender("memory")
    assert "英雄中路附近" in stack.texts(who, "我在英雄中路 附近哪能喝口热水")
    again = stack.texts(who, "有充电的吗")
    assert "英雄中路附近现在开着、有手机充电的地方" in again and "您现在在哪儿" not in again
    battery = stack.texts(who, "有没有能充电瓶的")
    assert "有电动车充换电的地方" in battery and "有手机充电" not in battery


def ten_pm_is() -> str:
    """Which 22:00 「晚上十点」 means now in 长治: today's until half an hour after it, then tomorrow's."""
    now = Clock.for_zone("Asia/Shanghai").local()
    return "今天" if (now.hour, now.minute) < (22, 30) else "明天"


def test_questions_about_the_station_list(stack: RunningStack) -> None:
    who = sender("followup")
    listing = stack.say(who, "英雄中路附近哪能喝口热水")
    names = [item.split("\n")[0][3:] for item in items_of(listing)]
    assert len(names) == 3
    days = {ten_pm_is()}
    late = stack.texts(who, "晚上十点还开吗")
    days.add(ten_pm_is())
    assert any(late.startswith(f"{day}22:00") for day in days) and all(name in late for name in names)
    assert ("开着" in late) or ("关门" in late)
    second = stack.say(who, "第二个怎么走")
    assert second[0]["text"].startswith(f"2. {names[1]}") and "地址：" in second[0]["text"]
    assert any(b.get("url", "").startswith("https://uri.amap.com/") for b in second[0]["buttons"])
    microwave = stack.say(who, "哪个有微波炉")
    assert "微波炉" in joined(microwave) and "没找到" not in joined(microwave)
    more = stack.say(who, "还有别的吗")
    assert joined(more).startswith("再远一点的") and items_of(more)[0].startswith("4.")
    assert not set(names) & {item.split("\n")[0][3:] for item in items_of(more)}
    drivers = stack.texts(who, "司机之家呢")
    assert "英雄中路附近现在开着的司机之家" in drivers


def test_station_answers_say_what_they_found_truthfully(stack: RunningStack) -> None:
    near = stack.texts(sender("truth"), "上党区哪里有司机之家")
    assert "放宽" not in near and "公里内没有" not in near and "233米" in near
    far = stack.say(sender("far"), '/share_location{"latitude": 36.2, "longitude": 112.7}')
    text = joined(far)
    assert "1公里内没有，最近的在17.1公里外" in text
    first = items_of(far)[0]
    assert "17.1公里，电动车约68分钟" in first and "步行" not in first and "米，" not in first
    needs = stack.texts(sender("twice"), "附近哪有电动车充电、换电的地方 我在英雄中路")
    assert "有电动车充换电的地方" in needs and "电动车充换电、电动车充换电" not in needs


def test_station_form_asks_where_and_reasks_with_a_hint(stack: RunningStack) -> None:
    who = sender("form")
    assert "您现在在哪儿" in stack.texts(who, "想找个地方歇歇脚")
    assert "没找到" in stack.texts(who, "火星基地")
    text = stack.texts(who, "在长治县这边")
    assert "上党区" in text and "1." in text


def test_leaving_a_form_at_any_time(stack: RunningStack) -> None:
    who = sender("leave")
    stack.say(who, "想找个地方歇歇脚")
    assert "还有什么需要帮忙" in stack.texts(who, "算了")
    assert "暖新助手" in stack.texts(who, "你好")


# --- legal ----------------------------------------------------------------------

LEGAL = {
    "站点老板拖了我俩月工资一直不给": "讨要工资",
    "送外卖路上摔断了腿算工伤吗": "工伤",
    "骑电动车被小轿车撞了 对方不赔": "交通事故",
    "超时被平台罚了200块能申诉吗": "平台罚款",
    "干了半年没签劳动合同 现在要辞退我": "被辞退",
    "灵活就业的骑手怎么交养老保险": "社保",
    "哪里能找免费律师": "法律援助",
}
ASPECT_BUTTONS = {"证据", "时限", "去哪办", "找律师", "转人工"}
RELATIONSHIP_BUTTONS = {"专送/站点招的", "众包/自己注册接单", "跟公司签了合同", "不清楚"}


def legal_answer(stack: RunningStack, who: str, message: str, relationship: str = "众包") -> list:
    """The answer to a legal question, after saying which working relationship when asked."""
    replies = stack.say(who, message)
    if {b["title"] for b in buttons(replies)} == RELATIONSHIP_BUTTONS:
        replies = stack.say(who, relationship)
    return replies


def test_every_legal_intent_answers_short_first_with_the_rest_behind_buttons(stack: RunningStack) -> None:
    for message, title in LEGAL.items():
        replies = legal_answer(stack, sender("legal"), message)
        text = joined(replies)
        assert f"【{title}" in text, (message, text)
        # One phone screen: one bubble, a summary and at most three short steps.
        assert len(replies) == 1 and len(text) <= 230, (message, len(text))
        assert "4." not in text
        assert {b["title"] for b in buttons(replies)} == ASPECT_BUTTONS, message


def test_the_answer_fits_the_working_relationship(stack: RunningStack) -> None:
    """A 众包 rider with a deduction goes to court within three years; never 「仲裁一年」."""
    who = sender("crowd")
    asked = stack.say(who, "平台无故扣了我200块")
    assert {b["title"] for b in buttons(asked)} == RELATIONSHIP_BUTTONS
    answer = joined(stack.say(who, "我是跑众包的"))
    deadlines = stack.texts(who, "时效多久")
    assert "法院" in answer + deadlines and "3年" in deadlines and "仲裁一年" not in answer + deadlines
    employed = sender("employed")
    stack.say(employed, "平台无故扣了我200块")
    assert "20%" in joined(stack.say(employed, '/inform{"work_relationship": "dedicated"}'))


def test_a_legal_follow_up_answers_from_the_last_topic_and_a_repeat_is_short(stack: RunningStack) -> None:
    who = sender("evidence")
    first = joined(legal_answer(stack, who, "站点拖了我两个月工资", "专送"))
    evidence = stack.texts(who, "那证据怎么留")
    assert evidence.startswith("【讨要工资·要留的证据】") and "转账记录" in evidence
    again = stack.say(who, "他不给钱我找谁")
    assert joined(again).startswith("【讨要工资·去哪办】") and "12333" in joined(again)
    repeat = joined(stack.say(who, "站点拖了我两个月工资"))
    assert repeat.startswith("还是【讨要工资】") and len(repeat) < len(first)


def test_a_district_brings_the_nearest_legal_aid_point(stack: RunningStack) -> None:
    who = sender("aid")
    legal_answer(stack, who, "公司不给交社保咋办", "专送")
    assert "屯留区法律援助中心" in stack.texts(who, "屯留")
    lawyer = stack.say(who, '/inform{"legal_aspect": "lawyer"}')
    assert "法律援助" in joined(lawyer) and any(b.get("url", "").startswith("tel:") for b in buttons(lawyer))


# --- childcare ------------------------------------------------------------------


def make_programme(stack: RunningStack, capacity: int, district: str = "黎城县") -> int:
    factory = session_of(stack)
    with factory.begin() as session:
        programme = Programme(
            kind="summer_camp", title=f"测试营{uuid.uuid4().hex[:4]}", district=district, venue="黎城县测试场地",
            age_min=6, age_max=12, start_date=date.today() + timedelta(days=30),
            end_date=date.today() + timedelta(days=40), capacity=capacity,
            signup_deadline=date.today() + timedelta(days=20),
        )  # fmt: skip
        session.add(programme)
        session.flush()
        return programme.id


def enrol(stack: RunningStack, who: str, programme_id: int, name: str, phone: str) -> str:
    stack.say(who, f'/enrol{{"programme_id": {programme_id}}}')
    stack.say(who, "同意")
    stack.say(who, name)
    return stack.texts(who, phone)


def test_full_childcare_sign_up_with_invalid_answers_asked_again(stack: RunningStack) -> None:
    who = sender("child")
    assert "哪个区县" in stack.texts(who, "暑假孩子没人带 有托管班吗")
    assert "几岁" in stack.texts(who, "潞州区")
    assert "3到16岁" in stack.texts(who, "孩子40岁")
    listing = stack.say(who, "孩子八岁了")
    assert "潞州区适合8岁孩子" in joined(listing)
    choices = [b for b in buttons(listing) if b["payload"].startswith("/enrol")]
    assert choices
    consent = stack.texts(who, choices[0]["payload"])
    assert "同意" in consent and "删除" in consent
    assert "孩子的姓名" in stack.texts(who, "同意")
    assert "手机号" in stack.texts(who, "王小明")
    assert "11位" in stack.texts(who, "138123456")
    done = stack.texts(who, "13812345678")
    assert "报名成功" in done
    with session_of(stack)() as session:
        enrolment = session.scalars(select(Enrolment).where(Enrolment.sender_id == who)).one()
        assert (enrolment.participant_name, enrolment.phone, enrolment.participant_age) == ("王小明", "13812345678", 8)
        assert enrolment.consent_at is not None
    mine = stack.say(who, "取消报名")
    cancel = [b["payload"] for b in buttons(mine) if b["payload"].startswith("/cancel_enrolment")]
    assert len(cancel) == 1
    assert "已取消" in stack.texts(who, cancel[0])
    with session_of(stack)() as session:
        assert session.scalars(select(Enrolment).where(Enrolment.sender_id == who)).one().status == "cancelled"


def test_summer_care_out_of_season_says_when_sign_up_opens(stack: RunningStack) -> None:
    who = sender("season")
    stack.say(who, "暑假孩子没人带 有托管班吗")
    stack.say(who, "潞州区")
    text = stack.texts(who, "10岁")
    assert "5月20日开始报名" in text  # the sample's summer programmes open on 20 May
    with session_of(stack)() as session:
        summer = session.scalars(
            select(Programme).where(Programme.district == "潞州区", Programme.signup_opens.is_not(None))
        ).first()
    assert "5月20日才开始报名" in stack.texts(who, f'/enrol{{"programme_id": {summer.id}}}')
    with session_of(stack)() as session:
        assert not session.scalars(select(Enrolment).where(Enrolment.sender_id == who)).all()


def test_no_consent_no_data(stack: RunningStack) -> None:
    who = sender("noconsent")
    programme_id = make_programme(stack, capacity=5)
    stack.say(who, f'/enrol{{"programme_id": {programme_id}}}')
    assert "信息没有保存" in stack.texts(who, "不同意")
    with session_of(stack)() as session:
        assert not session.scalars(select(Enrolment).where(Enrolment.sender_id == who)).all()


def test_two_riders_race_for_the_last_place(stack: RunningStack) -> None:
    programme_id = make_programme(stack, capacity=1)
    riders = [sender("race"), sender("race")]
    for who, name in zip(riders, ("张一", "李二"), strict=True):
        stack.say(who, f'/enrol{{"programme_id": {programme_id}}}')
        stack.say(who, "同意")
        stack.say(who, name)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda who: stack.texts(who, "13912345678"), riders))
    assert sum("报名成功" in o for o in outcomes) == 1
    assert sum("候补第1位" in o for o in outcomes) == 1


def test_training_and_lectures_with_sign_up(stack: RunningStack) -> None:
    who = sender("train")
    listing = stack.say(who, "有没有免费的培训 想考个证")
    assert "培训" in joined(listing)
    choice = next(b for b in buttons(listing) if b["payload"].startswith("/enrol"))
    assert "您的姓名和手机号" in stack.texts(who, choice["payload"])
    stack.say(who, "可以")
    stack.say(who, "赵师傅")
    assert "报名成功" in stack.texts(who, "15035512345")


# --- community, FAQ -------------------------------------------------------------


def test_community_pass_of_the_workers_district(stack: RunningStack) -> None:
    who = sender("pass")
    assert "哪个区县" in stack.texts(who, "小区保安不让外卖进 通行证咋办")
    assert "壶关县骑手进小区" in stack.texts(who, "壶关")


def test_faq_answers_come_from_the_database_at_question_time(stack: RunningStack) -> None:
    who = sender("faq")
    assert "免费" in stack.texts(who, "驿站收费吗")
    with session_of(stack).begin() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.question == "暖新驿站收费吗")).one()
        entry.answer = "驿站一律免费，这是管理员刚改的答案。"
    assert "管理员刚改的答案" in stack.texts(who, "驿站收费吗")


def test_an_faq_written_for_the_riders_district_answers_the_next_question(stack: RunningStack) -> None:
    """The district a rider gave in one message picks the entry written for it in the next; one named
    in the question wins over it."""
    question = "驿站的饮水机要钱吗"
    with session_of(stack).begin() as session:
        session.add_all(
            FaqEntry(question=question, variants="", answer=answer, tags="", district=district)
            for district, answer in (("潞州区", "潞州区驿站饮水机免费"), ("屯留区", "屯留区驿站饮水机投币"))
        )
    who = sender("faq-district")
    assert "屯留区附近" in stack.texts(who, "屯留有驿站吗")
    assert "屯留区驿站饮水机投币" in stack.texts(who, question)
    assert "潞州区驿站饮水机免费" in stack.texts(who, f"潞州区{question}")


def test_volunteering_and_union_answers(stack: RunningStack) -> None:
    assert "随手帮" in stack.texts(sender("vol"), "我想当志愿者")
    assert "工会" in stack.texts(sender("union"), "骑手能加入工会吗")


# --- escalation -------------------------------------------------------------------


def test_a_report_becomes_a_ticket_with_a_number_and_a_deadline(stack: RunningStack) -> None:
    who = sender("report")
    text = stack.texts(who, "英雄中路和太行东街路口的井盖没了 很危险")
    assert "编号 CZ-" in text and "前在这里回复您" in text
    with session_of(stack)() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == who)).one()
        assert ticket.category == "report_issue" and ticket.sla_class == "urgent"
        assert "井盖" in ticket.description and ticket.district == "潞州区"


def test_asking_for_a_person_hands_the_conversation_to_staff(stack: RunningStack) -> None:
    who = sender("human")
    assert "一句话" in stack.texts(who, "转人工")
    handed = stack.texts(who, "站长扣了我三百块押金不退")
    assert "编号 CZ-" in handed and "先不说话" in handed
    assert stack.say(who, "人呢 在不在") == []
    assert stack.say(who, "不是这个意思") == []
    with session_of(stack)() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == who)).one()
        assert ticket.handoff_active and "押金" in ticket.description
        worker_lines = session.scalars(
            select(TicketMessage.text).where(TicketMessage.ticket_id == ticket.id, TicketMessage.author == "worker")
        ).all()
        assert "人呢 在不在" in worker_lines and "不是这个意思" in worker_lines
    back = stack.say(who, "取消")
    assert [m["text"] for m in back] == [
        f"好的，已回到暖新助手。工单 {ticket.number} 还在处理中，有回复会在这里通知您。"
    ]


def test_after_leaving_the_hand_off_every_message_gets_its_own_flow(stack: RunningStack) -> None:
    """转人工 → a complaint → 取消 used to end in 「这一步我没跟上」, and every later message in
    「人工服务已经结束了」, reaching nobody, until staff closed the ticket."""
    who = sender("deadend")
    stack.say(who, "转人工")
    stack.say(who, "平台无故扣了我200块钱")
    assert stack.texts(who, "取消").count("\n") == 0
    for message, expected in (
        ("你好", "您好，我是暖新助手"),
        ("附近驿站", "您现在在哪儿"),
        ("查一下进度", "（转人工）：已受理"),
        ("转人工", "请用一句话说说是什么事"),
    ):
        text = stack.texts(who, message)
        assert expected in text, (message, text)
        assert "没跟上" not in text and "人工服务已经结束" not in text, (message, text)


def test_a_message_after_staff_ended_the_hand_off_is_answered_not_lost(stack: RunningStack) -> None:
    who = sender("ended")
    stack.say(who, "转人工")
    stack.say(who, "站长扣了我三百块押金不退")
    with session_of(stack).begin() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == who)).one()
        ticket.handoff_active = False  # staff ended it; the conversation has not heard yet
    text = stack.texts(who, "附近哪能充电 我在英雄中路")
    assert "人工服务已经结束了" in text and "英雄中路附近" in text


def test_staff_owned_conversation_acknowledges_a_message_after_a_quiet_spell_once(stack: RunningStack) -> None:
    who = sender("quiet")
    stack.say(who, "转人工")
    stack.say(who, "站长扣了我三百块押金不退")
    assert stack.say(who, "人呢") == []
    with session_of(stack).begin() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == who)).one()
        ticket.last_worker_message_at -= timedelta(minutes=30)
    assert stack.texts(who, "还在吗 我等了半小时了").startswith("已转给工作人员")
    assert stack.say(who, "快点回我") == []


def test_progress_lists_only_the_workers_own_tickets(stack: RunningStack) -> None:
    who, other = sender("mine"), sender("other")
    stack.say(who, "建议在长治站附近多建几个驿站 夏天太热了")
    text = stack.texts(who, "我反映的问题怎么样了")
    assert "已受理" in text and "CZ-" in text
    number = text[text.index("CZ-") : text.index("CZ-") + 16]
    assert "没有找到" in stack.texts(other, f"查一下{number}的进度")


def test_a_new_session_keeps_the_district_the_tickets_and_a_hand_over(stack: RunningStack) -> None:
    """Sessions expire (domain: 120 minutes); what the worker relies on lives in the database."""
    who = sender("session")
    assert "屯留区附近" in stack.texts(who, "屯留有驿站吗")
    stack.say(who, "建议驿站冬天多备点热水")
    stack.say(who, "/session_start")  # what Rasa does when the session has expired
    assert "屯留区附近" in stack.texts(who, "附近驿站")
    assert "CZ-" in stack.texts(who, "我反映的问题怎么样了")

    handed = sender("session-handoff")
    stack.say(handed, "转人工")
    stack.say(handed, "押金一直不退")
    stack.say(handed, "/session_start")
    assert stack.say(handed, "还在吗") == []  # staff still own the conversation
    with session_of(stack)() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == handed)).one()
        lines = session.scalars(select(TicketMessage.text).where(TicketMessage.ticket_id == ticket.id)).all()
        assert "还在吗" in lines


def test_a_location_shared_when_asked_for_answers_the_question(stack: RunningStack) -> None:
    who = sender("asked")
    assert "您现在在哪儿" in stack.texts(who, "想找个地方歇歇脚")
    assert "您附近" in stack.texts(who, '/share_location{"latitude": 36.1955, "longitude": 113.116}')


def test_the_rest_channel_cannot_write_into_another_channels_conversation(stack: RunningStack) -> None:
    """A Telegram chat id or a WeChat openid posted as the rest sender used to reach that rider."""
    for sender in ("tg:123456789", "wx:oABCDEFGHIJKLMNOPQRSTUVWXYZa", "web-abcdefghijklmnop"):
        response = requests.post(
            f"{stack.rasa}/webhooks/rest/webhook", json={"sender": sender, "message": "你好"}, timeout=30
        )
        assert response.status_code == 400 and "another channel" in response.text
    assert stack.say("123456789", "你好")  # a plain id is the rest client's own conversation
