"""A WeChat official account (公众号) as a channel, with wechatpy.

- Every request must carry a valid signature (compared in constant time) with
  a timestamp no older than five minutes; 安全模式 (AES) messages are decrypted
  and their `msg_signature` checked.
- XML is checked by defusedxml first: no DTD, no entity expansion.
- A message is handled once: WeChat redelivers after 5 s, and a replay is ignored.
- Text, voice with WeChat's own recognition, location (GCJ-02, converted to
  WGS-84 before the search), images (stored for reports) and the subscribe
  event are understood. Text messages have no buttons: choices become numbered
  lines (a reply of the digit picks one, bot.channels.handling) and links `<a href>`.
- WeChat waits five seconds: the reply goes back passively when it is ready
  within `PASSIVE_WINDOW_S`; otherwise WeChat gets `success` at once and the
  reply follows through the customer-service API, as staff replies do.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import os
import struct
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Set, Text, Tuple

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session
from wechatpy import parse_message
from wechatpy.client import WeChatClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException, WeChatClientException
from wechatpy.replies import TextReply

from bot.channels import buttons, conversations
from bot.channels.handling import answer, as_rendered, location_payload
from bot.channels.outgoing import SendError, send_through_outbox, split_text
from core import geo, inbound, tickets
from core.services import from_environment
from core.workers import WorkerRef

logger = logging.getLogger(__name__)
CHANNEL = "wechat"
# Where the signatures already used are kept (core.inbound, beside the message ids).
NONCES = "wechat-nonce"
FRESHNESS_S = 300
PASSIVE_WINDOW_S = 4.0
MAX_BODY_BYTES = 64 * 1024
TEXT_LIMIT = 600
DEFAULT_API = "https://api.weixin.qq.com/cgi-bin/"
# WeChat errcode: the user has not written in 48 hours, customer-service messages are refused.
OUT_OF_TIME_WINDOW = 45015


@dataclass(frozen=True)
class WeChatConfig:
    """From credentials.yml or the environment: WECHAT_TOKEN, WECHAT_APPID, WECHAT_SECRET,
    WECHAT_AES_KEY (安全模式), WECHAT_API_URL (a test server)."""

    token: str
    appid: str
    secret: str
    aes_key: Optional[str] = None
    api_url: str = DEFAULT_API

    @classmethod
    def load(
        cls, credentials: Optional[Mapping[str, Any]] = None, environ: Mapping[str, str] = os.environ
    ) -> Optional[WeChatConfig]:
        values = dict(credentials or {})
        token = values.get("token") or environ.get("WECHAT_TOKEN")
        if not token:
            return None
        appid = values.get("appid") or environ.get("WECHAT_APPID") or ""
        secret = values.get("secret") or environ.get("WECHAT_SECRET") or ""
        if not (appid and secret):
            raise ValueError("WECHAT_APPID and WECHAT_SECRET are required with WECHAT_TOKEN")
        aes_key = values.get("encoding_aes_key") or environ.get("WECHAT_AES_KEY") or None
        api_url = values.get("api_url") or environ.get("WECHAT_API_URL") or DEFAULT_API
        return cls(token, appid, secret, aes_key, api_url.rstrip("/") + "/")


class ApiClient(WeChatClient):
    """wechatpy's client against a configurable API base; it caches the access token
    (refreshed a minute before it expires) in its session storage."""

    def __init__(self, config: WeChatConfig) -> None:
        super().__init__(config.appid, config.secret, timeout=10)
        self.API_BASE_URL = config.api_url

    def fetch_access_token(self) -> Dict[str, Any]:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def render_text(message: Dict[str, Any]) -> str:
    """A message as WeChat text: choices become numbered lines, chosen by replying the number;
    web links become `<a href>` (WeChat shows them as tappable words, and detects phone numbers itself)."""
    lines = [message.get("text") or ""]
    for number, label, _ in buttons.numbered(message.get("buttons")):
        lines.append(f"【{number}】{label}")
    for link in buttons.links(message.get("buttons")):
        lines.append(f'<a href="{html.escape(str(link["url"]))}">{html.escape(str(link.get("title") or ""))}</a>')
    return "\n".join(line for line in lines if line)


class WeChatSender:
    """Customer-service messages (客服消息), for late assistant replies and for staff replies."""

    def __init__(self, client: ApiClient) -> None:
        self._client = client

    async def send(self, recipient: str, message: Dict[str, Any]) -> None:
        openid = conversations.unmarked(conversations.WECHAT, recipient)
        for piece in split_text(render_text(message), TEXT_LIMIT):
            try:
                await asyncio.to_thread(self._client.message.send_text, openid, piece)
            except WeChatClientException as error:
                retryable = error.errcode != OUT_OF_TIME_WINDOW
                raise SendError(f"WeChat refused: {error.errcode} {error.errmsg}", retryable) from error
            except OSError as error:
                raise SendError(f"WeChat unreachable: {error}") from error


def signature_of(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def check_xml(data: bytes) -> None:
    """Refuse DTDs, entity declarations and external references before anyone parses it."""
    SafeElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)


class Refused(Exception):
    """The request is refused with an HTTP status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class WeChatInput(InputChannel):
    """`GET|POST /webhooks/wechat/webhook`; 503 until WECHAT_TOKEN is configured."""

    def __init__(self, config: Optional[WeChatConfig]) -> None:
        self._config = config
        self._crypto = WeChatCrypto(config.token, config.aes_key, config.appid) if config and config.aes_key else None
        self._client: Optional[ApiClient] = None
        self._background: Set[asyncio.Task] = set()  # late replies in flight, kept from the collector

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(WeChatConfig.load(credentials))

    @property
    def _configured(self) -> WeChatConfig:
        """The configuration; every caller runs after the routes checked there is one."""
        if self._config is None:
            raise Refused(503, "WeChat is not configured")
        return self._config

    def _api(self) -> ApiClient:
        if self._client is None:
            self._client = ApiClient(self._configured)
        return self._client

    def _sender(self) -> WeChatSender:
        return WeChatSender(self._api())

    def _verify(self, request: Request) -> None:
        args = request.args
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > FRESHNESS_S:
            raise Refused(403, "stale or missing timestamp")
        expected = signature_of(self._configured.token, timestamp, nonce)
        if not hmac.compare_digest(expected, args.get("signature", "")):
            raise Refused(403, "wrong signature")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/webhook", methods=["GET"])
        async def verify_server(request: Request) -> HTTPResponse:
            """WeChat's server check when the URL is configured: echo `echostr` if signed."""
            if self._config is None:
                return response.text("WeChat is not configured", status=503)
            try:
                self._verify(request)
            except Refused as refused:
                return response.text(str(refused), status=refused.status)
            return response.text(request.args.get("echostr", ""))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self._config is None:
                return response.text("WeChat is not configured", status=503)
            try:
                return await self.handle(request, on_new_message)
            except Refused as refused:
                logger.warning("refused a WeChat message: %s", refused)
                return response.text(str(refused), status=refused.status)

        return webhook

    def _plaintext(self, request: Request) -> bytes:
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            raise Refused(413, "body too large")
        try:
            check_xml(body)
            if request.args.get("encrypt_type") != "aes":
                if self._crypto is not None:
                    # 安全模式 configured: a plain message is not from WeChat (which encrypts them all).
                    raise Refused(403, "plain message while 安全模式 (an EncodingAESKey) is configured")
                return body
            if self._crypto is None:
                raise Refused(400, "encrypted message, but no EncodingAESKey is configured")
            args = request.args
            decrypted = self._crypto.decrypt_message(
                body, args.get("msg_signature", ""), args.get("timestamp", ""), args.get("nonce", "")
            )
            plain = decrypted.encode() if isinstance(decrypted, str) else decrypted
            check_xml(plain)
            return plain
        except (InvalidSignatureException, InvalidAppIdException):
            raise Refused(403, "wrong msg_signature or appid") from None
        except (
            DefusedXmlException, SafeElementTree.ParseError, ValueError, KeyError, IndexError, TypeError,
            struct.error, UnicodeDecodeError,
        ) as error:  # fmt: skip
            # wechatpy's decryption raises whatever an odd envelope makes it trip over.
            raise Refused(400, f"malformed or undecryptable message: {type(error).__name__}") from None

    async def handle(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        self._verify(request)
        plain = self._plaintext(request)
        await self._refuse_replay(request)
        try:
            message = parse_message(plain)
        except Exception:  # wechatpy raises bare KeyErrors and the like on odd XML
            raise Refused(400, "not a WeChat message") from None
        if message is None or not getattr(message, "source", None):
            raise Refused(400, "not a WeChat message")
        services = from_environment()
        try:
            message_id = str(getattr(message, "id", None) or f"{message.source}:{message.create_time}:{message.type}")
        except (TypeError, ValueError):
            raise Refused(400, "a message without a readable id or time") from None
        now = services.clock.utc()
        # Marked at once: WeChat redelivers after five seconds while the first delivery is
        # still being answered. If answering fails, the mark goes, so a redelivery is answered.
        fresh = await asyncio.to_thread(services.transaction, lambda s: inbound.first_time(s, CHANNEL, message_id, now))
        if not fresh:
            return response.text("success")  # a redelivery: the first delivery is being answered
        try:
            incoming = await self._incoming(request, message)
        except Exception:
            await asyncio.to_thread(services.transaction, lambda s: inbound.forget(s, CHANNEL, message_id))
            raise
        if incoming is None:
            return response.text("success")
        text, metadata = incoming
        conversation = conversations.marked(conversations.WECHAT, message.source)
        work = self._spawn(answer(request.app, on_new_message, text, conversation, CHANNEL, metadata))
        try:
            await asyncio.wait_for(asyncio.shield(work), timeout=PASSIVE_WINDOW_S)
        except asyncio.TimeoutError:
            late = f"wx:{message_id}"
            work.add_done_callback(lambda done: self._spawn(self._follow_up(conversation, done.result(), late)))
            return response.text("success")
        return self._passive_reply(request, message, work.result(), f"wx:{message_id}")

    async def _refuse_replay(self, request: Request) -> None:
        """Each signed (timestamp, nonce) is good for the body it was sent with, once.

        WeChat's own retries resend the same request: same nonce, same body, and the
        message id then answers `success`. The same signature with another body is a
        replay of a captured signature, refused. The record is in the database, so
        every worker sees it.
        """
        args, services = request.args, from_environment()
        signed = f"{args.get('timestamp', '')}:{args.get('nonce', '')}"
        digest = hashlib.sha256(request.body or b"").hexdigest()[:16]
        now = services.clock.utc()
        fresh = await asyncio.to_thread(
            services.transaction, lambda s: inbound.first_use(s, NONCES, signed, digest, now)
        )
        if not fresh:
            raise Refused(403, "this signature was already used for another message")

    def _spawn(self, coroutine: Any) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _passive_reply(self, request: Request, message: Any, messages: List[Dict[str, Any]], key: str) -> HTTPResponse:
        if not messages:
            return response.text("success")
        content = "\n\n".join(render_text(m) for m in messages)
        if len(content) > 2 * TEXT_LIMIT:  # too long for one passive reply: the rest follows
            head = split_text(content, 2 * TEXT_LIMIT)[0]
            rest = [{"text": content[len(head) :].lstrip("\n")}]
            conversation = conversations.marked(conversations.WECHAT, message.source)
            self._spawn(self._follow_up(conversation, rest, f"{key}:rest"))
            content = head
        xml = TextReply(content=content, message=message).render()
        if request.args.get("encrypt_type") == "aes" and self._crypto is not None:
            xml = self._crypto.encrypt_message(xml, request.args.get("nonce", ""), request.args.get("timestamp"))
        return response.text(xml, content_type="application/xml")

    async def _follow_up(self, conversation: str, messages: List[Dict[str, Any]], key: str) -> None:
        """Send through the customer-service API, by way of the outbox, what missed the passive reply."""
        rendered = [as_rendered(message) for message in messages]
        await send_through_outbox(from_environment(), self._sender(), CHANNEL, conversation, rendered, key)

    async def _incoming(self, request: Request, message: Any) -> Optional[Tuple[str, Dict[str, Any]]]:
        """(text for the assistant, metadata), or None for events that need no answer."""
        kind = message.type
        if kind == "text":
            if not isinstance(message.content, (str, type(None))):
                raise Refused(400, "a text message whose content is not text")
            return message.content or "", {}
        if kind == "voice" and getattr(message, "recognition", None):
            if not isinstance(message.recognition, str):
                raise Refused(400, "a voice message whose recognition is not text")
            return message.recognition, {}
        if kind == "location":
            try:
                lat, lon = geo.gcj02_to_wgs84(float(message.location_x), float(message.location_y))
            except (TypeError, ValueError):
                return "", {}  # not coordinates: a blank message, which the assistant asks to retype
            return location_payload(lat, lon), {}
        if kind == "image":
            attachment_id = await self._store_image(message.source, message.media_id)
            return tickets.PHOTO_PLACEHOLDER, ({"attachment_id": attachment_id} if attachment_id else {})
        if kind == "event" and getattr(message, "event", "") in ("subscribe", "subscribe_scan"):
            return "/greet", {}
        if kind == "event":
            return None
        return "", {}  # stickers, videos…: a blank message, which the assistant asks to retype

    async def _store_image(self, openid: str, media_id: Optional[str]) -> Optional[int]:
        if not media_id:
            return None
        try:
            reply = await asyncio.to_thread(self._api().media.download, media_id)
        except (WeChatClientException, OSError) as error:
            logger.warning("could not fetch a WeChat image: %s", error)
            return None
        services = from_environment()
        conversation = conversations.marked(conversations.WECHAT, openid)
        worker, now, data = WorkerRef(CHANNEL, conversation), services.clock.utc(), reply.content
        cap = services.settings.attachment_bytes_per_day

        def store(session: Session) -> Optional[int]:
            stored = tickets.store_attachment(session, worker, "image/jpeg", data, "image.jpg", now, cap)
            return stored.id if stored else None

        return await asyncio.to_thread(services.transaction, store)
