"""Generated input for every way into the assistant, one sender per entry point, and the loop that drives them.

Each entry point has a Hypothesis strategy that describes a request as plain data
(valid shapes as the real clients send them, and broken ones: wrong types, huge
strings, lone surrogates, NUL and control characters, deep JSON, bytes that are
no JSON, XML or CSV at all, forged cookies, signatures and tokens) and a sender
that turns one such case into an HTTP request against a running assistant
(`Target`) and returns the HTTP status (0: no answer at all). What was sent last
is kept (`Target.last`), byte for byte, for the report of a failure.

    rest              POST /webhooks/rest/webhook (Rasa's `rest` channel)
    webchat_send      POST /api/chat
    webchat_photo     POST /api/chat/photo (multipart, built here byte by byte)
    webchat_history   GET  /api/chat/history
    webchat_events    GET  /api/chat/events (server-sent events)
    telegram          POST /webhooks/telegram/webhook, with the secret token
    wechat_plain      POST /webhooks/wechat/webhook (plain XML; and the GET server check)
    wechat_encrypted  POST /webhooks/wechat/webhook?encrypt_type=aes, sealed with wechatpy's WeChatCrypto
    console_forms     POST /console/tickets/{id}/reply|note|claim|transfer|resolve|retry, as a logged-in admin
    csv_import        POST /console/admin/content/{table}, as a logged-in admin

`run` plays a number of inputs over all of them, seeded, and after every batch
checks that no process exited and that a plain `你好` through `rest` is answered.
Used by tests/integration/test_entry_fuzz.py (1,000 inputs) and bench/entry_fuzz.py.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.cookiejar
import itertools
import json
import random
import re
import time
import traceback
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import requests
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from tests.running import TELEGRAM_SECRET, TELEGRAM_TOKEN, WECHAT, WECHAT_AES_KEY

SEND_TIMEOUT_S = 60
MIB = 1024 * 1024
JPEG_MAGIC = b"\xff\xd8\xff\xe0"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# --- text ------------------------------------------------------------------------

# What riders write, and what buttons send.
RIDER_PHRASES = (
    "你好", "附近哪有驿站", "英雄中路附近哪能充电", "转人工", "站点扣我押金 三百块", "路灯坏了",
    "暑假孩子没人看 有托管班吗", "潞州区", "孩子8岁", "同意", "取消", "谢谢", "我的工单进度", "王小明",
    "13812345678", "1", "2", "9", "0", "/greet", "/request_human", "/ask_capabilities", "/affirm", "/deny",
    '/share_location{"latitude": 36.1955, "longitude": 113.1160}', '/share_location{"latitude": "abc"}',
    '/enrol{"programme_id": 1}', '/enrol{"programme_id": 99999999999999999999999}', "/nlu_fallback", "/", "/{}",
    '/greet{"x": [[[[1]]]]}', "/rate", '/rate{"rating": -1}', "hello how are you",
)  # fmt: skip
# Pieces that have broken text handling somewhere before.
ODD_PIECES = (
    "\ud800", "\udfff", "\udbff\udc00", "\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\u202e", "\u200b", "\u200d",
    "\ufeff", "\r\n", "\r", "\u2028", "\u2029", "𠀀", "😀", "👨‍👩‍👧", "e\u0301", "\ufffd", "\uffff", "\U0010ffff",
    "%s%n", "{0}", "${x}", "{{7*7}}", "<script>alert(1)</script>", "' OR 1=1; --", "\\", '"', "null", "NaN",
    "١٢٣", "²", "Ⅻ", "𝟘", "ｆｕｌｌ", "\t", " ", "\u3000", "]]>", "<![CDATA[", "&amp;", "&#0;", "<a>", "|", ",",
)  # fmt: skip
ALL_CATEGORIES = (
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po",
    "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn",
)  # fmt: skip
any_char = st.characters(categories=ALL_CATEGORIES)


def weighted(*choices: Tuple[st.SearchStrategy[Any], int]) -> st.SearchStrategy[Any]:
    """One of the strategies, each as often as its weight (`one_of` counts a strategy given twice only once)."""
    return st.sampled_from([strategy for strategy, weight in choices for _ in range(weight)]).flatmap(lambda s: s)


pieces = st.one_of(
    st.sampled_from(RIDER_PHRASES), st.sampled_from(ODD_PIECES), st.text(any_char, max_size=12), st.text(max_size=8)
)
texts = st.lists(pieces, max_size=6).map("".join)
# Longer than any limit: the message (2,000), rest (10,000), Telegram (4,096), WeChat's body (64 KiB).
huge_texts = st.builds(
    lambda piece, times: (piece[:4] or "长") * times, pieces, st.sampled_from([2_001, 4_097, 10_001, 70_000, 300_000])
)
# In a URL: past the HTTP parser's 8 KiB request line, which refuses it before any handler; longer
# ones cost only the client (requests takes 8 s to prepare a 10 MB URL, most of the fuzz's time).
huge_query_texts = st.builds(
    lambda piece, times: (piece[:4] or "长") * times, pieces, st.sampled_from([1_001, 2_001, 4_097])
)
message_texts = weighted((st.sampled_from(RIDER_PHRASES), 2), (texts, 4), (huge_texts, 1))

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=10**40), st.floats(), texts
)
json_values = st.recursive(
    json_scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(texts, kids, max_size=4), max_leaves=10
)

JSON_STYLES = ("ascii", "ascii", "utf8", "utf8", "bom", "utf16", "gbk", "strict")


def json_bytes(value: Any, style: str = "ascii") -> bytes:
    """`value` as JSON bytes: escaped (lone surrogates as `\\ud800`, NaN as `NaN`), raw UTF-8 with
    surrogates passed through (invalid UTF-8), with a byte-order mark, UTF-16, GBK, or strict."""
    if style == "strict":
        try:
            return json.dumps(value, allow_nan=False).encode()
        except ValueError:
            style = "ascii"
    if style == "ascii":
        return json.dumps(value).encode()
    text = json.dumps(value, ensure_ascii=False)
    if style == "utf16":
        return text.encode("utf-16", "surrogatepass")
    if style == "gbk":
        return text.encode("gbk", "replace")
    raw = text.encode("utf-8", "surrogatepass")
    return b"\xef\xbb\xbf" + raw if style == "bom" else raw


def deep_json(depth: int, kind: str) -> bytes:
    """JSON nested `depth` levels deep: arrays, objects, or arrays left open."""
    if kind == "objects":
        return b'{"a":' * depth + b"1" + b"}" * depth
    if kind == "open":
        return b"[" * depth
    return b"[" * depth + b"]" * depth


deep_bodies = st.builds(
    deep_json, st.sampled_from([30, 1_000, 100_000]), st.sampled_from(["arrays", "objects", "open"])
)


def encoded(text: str, codec: str) -> bytes:
    if codec in ("utf-16", "gbk", "latin-1", "big5", "shift_jis"):
        return text.encode(codec, "replace")
    return text.encode("utf-8", "surrogatepass")


codecs = st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "gbk", "latin-1", "big5"])


def header_value(text: str) -> bytes:
    """Any text as a header value that the HTTP client will send (no line breaks, no leading space)."""
    return encoded(text, "utf-8").replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"").lstrip()


# --- what was sent --------------------------------------------------------------------


@dataclass
class Sent:
    """One request, as sent: enough to send it again by hand."""

    entry: str
    method: str
    url: str
    headers: Dict[str, Any] = field(default_factory=dict)
    body: bytes = b""
    note: str = ""

    def reproduction(self, limit: int = 600) -> str:
        body = self.body if len(self.body) <= limit else self.body[:limit]
        more = "" if len(self.body) <= limit else f" + … ({len(self.body):,} bytes in all)"
        headers = {k: v for k, v in self.headers.items() if v is not None}
        return f"{self.method} {self.url}\nheaders: {headers!r}\nbody: {body!r}{more}" + (
            f"\n({self.note})" if self.note else ""
        )


# --- the running assistant --------------------------------------------------------------

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ADMIN = ("fuzz-admin", "Qz7-warm-Lantern-42")
FUZZ_TICKETS = 4


# Flood limits (bot/rate_limits.py) far above what the fuzzer sends from one address, so that it
# measures the handlers and the 你好 after each batch is not refused as part of a flood.
UNLIMITED = ",".join(
    f"{name}=1000000/60" for name in ("chat", "chat_address", "photo", "rest", "rest_address", "events")
)


def stack_env(telegram_url: str, wechat_url: str) -> Dict[str, str]:
    """The environment of a stack for the fuzzer: Telegram and WeChat channels that call local fakes
    (tests/fakes) with the secrets the senders here sign with (the suite's own, tests/running.py),
    and flood limits out of the way."""
    return {
        "RATE_LIMITS": UNLIMITED,
        "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": telegram_url,
        "WECHAT_TOKEN": WECHAT["token"],
        "WECHAT_APPID": WECHAT["appid"],
        "WECHAT_SECRET": WECHAT["secret"],
        "WECHAT_AES_KEY": WECHAT_AES_KEY,
        "WECHAT_API_URL": wechat_url,
    }


def _no_cookie_jar() -> requests.Session:
    """A client that keeps no cookies: every request says which it carries."""
    session = requests.Session()
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return session


@dataclass
class Target:
    """A running assistant, and what `prepare` set up in it: a web chat visitor, an admin
    logged in to the console, tickets to act on, and the content tables as they were."""

    rasa: str
    web: str
    token: str
    database_url: str
    http: requests.Session = field(default_factory=_no_cookie_jar)
    last: Optional[Sent] = None
    chat_cookie: str = ""
    console_cookie: str = ""
    csrf: str = ""
    ticket_ids: List[int] = field(default_factory=list)
    snapshot: Dict[str, bytes] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(int(time.time() * 1000) % 10**12 * 1000))

    def fresh_id(self) -> int:
        return next(self.ids)

    def request(self, sent: Sent, **kwargs: Any) -> int:
        """Send `sent`; its HTTP status, or 0 when the server gave no answer in time."""
        self.last = sent
        sent.headers.setdefault("Connection", "close")  # each input on a connection of its own
        try:
            response = self.http.request(
                sent.method, sent.url, headers=sent.headers, data=sent.body, timeout=SEND_TIMEOUT_S,
                allow_redirects=False, **kwargs,
            )  # fmt: skip
        except (requests.ConnectionError, requests.Timeout) as error:
            sent.note = f"no answer: {type(error).__name__}: {error}"
            return 0
        with response:
            status = response.status_code
            if status >= 500:
                sent.note = f"answered {status}: {response.text[:300]!r}"
        return status

    # --- set-up -------------------------------------------------------------------

    def prepare(self) -> None:
        """A genuine web chat cookie with a conversation behind it, an admin session with its
        CSRF token, tickets of our own, and a copy of every importable content table."""
        page = self.http.get(f"{self.web}/", timeout=30)
        page.raise_for_status()
        self.chat_cookie = page.cookies["nx_chat"]
        said = self.http.post(
            f"{self.web}/api/chat", json={"message": "你好"}, headers={"Cookie": f"nx_chat={self.chat_cookie}"}
        )
        said.raise_for_status()
        self._create_admin_and_tickets()
        self.login()
        for table in importable_tables():
            export = self.http.get(f"{self.web}/console/admin/content/{table}.csv", headers=self._console(), timeout=60)
            export.raise_for_status()
            self.snapshot[table] = export.content

    def _create_admin_and_tickets(self) -> None:
        from sqlalchemy import select

        from core import staff, tickets
        from core.clock import Clock
        from core.db import make_engine, make_session_factory
        from core.models import StaffUser
        from core.workers import WorkerRef

        engine = make_engine(self.database_url)
        clock = Clock.for_zone("Asia/Shanghai")
        try:
            with make_session_factory(engine).begin() as session:
                if session.scalars(select(StaffUser).where(StaffUser.username == ADMIN[0])).first() is None:
                    staff.create_user(session, ADMIN[0], ADMIN[1], "admin", None, "模糊测试")
                rules = tickets.deadline_rules.parse()
                for n in range(FUZZ_TICKETS):
                    worker = WorkerRef("rest", f"fuzz-ticket-{uuid.uuid4().hex[:8]}-{n}")
                    request = tickets.NewRequest(worker, "request_human", f"模糊测试工单 {n}", "潞州区")
                    ticket = tickets.open_ticket(session, request, clock.utc(), clock.today(), rules)
                    self.ticket_ids.append(ticket.id)
        finally:
            engine.dispose()

    def login(self) -> None:
        """Log in as the browser does: the login page's cookie and token, then the form;
        the CSRF token of the session is read from a console page."""
        page = self.http.get(f"{self.web}/console/login", timeout=30)
        page.raise_for_status()
        login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
        form = {"login_csrf": login_csrf, "next": "/console/", "username": ADMIN[0], "password": ADMIN[1]}
        cookie = {"Cookie": f"nx_login={page.cookies['nx_login']}"}
        done = self.http.post(f"{self.web}/console/login", data=form, headers=cookie, allow_redirects=False)
        if done.status_code != 303:
            raise RuntimeError(f"console login failed: {done.status_code} {done.text[:200]}")
        self.console_cookie = done.cookies["nx_console"]
        queue = self.http.get(f"{self.web}/console/", headers=self._console(), timeout=30)
        queue.raise_for_status()
        self.csrf = re.search(r'name="csrf" value="([^"]+)"', queue.text).group(1)

    def _console(self) -> Dict[str, str]:
        return {"Cookie": f"nx_console={self.console_cookie}"}

    def restore(self) -> List[str]:
        """Put every content table back as `prepare` found it (upload, then 确认导入); the problems, if any."""
        problems = []
        for table, data in self.snapshot.items():
            body, content_type = multipart_body(
                [Part(b"csrf", None, None, self.csrf.encode()), Part(b"replace", None, None, b"1"),
                 Part(b"file", f"{table}.csv".encode(), b"text/csv", data)],
                "restore-boundary",
            )  # fmt: skip
            headers = {**self._console(), "Content-Type": content_type}
            done = self.http.post(f"{self.web}/console/admin/content/{table}", data=body, headers=headers, timeout=120)
            token = re.search(r'name="token" value="([^"]+)"', done.text)  # none: the table is as it was
            if done.status_code == 200 and token:
                form = {"csrf": self.csrf, "token": token.group(1)}
                url = f"{self.web}/console/admin/content/{table}/confirm"
                done = self.http.post(url, data=form, headers=self._console(), timeout=120)
            if done.status_code != 200:
                problems.append(f"{table}: {done.status_code} {done.text[:300]}")
        return problems

    # --- is it still there? ----------------------------------------------------------

    def probe(self, n: int) -> str:
        """A plain 你好 through `rest` from a sender of its own; the answer's text."""
        response = self.http.post(
            f"{self.rasa}/webhooks/rest/webhook", json={"sender": f"fuzz-probe-{n}", "message": "你好"}, timeout=60
        )
        response.raise_for_status()
        return "\n".join(m.get("text", "") for m in response.json())

    # --- cookies --------------------------------------------------------------------

    def chat_cookie_header(self, kind: Tuple[Any, ...]) -> Optional[bytes]:
        """The Cookie header a web chat request carries: none, the visitor's own, or a forgery."""
        how = kind[0]
        if how == "none":
            return None
        if how == "valid":
            return f"nx_chat={self.chat_cookie}".encode()
        if how == "tampered":
            cookie = list(self.chat_cookie)
            spot = kind[1] % len(cookie)
            cookie[spot] = "A" if cookie[spot] != "A" else "B"
            return f"nx_chat={''.join(cookie)}".encode()
        if how == "other-key":  # well-formed, signed with a key that is not the installation's
            conversation = kind[1]
            mac = hashlib.sha256(f"guess{conversation}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
            return b"nx_chat=" + header_value(f"{conversation}.{mac}")
        if how == "forged":
            return b"nx_chat=" + header_value(kind[1])
        return header_value(kind[1])  # a whole Cookie header of its own


# --- multipart, byte by byte ------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    name: bytes
    filename: Optional[bytes]
    content_type: Optional[bytes]
    data: bytes


def multipart_body(parts: Sequence[Part], boundary: str, flaw: str = "none") -> Tuple[bytes, str]:
    """(body, Content-Type) of a multipart/form-data form; `flaw` breaks it on purpose."""
    mark = boundary.encode()
    chunks = []
    for part in parts:
        disposition = b'Content-Disposition: form-data; name="' + part.name + b'"'
        if part.filename is not None:
            disposition += b'; filename="' + part.filename + b'"'
        head = disposition + (b"\r\nContent-Type: " + part.content_type if part.content_type else b"")
        chunks.append(b"--" + mark + b"\r\n" + head + b"\r\n\r\n" + part.data + b"\r\n")
    body = b"".join(chunks) + (b"" if flaw == "unterminated" else b"--" + mark + b"--\r\n")
    content_type = {
        "no-boundary": "multipart/form-data",
        "other-boundary": "multipart/form-data; boundary=not-the-one",
        "empty-boundary": "multipart/form-data; boundary=",
    }.get(flaw, f"multipart/form-data; boundary={boundary}")
    if flaw == "truncated":
        body = body[: len(body) // 2]
    return body, content_type


boundaries = weighted(
    (st.just("fuzzboundary7MA4YWxk"), 4), (st.text(st.sampled_from("abcXYZ0123-_'()+,./:=? "), max_size=70), 1)
)
multipart_flaws = st.sampled_from(
    ["none"] * 12 + ["unterminated", "no-boundary", "other-boundary", "empty-boundary", "truncated"]
)
form_names = st.one_of(st.sampled_from([b"photo", b"caption", b"file", b"csrf", b"replace", b"text"]), texts.map(
    lambda t: encoded(t, "utf-8").replace(b'"', b"").replace(b"\r", b"").replace(b"\n", b"")
))  # fmt: skip
filenames = st.one_of(
    st.none(),
    st.sampled_from([b"photo.jpg", b"../../etc/passwd", b"a.png\x00.exe", b"\xe7\x85\xa7\xe7\x89\x87.jpg", b""]),
    texts.map(lambda t: encoded(t, "utf-8").replace(b'"', b"").replace(b"\r", b"").replace(b"\n", b"")),
)
part_types = st.one_of(
    st.none(), st.sampled_from([b"image/jpeg", b"image/png", b"text/csv", b"application/octet-stream", b"text/html"])
)


def seeded_bytes(prefix: bytes, size: int, seed: int) -> bytes:
    """`size` bytes starting with `prefix`, the rest from `seed` (reproducible, not stored by Hypothesis)."""
    rest = max(0, size - len(prefix))
    return (prefix + random.Random(seed).randbytes(rest))[: max(size, 0)] if size else b""


# Mostly small; now and then a photo at and over the 5 MiB limit, and over the web app's 8 MiB body limit.
PHOTO_SIZES = [0, 1, 3, 8, 16, 64, 100, 500, 1_000, 2_000, 4_096, 10_000, 30_000, 60_000, 120_000] * 2 + [
    5 * MIB - 16, 5 * MIB + 1, 9 * MIB,
]  # fmt: skip
photo_data = st.builds(
    seeded_bytes,
    st.sampled_from([JPEG_MAGIC, JPEG_MAGIC, PNG_MAGIC, b"", b"GIF89a", b"<svg onload=alert(1)>", b"%PDF-1.4"]),
    st.sampled_from(PHOTO_SIZES),
    st.integers(0, 2**32),
)

# --- rest -----------------------------------------------------------------------------------

FUZZ_SENDERS = tuple(f"fuzz-rest-{n}" for n in range(6))
CONTENT_TYPES = (
    "application/json", "application/json", "application/json", "application/json; charset=utf-16", "text/plain",
    None, "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=nope",
)  # fmt: skip
senders = st.one_of(
    st.sampled_from(FUZZ_SENDERS),
    st.sampled_from(FUZZ_SENDERS),
    st.sampled_from(FUZZ_SENDERS),
    st.sampled_from(FUZZ_SENDERS),
    texts,
    st.integers(),
    st.just("x" * 129),
)
metadata = st.one_of(st.dictionaries(texts, json_values, max_size=4), json_values)
well_formed_messages = st.fixed_dictionaries(
    {"sender": senders, "message": message_texts},
    optional={"metadata": metadata, "input_channel": st.sampled_from(["telegram", "wechat", "webchat"]) | texts,
              "customData": json_values},
)  # fmt: skip
wrong_types = st.fixed_dictionaries(
    {}, optional={"sender": json_values, "message": json_values, "metadata": json_values}
)


def with_deep_metadata(sender: str, message: str, deep: bytes) -> bytes:
    return b'{"sender": ' + json.dumps(sender).encode() + b', "message": ' + json.dumps(message).encode() + (
        b', "metadata": {"x": ' + deep + b"}}"
    )  # fmt: skip


def json_bodies(messages: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Bodies that are mostly JSON of `messages`' shape, and otherwise anything at all."""
    clean = st.builds(json_bytes, messages, st.sampled_from(["ascii", "utf8"]))
    good = st.builds(
        json_bytes, weighted((messages, 4), (wrong_types, 1), (json_values, 1)), st.sampled_from(JSON_STYLES)
    )
    broken = st.one_of(
        st.binary(max_size=2048),
        deep_bodies,
        st.builds(with_deep_metadata, st.sampled_from(FUZZ_SENDERS), st.sampled_from(RIDER_PHRASES), deep_bodies),
        st.builds(lambda body, cut: body[:cut], good, st.integers(0, 200)),
        st.builds(lambda t: encoded(t, "utf-8"), texts),
    )
    return weighted((clean, 5), (good, 3), (broken, 2))


rest_cases = st.tuples(st.sampled_from(CONTENT_TYPES), json_bodies(well_formed_messages))


def send_rest(target: Target, case: Tuple[Optional[str], bytes]) -> int:
    content_type, body = case
    headers = {"Content-Type": content_type} if content_type else {}
    return target.request(Sent("rest", "POST", f"{target.rasa}/webhooks/rest/webhook", headers, body))


# --- web chat -----------------------------------------------------------------------------

cookie_kinds = st.one_of(
    st.just(("none",)),
    st.just(("valid",)),
    st.just(("valid",)),
    st.tuples(st.just("tampered"), st.integers(0, 200)),
    st.tuples(st.just("other-key"), st.one_of(st.just("web-AAAAAAAAAAAAAAAAAAAAAA"), texts)),
    st.tuples(st.just("forged"), texts),
    st.tuples(st.just("header"), texts),
)
chat_messages = st.fixed_dictionaries(
    {"message": message_texts}, optional={"metadata": metadata, "sender": senders, "attachment_id": json_values}
)
webchat_send_cases = st.tuples(cookie_kinds, st.sampled_from(CONTENT_TYPES), json_bodies(chat_messages))


def _with_cookie(target: Target, kind: Tuple[Any, ...], headers: Dict[str, Any]) -> Dict[str, Any]:
    cookie = target.chat_cookie_header(kind)
    return {**headers, "Cookie": cookie} if cookie is not None else headers


def send_webchat(target: Target, case: Tuple[Tuple[Any, ...], Optional[str], bytes]) -> int:
    cookie, content_type, body = case
    headers = _with_cookie(target, cookie, {"Content-Type": content_type} if content_type else {})
    return target.request(Sent("webchat_send", "POST", f"{target.web}/api/chat", headers, body))


photo_parts = st.builds(Part, st.just(b"photo"), filenames.map(lambda f: f if f is not None else b"p.jpg"), part_types,
                        photo_data)  # fmt: skip
caption_parts = st.builds(lambda text, codec: Part(b"caption", None, None, encoded(text, codec)), message_texts, codecs)
other_parts = st.builds(Part, form_names, filenames, part_types, st.binary(max_size=300))
photo_forms = st.one_of(
    st.tuples(photo_parts, caption_parts).map(list),
    st.tuples(photo_parts, caption_parts).map(list),
    st.tuples(photo_parts).map(list),
    st.lists(st.one_of(photo_parts, caption_parts, other_parts), max_size=4),
    # the photo as a plain field, not a file
    st.tuples(st.builds(Part, st.just(b"photo"), st.none(), st.none(), photo_data), caption_parts).map(list),
)
webchat_photo_cases = st.one_of(
    st.tuples(st.just("multipart"), cookie_kinds, photo_forms, boundaries, multipart_flaws),
    st.tuples(st.just("multipart"), cookie_kinds, photo_forms, boundaries, multipart_flaws),
    st.tuples(st.just("raw"), cookie_kinds, st.sampled_from(CONTENT_TYPES), st.binary(max_size=4096)),
)


def send_webchat_photo(target: Target, case: Tuple[Any, ...]) -> int:
    if case[0] == "multipart":
        _, cookie, parts, boundary, flaw = case
        body, content_type = multipart_body(parts, boundary, flaw)
    else:
        _, cookie, content_type, body = case
    headers = _with_cookie(target, cookie, {"Content-Type": content_type} if content_type else {})
    return target.request(Sent("webchat_photo", "POST", f"{target.web}/api/chat/photo", headers, body))


query_params = st.dictionaries(
    st.one_of(st.sampled_from(["after", "token", "sender", "limit", "next"]), texts),
    st.one_of(texts, huge_query_texts),
    max_size=3,
)
event_ids = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6).map(str),
    st.integers(0, 10**30).map(str),
    st.sampled_from(["²", "١٢٣", "𝟘", "0x10", "1e3", "", " 7", "9" * 5_000, "-1", "NaN"]),
    texts,
)
webchat_history_cases = st.tuples(cookie_kinds, query_params, st.sampled_from([None, "application/json", "*/*", ""]))


def _url(base: str, path: str, query: Dict[str, str]) -> str:
    if not query:
        return f"{base}{path}"
    pairs = [(encoded(k, "utf-8"), encoded(v, "utf-8")) for k, v in query.items()]
    return f"{base}{path}?{urllib.parse.urlencode(pairs)}"


def send_webchat_history(target: Target, case: Tuple[Any, ...]) -> int:
    cookie, query, accept = case
    headers = _with_cookie(target, cookie, {"Accept": accept} if accept is not None else {})
    return target.request(Sent("webchat_history", "GET", _url(target.web, "/api/chat/history", query), headers))


webchat_events_cases = st.tuples(
    st.one_of(cookie_kinds, st.just(("valid",))),
    event_ids,
    event_ids,
    st.sampled_from([None, "text/event-stream", "*/*"]),
)


def send_webchat_events(target: Target, case: Tuple[Any, ...]) -> int:
    """A live feed: the status is what counts; the stream is closed as soon as it has started."""
    cookie, last_event_id, after, accept = case
    headers = _with_cookie(target, cookie, {"Accept": accept} if accept else {})
    if last_event_id is not None:
        headers["Last-Event-ID"] = header_value(last_event_id)
    query = {"after": after} if after is not None else {}
    headers["Connection"] = "close"
    sent = Sent("webchat_events", "GET", _url(target.web, "/api/chat/events", query), headers)
    target.last = sent
    try:
        response = target.http.get(sent.url, headers=headers, stream=True, timeout=(10, SEND_TIMEOUT_S))
    except (requests.ConnectionError, requests.Timeout) as error:
        sent.note = f"no answer: {type(error).__name__}: {error}"
        return 0
    with response:
        if response.status_code >= 500:
            sent.note = f"answered {response.status_code}: {response.raw.read(300, decode_content=True)!r}"
        return response.status_code


# --- Telegram ------------------------------------------------------------------------------

FUZZ_CHATS = tuple(8_100_000_000 + n for n in range(6))
telegram_ints = st.one_of(
    st.sampled_from(FUZZ_CHATS), st.integers(-(10**13), 10**13), st.integers(), st.integers(2**63, 10**30)
)
odd_ids = st.one_of(st.just("x"), st.just("123"), st.floats(), st.booleans(), st.none(), st.just([]), st.just({}))
good_users = st.fixed_dictionaries(
    {"id": telegram_ints, "is_bot": st.booleans(), "first_name": texts},
    optional={"language_code": st.sampled_from(["zh-hans", "en"]) | texts, "username": texts},
)
telegram_users = weighted(
    (good_users, 6),
    (st.fixed_dictionaries({}, optional={"id": odd_ids, "first_name": json_values}), 1),
    (json_values, 1),
)
good_chats = st.fixed_dictionaries(
    {"id": telegram_ints, "type": st.sampled_from(["private", "private", "group", "supergroup", "channel"])},
    optional={"title": texts},
)
telegram_chats = weighted(
    (good_chats, 8),
    (st.just("x"), 1),
    (st.fixed_dictionaries({"type": st.sampled_from(["private", "group"]) | texts}, optional={"id": odd_ids}), 1),
    (json_values, 1),
)
coordinates = st.one_of(
    st.floats(35.5, 37.3), st.floats(111.8, 114.2), st.floats(), st.integers(), texts, st.none(), st.just([1, 2])
)
photo_sizes = st.fixed_dictionaries(
    {"file_id": st.sampled_from(["small", "big"]) | texts, "file_unique_id": texts,
     "width": st.integers(0, 10_000), "height": st.integers(0, 10_000)},
    optional={"file_size": st.integers() | texts},
)  # fmt: skip
message_contents = st.one_of(
    st.fixed_dictionaries({"text": message_texts}),
    st.fixed_dictionaries({"text": message_texts}),
    st.fixed_dictionaries({"text": message_texts}),
    st.fixed_dictionaries({"text": json_values}),
    st.fixed_dictionaries(
        {"photo": st.lists(photo_sizes, max_size=3) | json_values}, optional={"caption": message_texts | json_values}
    ),
    st.fixed_dictionaries({"location": st.fixed_dictionaries({}, optional={"latitude": coordinates,
                                                                            "longitude": coordinates})}),
    st.fixed_dictionaries({"location": json_values}),
    st.builds(lambda kind, value: {kind: value},
              st.sampled_from(["sticker", "voice", "contact", "document", "video", "dice", "poll"]), json_values),
    st.just({}),
)  # fmt: skip


def _merge(base: Dict[str, Any], extra: Dict[str, Any]) -> Dict[str, Any]:
    return {**base, **extra}


# As Telegram sends them (the suite's tests/integration/test_telegram.py builds the same), and otherwise.
telegram_messages = weighted(
    (st.builds(_merge, st.fixed_dictionaries(
        {"message_id": st.integers(1, 10**6), "chat": good_chats, "from": good_users,
         "date": st.just(0).map(lambda _: int(time.time()))},
    ), message_contents), 3),
    (st.builds(_merge, st.fixed_dictionaries(
        {"message_id": st.integers(0, 10**6) | odd_ids, "chat": telegram_chats},
        optional={"date": st.integers(0, 2**40) | odd_ids, "from": telegram_users,
                  "reply_to_message": json_values, "entities": json_values},
    ), message_contents), 2),
)  # fmt: skip
callback_queries = st.fixed_dictionaries(
    {"id": texts | odd_ids, "from": telegram_users},
    optional={"chat_instance": texts, "data": st.sampled_from(["/ask_capabilities", "/request_human", "/greet"])
              | texts | st.just("x" * 65) | json_values, "message": telegram_messages | json_values},
)  # fmt: skip
update_bodies = st.one_of(
    st.builds(lambda m: {"message": m}, telegram_messages),
    st.builds(lambda m: {"message": m}, telegram_messages),
    st.builds(lambda m: {"message": m}, telegram_messages),
    st.builds(lambda m: {"edited_message": m}, telegram_messages),
    st.builds(lambda m: {"channel_post": m}, telegram_messages),
    st.builds(lambda q: {"callback_query": q}, callback_queries),
    st.builds(lambda q: {"callback_query": q}, callback_queries),
    st.dictionaries(st.sampled_from(["my_chat_member", "inline_query", "poll", "unknown_kind", "message"]) | texts,
                    json_values, max_size=3),
)  # fmt: skip
update_ids = st.one_of(
    st.just(("fresh",)), st.just(("fresh",)), st.just(("fresh",)), st.just(("fresh",)),
    st.just(("repeat",)), st.just(("missing",)), st.tuples(st.just("given"), json_values | st.integers()),
)  # fmt: skip
secrets_given = st.one_of(
    st.just(("right",)), st.just(("right",)), st.just(("right",)), st.just(("right",)), st.just(("right",)),
    st.just(("missing",)), st.tuples(st.just("wrong"), texts),
)  # fmt: skip
telegram_cases = weighted(
    (st.tuples(st.just("update"), secrets_given, update_ids, update_bodies, st.booleans(),
               st.sampled_from(["ascii", "ascii", "ascii", "utf8", "utf8", *JSON_STYLES])), 9),
    (st.tuples(st.just("raw"), secrets_given, st.one_of(st.binary(max_size=2048), deep_bodies,
                                                       st.builds(json_bytes, json_values))), 1),
)  # fmt: skip


def as_aiogram_accepts(update: Dict[str, Any]) -> Dict[str, Any]:
    """The update after a round trip through aiogram's own types, when they take it."""
    from aiogram import types

    try:
        return types.Update.to_object(update).to_python()
    except Exception:  # aiogram refuses it: sent as it is
        return update


def send_telegram(target: Target, case: Tuple[Any, ...]) -> int:
    secret = case[1]
    headers: Dict[str, Any] = {"Content-Type": "application/json"}
    if secret[0] == "right":
        headers[SECRET_HEADER] = TELEGRAM_SECRET
    elif secret[0] == "wrong":
        headers[SECRET_HEADER] = header_value(secret[1])
    if case[0] == "raw":
        body = case[2]
    else:
        _, _, update_id, update, through_aiogram, style = case
        update = dict(update)
        if update_id[0] == "fresh":
            update["update_id"] = target.fresh_id()
        elif update_id[0] == "repeat":
            update["update_id"] = 1
        elif update_id[0] == "given":
            update["update_id"] = update_id[1]
        if through_aiogram:
            update = as_aiogram_accepts(update)
        body = json_bytes(update, style)
    return target.request(Sent("telegram", "POST", f"{target.rasa}/webhooks/telegram/webhook", headers, body))


# --- WeChat ---------------------------------------------------------------------------------

ACCOUNT = "gh_0123456789ab"
FUZZ_OPENIDS = tuple(f"ofuzz{n:023d}" for n in range(6))
coordinate_texts = st.one_of(
    st.floats(35.5, 37.3).map(lambda f: f"{f:.6f}"),
    st.floats(111.8, 114.2).map(lambda f: f"{f:.6f}"),
    st.sampled_from(["abc", "", "nan", "inf", "-inf", "1e999", "1e308", "0x1p3", "36,19", "９０", "-0"]),
    st.floats().map(repr),
    texts,
)
wechat_values = weighted(
    (texts, 4), (huge_texts, 1), (st.sampled_from(["<a>1</a>", "<b><c/></b>", "&lt;x&gt;", "]]>", "<![CDATA[x]]>"]), 1)
)
wechat_fields = st.one_of(
    st.tuples(st.just("text"), st.fixed_dictionaries({"Content": st.one_of(message_texts, wechat_values)})),
    st.tuples(st.just("text"), st.fixed_dictionaries({"Content": st.one_of(message_texts, wechat_values)})),
    st.tuples(st.just("location"), st.fixed_dictionaries(
        {"Location_X": coordinate_texts, "Location_Y": coordinate_texts},
        optional={"Scale": texts | st.just("15"), "Label": texts},
    )),
    st.tuples(st.just("image"), st.fixed_dictionaries({}, optional={"PicUrl": texts,
                                                                     "MediaId": texts | st.just("m1")})),
    st.tuples(st.just("voice"), st.fixed_dictionaries(
        {}, optional={"MediaId": texts, "Format": st.just("amr") | texts, "Recognition": message_texts})),
    st.tuples(st.just("event"), st.fixed_dictionaries(
        {"Event": st.sampled_from(["subscribe", "unsubscribe", "SCAN", "LOCATION", "CLICK", "VIEW", "subscribe"])
         | texts},
        optional={"EventKey": st.sampled_from(["qrscene_1", "scanbarcode|x", "/greet"]) | texts,
                  "Latitude": coordinate_texts, "Longitude": coordinate_texts, "Precision": texts},
    )),
    st.tuples(st.sampled_from(["link", "video", "shortvideo", "file", "miniprogrampage"]) | texts,
              st.dictionaries(st.sampled_from(["Title", "Url", "MediaId", "Description"]) | st.from_regex(
                  r"\A[A-Za-z_][A-Za-z0-9_]{0,10}\Z"), wechat_values, max_size=3)),
)  # fmt: skip
wechat_messages = st.fixed_dictionaries(
    {
        "fields": wechat_fields,
        "openid": st.one_of(st.sampled_from(FUZZ_OPENIDS), st.sampled_from(FUZZ_OPENIDS), texts, st.none()),
        "msg_id": st.one_of(st.just("fresh"), st.just("fresh"), st.just("fresh"), st.just("repeat"), st.none(),
                            texts, st.integers().map(str)),
        "create_time": st.one_of(st.just("now"), st.integers().map(str), texts),
        "style": st.sampled_from(["cdata", "cdata", "cdata", "escaped", "raw"]),
        "junk": st.one_of(st.just(""), st.just(""), st.just(""), st.sampled_from(
            ["<MsgType>text</MsgType>", "<xml/>", "<!-- c -->", "<?pi x?>", "&amp;", "\x00", "<Content>two</Content>"]),
            texts),
        "frame": st.sampled_from(["xml", "xml", "xml", "xml", "other-root", "no-root", "declaration", "doctype"]),
    }
)  # fmt: skip


def _xml_value(value: str, style: str) -> str:
    if style == "cdata":
        return f"<![CDATA[{value}]]>"
    if style == "escaped":
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def wechat_xml(message: Dict[str, Any], msg_id: str) -> str:
    kind, fields = message["fields"]
    style = message["style"]
    create_time = str(int(time.time())) if message["create_time"] == "now" else message["create_time"]
    parts = [f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"]
    if message["openid"] is not None:
        parts.append(f"<FromUserName>{_xml_value(message['openid'], style)}</FromUserName>")
    parts.append(f"<CreateTime>{_xml_value(create_time, style)}</CreateTime>")
    parts.append(f"<MsgType>{_xml_value(str(kind), style)}</MsgType>")
    parts += [f"<{name}>{_xml_value(str(value), style)}</{name}>" for name, value in fields.items()]
    if msg_id:
        parts.append(f"<MsgId>{_xml_value(msg_id, style)}</MsgId>")
    inner = "".join(parts) + message["junk"]
    frame = message["frame"]
    if frame == "other-root":
        return f"<message>{inner}</message>"
    if frame == "no-root":
        return inner
    if frame == "declaration":
        return f'<?xml version="1.0" encoding="utf-8"?><xml>{inner}</xml>'
    if frame == "doctype":
        return f'<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml>{inner}&a;</xml>'
    return f"<xml>{inner}</xml>"


def wechat_signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature, as its documentation gives it (not the channel's own function)."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8", "surrogatepass")).hexdigest()


signings = weighted(
    (st.just(("right",)), 24),
    (st.one_of(
    st.just(("wrong",)), st.just(("missing",)), st.just(("stale",)), st.just(("future",)), st.just(("other-token",)),
    st.tuples(st.just("odd-timestamp"), st.sampled_from(["", "abc", "²", "-1", "9" * 50, "1e9", " 1"]) | texts),
    st.tuples(st.just("odd-nonce"), texts)), 9),
)  # fmt: skip


def wechat_query(signing: Tuple[Any, ...], sealable: bool = False) -> Dict[str, str]:
    """timestamp, nonce and signature as `signing` says; `sealable`: no lone surrogates
    (wechatpy seals only text it can encode; they become U+FFFD)."""
    now, nonce = int(time.time()), uuid.uuid4().hex[:10]
    how = signing[0]
    timestamp = {"stale": str(now - 3600), "future": str(now + 3600)}.get(how, str(now))
    if how == "odd-timestamp":
        timestamp = signing[1]
    if how == "odd-nonce":
        nonce = signing[1]
    if sealable:
        timestamp, nonce = (encoded(x, "utf-8").decode("utf-8", "replace") for x in (timestamp, nonce))
    token = "not-the-token" if how == "other-token" else WECHAT["token"]
    signature = "f" * 40 if how == "wrong" else wechat_signature(token, timestamp, nonce)
    query = {"timestamp": timestamp, "nonce": nonce, "signature": signature}
    if how == "missing":
        query = {"timestamp": timestamp, "nonce": nonce}
    return query


wechat_plain_cases = weighted(
    (st.tuples(st.just("post"), signings, wechat_messages, codecs,
               st.sampled_from([None, None, None, None, "raw", "", "aes"])), 8),
    (st.tuples(st.just("raw"), signings, st.one_of(st.binary(max_size=2048), huge_texts.map(lambda t: t.encode()))), 1),
    (st.tuples(st.just("check"), signings, st.one_of(st.just("echo-123"), texts)), 1),
)  # fmt: skip


def _wechat_msg_id(target: Target, choice: Optional[str]) -> str:
    if choice == "fresh":
        return str(target.fresh_id())
    if choice == "repeat":
        return "1"
    return choice or ""


def _wechat_url(target: Target, query: Dict[str, str]) -> str:
    return _url(target.rasa, "/webhooks/wechat/webhook", query)


def send_wechat_plain(target: Target, case: Tuple[Any, ...]) -> int:
    kind, signing = case[0], case[1]
    query = wechat_query(signing)
    if kind == "check":
        query["echostr"] = case[2]
        return target.request(Sent("wechat_plain", "GET", _wechat_url(target, query)))
    if kind == "raw":
        body = case[2]
    else:
        _, _, message, codec, encrypt_type = case
        body = encoded(wechat_xml(message, _wechat_msg_id(target, message["msg_id"])), codec)
        if encrypt_type is not None:
            query["encrypt_type"] = encrypt_type
    headers = {"Content-Type": "text/xml"}
    return target.request(Sent("wechat_plain", "POST", _wechat_url(target, query), headers, body))


envelope_flaws = weighted(
    (st.just(("none",)), 12),
    (st.one_of(
    st.just(("wrong-msg-signature",)), st.just(("other-appid",)), st.just(("other-key",)),
    st.tuples(st.just("encrypt"), st.one_of(st.sampled_from(["", "AAAA", "====", "not base64!", "A" * 24, "QUJD"]),
                                            texts, st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()))),
    st.tuples(st.just("envelope"), st.sampled_from([
        "<xml></xml>", "<xml><Encrypt><a>1</a></Encrypt></xml>", "<xml><Encrypt/></xml>", "<Encrypt>x</Encrypt>",
        "<xml><Encrypt>x</Encrypt><Encrypt>y</Encrypt></xml>", "not xml",
    ]))), 6),
)  # fmt: skip
wechat_encrypted_cases = st.tuples(signings, wechat_messages, codecs, envelope_flaws)

OTHER_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"


def sealed(plain: bytes, nonce: str, timestamp: str, flaw: Tuple[Any, ...]) -> Tuple[bytes, str]:
    """(envelope, msg_signature) as WeChat would send `plain`, sealed by wechatpy; `flaw` spoils it."""
    from wechatpy.crypto import WeChatCrypto

    how = flaw[0]
    key = OTHER_AES_KEY if how == "other-key" else WECHAT_AES_KEY
    appid = "wx0000000000000000" if how == "other-appid" else WECHAT["appid"]
    crypto = WeChatCrypto(WECHAT["token"], key, appid)
    envelope = crypto.encrypt_message(plain, nonce, timestamp)
    encrypt = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", envelope).group(1)
    if how == "encrypt":
        encrypt = flaw[1]
        envelope = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    if how == "envelope":
        envelope, encrypt = flaw[1], "x"
    signature = hashlib.sha1(
        b"".join(sorted(x.encode("utf-8", "surrogatepass") for x in (WECHAT["token"], timestamp, nonce, encrypt)))
    ).hexdigest()
    if how == "wrong-msg-signature":
        signature = "0" * 40
    return envelope.encode("utf-8", "surrogatepass"), signature


def send_wechat_encrypted(target: Target, case: Tuple[Any, ...]) -> int:
    signing, message, codec, flaw = case
    query = wechat_query(signing, sealable=True)
    plain = encoded(wechat_xml(message, _wechat_msg_id(target, message["msg_id"])), codec)
    body, msg_signature = sealed(plain, query.get("nonce", ""), query.get("timestamp", ""), flaw)
    query.update(encrypt_type="aes", msg_signature=msg_signature)
    headers = {"Content-Type": "text/xml"}
    return target.request(Sent("wechat_encrypted", "POST", _wechat_url(target, query), headers, body))


# --- console forms ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def districts() -> Tuple[str, ...]:
    from core.content.loader import district_names

    return tuple(district_names())


ticket_choices = weighted(
    (st.tuples(st.just("ours"), st.integers(0, FUZZ_TICKETS - 1)), 8),
    (st.just(("missing",)), 1),
    (st.tuples(st.just("digits"), st.sampled_from(["0", "00001", "9" * 30, "9" * 5_000])), 1),
)
csrf_choices = weighted(
    (st.just(("right",)), 12),
    (st.one_of(st.just(("missing",)), st.just(("header",)), st.tuples(st.just("wrong"), texts),
               st.just(("twice",))), 4),
)  # fmt: skip
form_values = st.one_of(message_texts, texts, st.integers().map(str), st.sampled_from(["", " ", "1", "潞州区"]))
console_actions = st.sampled_from(
    ["reply", "reply", "reply", "note", "note", "claim", "transfer", "transfer", "resolve", "retry", "nothing"]
)
console_fields = st.fixed_dictionaries(
    {},
    optional={"text": form_values, "request_key": form_values, "district": st.sampled_from(districts()) | form_values,
              "outbox_id": st.integers().map(str) | texts | st.just("9" * 40), "next": texts},
)  # fmt: skip
encodings = st.sampled_from(["urlencoded", "urlencoded", "multipart", "json", "none"])
logins = weighted((st.just(("admin",)), 10), (st.one_of(st.just(("none",)), st.tuples(st.just("forged"), texts)), 1))
console_cases = st.tuples(logins, console_actions, ticket_choices, console_fields, csrf_choices, encodings, codecs)


def form_body(fields: List[Tuple[str, bytes]], encoding: str) -> Tuple[bytes, Optional[str]]:
    if encoding == "multipart":
        return multipart_body([Part(name.encode(), None, None, value) for name, value in fields], "fuzzform")
    if encoding == "json":
        return json_bytes({name: value.decode("utf-8", "replace") for name, value in fields}), "application/json"
    if encoding == "none":
        return b"", None
    return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"


def _console_headers(target: Target, login: Tuple[Any, ...]) -> Dict[str, Any]:
    if login[0] == "admin":
        return {"Cookie": f"nx_console={target.console_cookie}"}
    if login[0] == "forged":
        return {"Cookie": b"nx_console=" + header_value(login[1])}
    return {}


def _with_csrf(target: Target, csrf: Tuple[Any, ...], fields: List[Tuple[str, bytes]], headers: Dict[str, Any]) -> None:
    if csrf[0] in ("right", "twice"):
        fields.insert(0, ("csrf", target.csrf.encode()))
    if csrf[0] == "twice":
        fields.append(("csrf", b"second"))
    if csrf[0] == "wrong":
        fields.insert(0, ("csrf", encoded(csrf[1], "utf-8")))
    if csrf[0] == "header":
        headers["X-CSRF-Token"] = target.csrf


def send_console(target: Target, case: Tuple[Any, ...]) -> int:
    login, action, ticket, values, csrf, encoding, codec = case
    if ticket[0] == "ours":
        ticket_id = str(target.ticket_ids[ticket[1] % len(target.ticket_ids)])
    else:
        ticket_id = "987654321" if ticket[0] == "missing" else ticket[1]
    fields = [(name, encoded(value, codec)) for name, value in values.items()]
    headers = _console_headers(target, login)
    _with_csrf(target, csrf, fields, headers)
    body, content_type = form_body(fields, encoding)
    if content_type:
        headers["Content-Type"] = content_type
    url = f"{target.web}/console/tickets/{ticket_id}/{action}"
    return target.request(Sent("console_forms", "POST", url, headers, body))


# --- CSV import ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def content_rows() -> Dict[str, Tuple[Tuple[Tuple[str, ...], Tuple[Dict[str, str], ...]], ...]]:
    """Header and rows of each importable table as the project ships them (content/ and the sample)."""
    from core.content import sample
    from core.content.loader import CONTENT_DIR, FILE_TABLES, read_csv
    from core.content.tables import table_specs

    district_rows = read_csv(CONTENT_DIR / "gazetteer" / "districts.csv")
    landmarks = read_csv(CONTENT_DIR / "gazetteer" / "landmarks.csv")
    specs = table_specs([d["name"] for d in district_rows])
    rows: Dict[str, List[Dict[str, str]]] = {name: read_csv(CONTENT_DIR / path) for name, path in FILE_TABLES}
    rows.update(sample.generate(district_rows, landmarks, date(2026, 11, 26), place_scale=0.05))
    return {
        name: (specs[name].header(), tuple(rows.get(name, ())[:60])) for name in importable_tables() if rows.get(name)
    }


@functools.lru_cache(maxsize=1)
def importable_tables() -> Tuple[str, ...]:
    from core.content.tables import table_specs

    return tuple(name for name, spec in table_specs(districts()).items() if spec.importable)


cell_values = st.one_of(
    texts,
    huge_texts,
    st.sampled_from(["", "0", "-1", "9" * 30, "1e999", "nan", "36.2", "113.1", "2027-07-01", "2027-02-30",
                     "Mo-Fr 08:00-20:00", "25:99-99:99", "wifi|toilet", "nope", "是", "否", "潞州区"]),
    st.integers().map(str),
)  # fmt: skip


@st.composite
def csv_files(draw: st.DrawFn) -> Tuple[str, bytes]:
    """(table, file): a table's header (sometimes shuffled, short or with strangers) and rows of the
    shipped content with some cells replaced, in some encoding; or bytes that are no CSV at all."""
    tables = content_rows()
    table = draw(st.sampled_from(sorted(tables)))
    header, pool = tables[table]
    if draw(st.integers(0, 9)) == 0:
        return table, draw(st.one_of(st.binary(max_size=4096), st.builds(lambda t: encoded(t, "utf-8"), huge_texts)))
    columns = list(header)
    shape = draw(st.sampled_from(["as is", "as is", "as is", "shuffled", "short", "stranger", "doubled"]))
    if shape == "shuffled":
        columns = draw(st.permutations(columns))
    elif shape == "short" and columns:
        columns = columns[: draw(st.integers(0, len(columns) - 1))]
    elif shape == "stranger":
        columns = [*columns, draw(texts)]
    elif shape == "doubled" and columns:
        columns = [*columns, columns[0]]
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = dict(draw(st.sampled_from(pool))) if pool else {}
        for column in draw(st.lists(st.sampled_from(columns), max_size=3)) if columns else []:
            row[column] = draw(cell_values)
        if "id" in columns and draw(st.booleans()):
            row["id"] = draw(st.sampled_from(["", "", "1", "2", "999999", "0", "-5", "9" * 25]))
        cells = [row.get(c, "") for c in columns]
        if draw(st.integers(0, 9)) == 0:
            cells = [*cells, draw(texts)] if draw(st.booleans()) else cells[:-1]
        rows.append(cells)
    text = "\r\n".join(",".join(_csv_cell(c) for c in line) for line in [columns, *rows])
    if draw(st.integers(0, 14)) == 0:
        text = text.replace('"', "", 1)  # an unbalanced quote
    codec = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-8-sig", "gbk", "utf-16", "latin-1"]))
    data = b"\xef\xbb\xbf" + encoded(text, "utf-8") if codec == "utf-8-sig" else encoded(text, codec)
    return table, data


def _csv_cell(value: str) -> str:
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


csv_import_cases = st.tuples(
    logins,
    weighted((csv_files(), 9), (st.tuples(st.sampled_from(["enrolments", "nothing", "..%2f"]) | texts,
                                          st.binary(max_size=512)), 1)),
    st.one_of(st.none(), st.none(), st.just("1"), texts),
    csrf_choices,
    filenames,
    part_types,
    st.sampled_from(["file", "file", "file", "file", "upload", "plain-field"]),
    multipart_flaws,
)  # fmt: skip


def send_csv_import(target: Target, case: Tuple[Any, ...]) -> int:
    login, (table, data), replace, csrf, filename, content_type, how, flaw = case
    fields: List[Tuple[str, bytes]] = []
    headers = _console_headers(target, login)
    _with_csrf(target, csrf, fields, headers)
    parts = [Part(name.encode(), None, None, value) for name, value in fields]
    if replace is not None:
        parts.append(Part(b"replace", None, None, encoded(replace, "utf-8")))
    if how == "plain-field":
        parts.append(Part(b"file", None, None, data))
    else:
        parts.append(Part(b"file" if how == "file" else b"upload", filename or b"x.csv", content_type, data))
    body, form_type = multipart_body(parts, "fuzzcsv", flaw)
    headers["Content-Type"] = form_type
    path = urllib.parse.quote(encoded(table, "utf-8"), safe="")
    return target.request(Sent("csv_import", "POST", f"{target.web}/console/admin/content/{path}", headers, body))


# --- every entry point ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryPoint:
    strategy: st.SearchStrategy[Any]
    send: Callable[[Target, Any], int]
    weight: int  # share of the inputs


ENTRY_POINTS: Dict[str, EntryPoint] = {
    "rest": EntryPoint(rest_cases, send_rest, 14),
    "webchat_send": EntryPoint(webchat_send_cases, send_webchat, 10),
    "webchat_photo": EntryPoint(webchat_photo_cases, send_webchat_photo, 8),
    "webchat_history": EntryPoint(webchat_history_cases, send_webchat_history, 6),
    "webchat_events": EntryPoint(webchat_events_cases, send_webchat_events, 6),
    "telegram": EntryPoint(telegram_cases, send_telegram, 14),
    "wechat_plain": EntryPoint(wechat_plain_cases, send_wechat_plain, 12),
    "wechat_encrypted": EntryPoint(wechat_encrypted_cases, send_wechat_encrypted, 10),
    "console_forms": EntryPoint(console_cases, send_console, 10),
    "csv_import": EntryPoint(csv_import_cases, send_csv_import, 10),
}


def shares(inputs: int, names: Sequence[str] = tuple(ENTRY_POINTS)) -> Dict[str, int]:
    """`inputs` split over the entry points by weight (each gets at least one)."""
    total = sum(ENTRY_POINTS[n].weight for n in names)
    split = {n: max(1, inputs * ENTRY_POINTS[n].weight // total) for n in names}
    split[names[0]] += max(0, inputs - sum(split.values()))
    return split


# --- the loop ---------------------------------------------------------------------------------------


class LogWatch:
    """The stack's log files, read from a mark: what a process logged while one input was handled."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def mark(self) -> Dict[Path, int]:
        return {path: path.stat().st_size for path in self.directory.glob("*.log")}

    def since(self, marks: Dict[Path, int]) -> str:
        time.sleep(0.05)  # the server logs as it answers
        parts = []
        for path in sorted(self.directory.glob("*.log")):
            with path.open("rb") as handle:
                handle.seek(marks.get(path, 0))
                text = handle.read(200_000).decode("utf-8", "replace").strip()
            if text:
                parts.append(f"[{path.name}]\n{text}")
        return "\n".join(parts)


def signature(log: str) -> str:
    """What a failure is known by: the exception at the end of the last traceback in `log`,
    and the innermost frame of the project's own code in it."""
    blocks = log.split("Traceback (most recent call last):")
    if len(blocks) < 2:
        return "(no traceback logged)"
    lines = [line for line in blocks[-1].splitlines() if line.strip()]
    error = next((line for line in lines if not line[0].isspace()), "?")  # what follows the indented frames
    ours = [
        line.strip() for line in lines if "/work/" in line and "/.venv/" not in line and line.strip()[:5] == "File "
    ]
    where = re.sub(r'^File ".*?/(\w+/[\w/]+\.py)", line \d+, in ', r"\1:", ours[-1]) if ours else "library code"
    error = re.sub(r"(with base \d+: |starting boundary ).*$", r"\1…", error)  # the input's own text or bytes
    error = re.sub(r"0x[0-9a-f]+|[0-9]+", "N", error)
    return f"{error[:90]} @ {where}"


@dataclass
class Failure:
    entry: str
    status: int
    sent: Optional[Sent]
    index: int  # its number among all inputs sent
    log: str = ""  # what the stack logged meanwhile

    @property
    def reproduction(self) -> str:
        return self.sent.reproduction() if self.sent else "(nothing was sent)"

    @property
    def kind(self) -> str:
        return f"{self.entry} {self.status}: {signature(self.log)}"


@dataclass
class Figures:
    inputs: Counter = field(default_factory=Counter)
    statuses: Dict[str, Counter] = field(default_factory=dict)
    seconds: Counter = field(default_factory=Counter)
    slowest: Dict[str, float] = field(default_factory=dict)
    failures: List[Failure] = field(default_factory=list)
    client_errors: List[str] = field(default_factory=list)
    checks: int = 0
    stopped: str = ""  # why the run stopped early: a process exited or `你好` went unanswered
    elapsed: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.inputs.values())

    def record(self, entry: str, status: int, seconds: float, sent: Optional[Sent], log: str = "") -> None:
        self.inputs[entry] += 1
        self.statuses.setdefault(entry, Counter())[status] += 1
        self.seconds[entry] += seconds
        self.slowest[entry] = max(self.slowest.get(entry, 0.0), seconds)
        if not 0 < status < 500:
            self.failures.append(Failure(entry, status, sent, self.total, log))

    def kinds(self) -> Dict[str, List[Failure]]:
        """The failures by kind (entry point, status, exception and where), most frequent first."""
        found: Dict[str, List[Failure]] = {}
        for failure in self.failures:
            found.setdefault(failure.kind, []).append(failure)
        return dict(sorted(found.items(), key=lambda item: -len(item[1])))

    def summary(self) -> str:
        every = Counter()
        for counts in self.statuses.values():
            every.update(counts)
        lines = [
            f"{self.total} inputs in {self.elapsed:.0f} s; {len(self.failures)} × 5xx or no answer "
            f"({len(self.kinds())} kinds); {self.checks} liveness checks passed (no process exited, 你好 answered)"
            + (f"; STOPPED {self.stopped}" if self.stopped else ""),
            "statuses: " + " ".join(f"{s}×{n}" for s, n in sorted(every.items())),
            f"{'entry point':<17} {'inputs':>6} {'mean ms':>8} {'max ms':>8}  statuses",
        ]
        for entry in self.inputs:
            count = self.inputs[entry]
            statuses = " ".join(f"{s}×{n}" for s, n in sorted(self.statuses[entry].items()))
            lines.append(
                f"{entry:<17} {count:>6} {1000 * self.seconds[entry] / count:>8.0f} "
                f"{1000 * self.slowest[entry]:>8.0f}  {statuses}"
            )
        if self.failures:
            lines.append("kinds of failure (count, entry point, status, exception @ innermost project frame):")
            lines += [f"  {len(found):>5}  {kind}" for kind, found in self.kinds().items()]
        if self.client_errors:
            lines.append(f"{len(self.client_errors)} inputs the fuzzer itself could not send:")
            lines += [f"  {error.splitlines()[-2] if len(error.splitlines()) > 1 else error}" for error in
                      self.client_errors[:5]]  # fmt: skip
        return "\n".join(lines)

    def examples(self, shown: int = 10, log_lines: int = 40) -> str:
        """The first failure of each kind: the request, byte for byte, and what the stack logged."""
        out = []
        for kind, found in list(self.kinds().items())[:shown]:
            first = found[0]
            log = "\n".join(first.log.splitlines()[-log_lines:])
            out.append(f"--- {kind} ({len(found)}×; first at input {first.index})\n{first.reproduction}\n{log}")
        return "\n\n".join(out)


Check = Callable[[int], None]


def run(
    target: Target,
    inputs: int,
    seed: int,
    check: Check,
    batch: int = 50,
    names: Sequence[str] = tuple(ENTRY_POINTS),
    progress: Optional[Callable[[Figures], None]] = None,
    logs: Optional[LogWatch] = None,
) -> Figures:
    """`inputs` generated inputs over the entry points `names`, each point's from a seed of its own;
    `check(n)` after every `batch` inputs and at the end raises if the assistant is not well."""
    figures = Figures()
    started = time.perf_counter()
    split = shares(inputs, names)
    for name in names:  # an entry point's inputs depend on the seed only, not on which others run
        point_seed = seed * 1000 + list(ENTRY_POINTS).index(name)
        drive(target, name, split[name], point_seed, check, batch, figures, progress, logs)
        if figures.stopped:
            break
    if not figures.stopped:
        _check(check, figures)
    figures.elapsed = time.perf_counter() - started
    return figures


def _check(check: Check, figures: Figures) -> None:
    try:
        check(figures.total)
        figures.checks += 1
    except Exception as error:
        figures.stopped = f"after input {figures.total}: {type(error).__name__}: {error}"


def drive(
    target: Target,
    name: str,
    count: int,
    seed: int,
    check: Check,
    batch: int,
    figures: Figures,
    progress: Optional[Callable[[Figures], None]] = None,
    logs: Optional[LogWatch] = None,
) -> None:
    """`count` inputs of one entry point, generated by Hypothesis from `seed` (no shrinking, no database)."""
    point = ENTRY_POINTS[name]
    goal = figures.inputs[name] + count
    attempt = 0
    while figures.inputs[name] < goal and not figures.stopped and attempt < 5:  # more seeds if one runs dry

        @settings(
            max_examples=goal - figures.inputs[name], database=None, deadline=None, phases=[Phase.generate],
            suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, derandomize=False,
        )  # fmt: skip
        @hypothesis_seed(seed + attempt * 7919)
        @given(point.strategy)
        def one(case: Any) -> None:
            if figures.stopped or figures.inputs[name] >= goal:
                return
            target.last = None
            marks = logs.mark() if logs else {}
            began = time.perf_counter()
            try:
                status = point.send(target, case)
            except Exception:
                figures.client_errors.append(f"{name}: {traceback.format_exc(limit=4)}\ncase: {case!r}"[:3000])
                return
            seconds = time.perf_counter() - began
            log = logs.since(marks) if logs and not 0 < status < 500 else ""
            figures.record(name, status, seconds, target.last, log)
            if figures.total % batch == 0:
                _check(check, figures)
                if progress:
                    progress(figures)

        one()
        attempt += 1
