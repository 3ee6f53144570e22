"""WeChat official account end to end: messages built, signed and encrypted with wechatpy,
posted to the webhook; replies read back with wechatpy; the API is a local fake."""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import time
import uuid
from typing import Dict, Optional

import requests
import xmltodict
from sqlalchemy import select
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from core import geo
from core.db import make_engine, make_session_factory
from core.models import Attachment
from tests.running import WECHAT, WECHAT_AES_KEY, RunningStack, staff_reply

MESSAGE_IDS = itertools.count(int(time.time()) * 1000)
ACCOUNT = "gh_0123456789ab"


def xml_of(openid: str, kind: str, **fields: str) -> str:
    body = "".join(
        f"<{k}><![CDATA[{v}]]></{k}>" if not str(v).isdigit() else f"<{k}>{v}</{k}>" for k, v in fields.items()
    )
    message_id = "" if kind == "event" else f"<MsgId>{next(MESSAGE_IDS)}</MsgId>"
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{body}{message_id}</xml>"
    )


def signature_of(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature as its documentation gives it: sha1 of the three sorted and joined.

    Computed here, not by the channel's own function, so that a channel that stops sorting fails."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def signed_query(timestamp: Optional[int] = None, token: str = WECHAT["token"]) -> Dict[str, str]:
    timestamp = str(timestamp or int(time.time()))
    nonce = uuid.uuid4().hex[:10]
    return {"timestamp": timestamp, "nonce": nonce, "signature": signature_of(token, timestamp, nonce)}


def post(stack: RunningStack, xml: str, query: Optional[Dict[str, str]] = None, encrypted: bool = True):
    """A message as WeChat posts it; the test stack has an EncodingAESKey, so 安全模式 by default."""
    query = dict(query or signed_query())
    body = xml.encode()
    if encrypted:
        crypto = WeChatCrypto(WECHAT["token"], WECHAT_AES_KEY, WECHAT["appid"])
        envelope = crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
        query.update(encrypt_type="aes", msg_signature=xmltodict.parse(envelope)["xml"]["MsgSignature"])
        body = envelope.encode()
    return requests.post(f"{stack.rasa}/webhooks/wechat/webhook", params=query, data=body, timeout=60), query


def reply_text(response: requests.Response, query: Dict[str, str]) -> str:
    if query.get("encrypt_type") == "aes":
        crypto = WeChatCrypto(WECHAT["token"], WECHAT_AES_KEY, WECHAT["appid"])
        envelope = xmltodict.parse(response.text)["xml"]
        plain = crypto.decrypt_message(
            response.text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        return parse_message(plain).content
    return parse_message(response.text).content


def openid() -> str:
    return f"o{uuid.uuid4().hex[:27]}"


def test_the_server_check_echoes_only_a_signed_request(stack) -> None:
    query = {**signed_query(), "echostr": "echo-123"}
    assert requests.get(f"{stack.rasa}/webhooks/wechat/webhook", params=query, timeout=10).text == "echo-123"
    query["signature"] = "0" * 40
    assert requests.get(f"{stack.rasa}/webhooks/wechat/webhook", params=query, timeout=10).status_code == 403


def test_a_message_gets_a_passive_reply(stack) -> None:
    response, query = post(stack, xml_of(openid(), "text", Content="你好"))
    text = reply_text(response, query)
    assert "暖新助手" in text and "【1】附近驿站" in text


def test_a_plain_message_is_refused_while_an_aes_key_is_configured(stack) -> None:
    response, _ = post(stack, xml_of(openid(), "text", Content="你好"), encrypted=False)
    assert response.status_code == 403


def test_a_signature_is_good_for_its_own_message_only(stack) -> None:
    user = openid()
    query = signed_query()
    first, sent = post(stack, xml_of(user, "text", Content="你好"), query=query)
    assert first.status_code == 200
    replayed, _ = post(stack, xml_of(openid(), "text", Content="查一下进度"), query=query)
    assert replayed.status_code == 403
    assert "暖新助手" in reply_text(first, sent)


def test_an_encrypted_message_gets_an_encrypted_reply(stack) -> None:
    response, query = post(stack, xml_of(openid(), "text", Content="你是机器人吗"), encrypted=True)
    assert "<Encrypt>" in response.text
    assert "不是真人" in reply_text(response, query)


def test_a_number_picks_a_button_of_the_last_reply(stack) -> None:
    user = openid()
    post(stack, xml_of(user, "text", Content="你好"))
    response, query = post(stack, xml_of(user, "text", Content="1"))
    assert "您现在在哪儿" in reply_text(response, query)


def test_a_location_is_converted_from_gcj02_before_the_search(stack) -> None:
    user = openid()
    lat, lon = geo.wgs84_to_gcj02(36.1955, 113.1160)  # what WeChat sends for 英雄中路
    response, query = post(stack, xml_of(user, "location", Location_X=f"{lat:.6f}", Location_Y=f"{lon:.6f}",
                                          Scale="15", Label="英雄中路"))  # fmt: skip
    assert "您附近" in reply_text(response, query)
    user_events = [e for e in stack.tracker(f"wx:{user}")["events"] if e["event"] == "user"]
    entities = {e["entity"]: e["value"] for e in user_events[-1]["parse_data"]["entities"]}
    assert abs(entities["latitude"] - 36.1955) < 1e-4 and abs(entities["longitude"] - 113.1160) < 1e-4


def test_an_image_is_kept_for_a_report(stack) -> None:
    user = openid()
    response, _ = post(stack, xml_of(user, "image", PicUrl="http://example.invalid/p.jpg", MediaId="media-1"))
    assert response.status_code == 200
    factory = make_session_factory(make_engine(stack.database_url))
    with factory() as session:
        stored = session.scalars(select(Attachment).where(Attachment.sender_id == f"wx:{user}")).one()
    assert stored.data.startswith(b"\xff\xd8")


def test_subscribing_is_greeted(stack) -> None:
    response, query = post(stack, xml_of(openid(), "event", Event="subscribe"))
    assert "暖新助手" in reply_text(response, query)


def test_a_redelivered_message_is_handled_once(stack) -> None:
    user = openid()
    xml = xml_of(user, "text", Content="谢谢")
    first, query = post(stack, xml)
    second, _ = post(stack, xml)
    assert "不客气" in reply_text(first, query) and second.text == "success"
    assert len([e for e in stack.tracker(f"wx:{user}")["events"] if e["event"] == "user"]) == 1


def test_hostile_requests_are_refused(stack) -> None:
    xml = xml_of(openid(), "text", Content="你好")
    bad_signature = {**signed_query(), "signature": "f" * 40}
    assert post(stack, xml, bad_signature)[0].status_code == 403
    assert post(stack, xml, signed_query(timestamp=int(time.time()) - 3600))[0].status_code == 403
    assert post(stack, xml, signed_query(token="not-the-token"))[0].status_code == 403
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<xml><ToUserName>x</ToUserName><FromUserName>o1</FromUserName><Content>&b;</Content></xml>"
    )
    assert post(stack, bomb)[0].status_code == 400
    assert post(stack, "<xml><unclosed></xml>")[0].status_code == 400
    assert post(stack, "<xml>" + "a" * 70_000 + "</xml>")[0].status_code == 413
    forged, query = post(stack, xml, encrypted=True)
    query["msg_signature"] = "0" * 40
    tampered = requests.post(
        f"{stack.rasa}/webhooks/wechat/webhook", params=query, data=forged.request.body, timeout=30
    )
    assert tampered.status_code == 403


def action_server(stack: RunningStack):
    return next(s for s in stack.stack.services if s.name == "actions")


def test_a_slow_answer_goes_out_through_the_customer_service_api(stack, fakes) -> None:
    user = openid()
    actions = action_server(stack)
    os.killpg(actions.process.pid, signal.SIGSTOP)  # the next custom action hangs
    try:
        started = time.monotonic()
        response, _ = post(stack, xml_of(user, "text", Content="英雄中路附近哪能充电"))
        assert response.text == "success" and time.monotonic() - started < 5
    finally:
        os.killpg(actions.process.pid, signal.SIGCONT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not fakes.wechat.texts_to(user):
        time.sleep(0.3)
    assert "手机充电" in "\n".join(fakes.wechat.texts_to(user))


def test_a_staff_reply_uses_the_customer_service_api_with_a_cached_token(stack, fakes) -> None:
    user = openid()
    post(stack, xml_of(user, "text", Content="转人工"))
    post(stack, xml_of(user, "text", Content="站长不给结工资"))
    fetched_before = fakes.wechat.token_fetches
    for n in range(2):
        staff_reply(stack, f"wx:{user}", f"第{n + 1}条答复：正在处理", f"wx-{n}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(fakes.wechat.texts_to(user)) < 2:
        time.sleep(0.3)
    assert [t for t in fakes.wechat.texts_to(user) if "答复" in t] == [
        "【工作人员 测试员】第1条答复：正在处理",
        "【工作人员 测试员】第2条答复：正在处理",
    ]
    # The delivery process fetched its token at most once for both replies (then cached it);
    # earlier tests may have restarted it, so only the fetches of this test count.
    assert fakes.wechat.token_fetches - fetched_before <= 1


def test_a_staff_reply_after_the_access_token_expired_is_sent_with_a_new_one(stack, fakes) -> None:
    user = openid()
    post(stack, xml_of(user, "text", Content="转人工"))
    post(stack, xml_of(user, "text", Content="押金一直不退"))
    staff_reply(stack, f"wx:{user}", "第一条：收到", "wx-expiry-1")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not fakes.wechat.texts_to(user):
        time.sleep(0.3)
    fakes.wechat.expire_tokens()  # two hours later, as far as the API is concerned
    fetched_before, refused_before = fakes.wechat.token_fetches, len(fakes.wechat.refused)
    staff_reply(stack, f"wx:{user}", "第二条：已处理", "wx-expiry-2")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(fakes.wechat.texts_to(user)) < 2:
        time.sleep(0.3)
    assert [t for t in fakes.wechat.texts_to(user) if "条：" in t] == [
        "【工作人员 测试员】第一条：收到",
        "【工作人员 测试员】第二条：已处理",
    ]
    assert fakes.wechat.refused[refused_before:] == [42001] and fakes.wechat.token_fetches == fetched_before + 1


def test_a_station_answer_links_the_map_instead_of_a_raw_url(stack) -> None:
    response, query = post(stack, xml_of(openid(), "text", Content="英雄中路附近哪能充电"))
    text = reply_text(response, query)
    assert text.count(">地图导航</a>") == 3 and '<a href="https://uri.amap.com/marker?' in text
    assert not any(line.startswith("http") or "地图：http" in line for line in text.splitlines())
    assert "tel:" not in text and "电话：0355-" in text
