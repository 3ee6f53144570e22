"""A conversation fuzzer: seeded random conversations over every flow, checked after every turn.

Each conversation is built by a `random.Random(seed)` from small per-flow state
machines (stations, legal, childcare and training sign-up, reports, suggestions,
hand-over, progress, rating, FAQ, small talk, bad input) that read the
assistant's last answer (the responses it used, the buttons it offered) to
choose a plausible next message; exit words come at random points. Staff act
directly in the database (core.tickets), so their replies and the rating
question reach the worker through the delivery worker, as in production.

After every turn the reply and the conversation's tracker are checked:

- server_error: no HTTP status of 500 or more, no failed request, and no
  "try again" (the channel's answer when handling the turn failed);
- no_reply: a non-empty reply unless the `handoff` slot is true after the turn;
- repeated_fallback: never the same fallback twice in a row for a message the
  NLU classifies in scope;
- exit_not_honoured: after an exit word, the next in-scope message's first action
  is one its own flow starts with (data/rules.yml);
- core_fallback: never `utter_default`, `action_default_fallback` or
  `UserUtteranceReverted` (the loop DESIGN.md warns of);
- stuck: the conversation can always be brought back: at its end (取消 when staff
  own it, then) 你好 gets `utter_greet`, and a resolution's rating question arrives.

A violation keeps the seed, the sender and the steps so far, so it can be replayed.
Shared by tests/integration/test_conversation_fuzz.py and bench/conversation_fuzz.py.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple, Union

import requests
import yaml
from sqlalchemy import select

from core import staff, tickets
from core.db import make_engine, make_session_factory
from core.models import StaffUser, Ticket
from core.settings import PROJECT_ROOT

INVARIANTS = {
    "server_error": "HTTP status >= 500, a failed request, or the channel's 'try again'",
    "no_reply": "an empty reply while the assistant (not staff) owns the conversation",
    "repeated_fallback": "the same fallback twice in a row for an in-scope message",
    "exit_not_honoured": "after an exit word, an in-scope message did not get its own flow",
    "core_fallback": "utter_default, action_default_fallback or UserUtteranceReverted",
    "stuck": "the conversation could not be brought back (greeting, rating question)",
}
FALLBACK_RESPONSES = frozenset(
    {"utter_default", "utter_clarify", "utter_clarify_none", "utter_please_rephrase", "utter_out_of_scope"}
)
FALLBACK_ACTIONS = frozenset({"action_handle_fallback", "action_default_fallback"})
OUT_OF_SCOPE = frozenset({"nlu_fallback", "out_of_scope"})
EXIT_WORDS = ("取消", "算了", "不用了", "退出")
# What the rest channel answers when handling a message failed (bot/channels/handling.py).
TRY_AGAIN = "utter_try_again"
FOLLOW_UP_ACTION = "action_follow_up"
LEAVE_HANDOFF_ACTION = "action_leave_handoff"
TICKET_NUMBER = re.compile(r"CZ-\d{8}-\d{4}")
RATING_WAIT_S = 30.0
# Failed requests in a row after which the assistant counts as down and the run stops.
DOWN_AFTER = 10


# --- what the project says: rules and responses -----------------------------------


@functools.cache
def expected_first_actions() -> Dict[str, FrozenSet[str]]:
    """Per intent, the actions a rule of data/rules.yml runs right after it: how its flow starts."""
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    starts: Dict[str, Set[str]] = {}
    for rule in rules:
        steps = rule.get("steps") or []
        for step, following in itertools.pairwise(steps):
            if "intent" in step and "action" in following:
                starts.setdefault(step["intent"], set()).add(following["action"])
    return {intent: frozenset(actions) for intent, actions in starts.items()}


@functools.cache
def response_names_by_text() -> Dict[str, str]:
    """Fixed texts of domain.yml's responses (no placeholders): how a reply without a tracker is named."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    names = {}
    for name, variants in (domain.get("responses") or {}).items():
        for variant in variants:
            text = variant.get("text") or ""
            if text and "{" not in text:
                names.setdefault(text, name)
    return names


# --- one turn and the checks -------------------------------------------------------


@dataclass
class Turn:
    """One message, what came back, and the tracker events it produced."""

    message: str
    status: int
    replies: List[Dict[str, Any]]
    events: List[Dict[str, Any]] = field(default_factory=list)
    slots: Dict[str, Any] = field(default_factory=dict)
    active_loop: Optional[str] = None
    exit_word: bool = False
    tracker_status: int = 200

    @property
    def user_events(self) -> List[Dict[str, Any]]:
        return [e for e in self.events if e.get("event") == "user"]

    @property
    def intent(self) -> Optional[str]:
        """The NLU's intent for the message (None when it never reached the assistant, e.g. blank)."""
        users = self.user_events
        return ((users[-1].get("parse_data") or {}).get("intent") or {}).get("name") if users else None

    @property
    def in_scope(self) -> bool:
        return self.intent is not None and self.intent not in OUT_OF_SCOPE

    @property
    def actions(self) -> List[str]:
        return [e.get("name") or "" for e in self.events if e.get("event") == "action"]

    @property
    def responses(self) -> List[str]:
        """The responses the assistant used this turn (staff messages delivered meanwhile left out)."""
        named = [
            (e.get("metadata") or {}).get("utter_action") or ""
            for e in self.events
            if e.get("event") == "bot" and not (e.get("metadata") or {}).get("delivered_by")
        ]
        by_text = response_names_by_text()
        return [*named, *(by_text[t] for t in self.texts if t in by_text and by_text[t] not in named)]

    @property
    def first_action(self) -> Optional[str]:
        """The first action after the message (its redispatched copy, if a form handed it back)."""
        last_user = max((i for i, e in enumerate(self.events) if e.get("event") == "user"), default=None)
        if last_user is None:
            return None
        return next((e.get("name") for e in self.events[last_user + 1 :] if e.get("event") == "action"), None)

    @property
    def handoff(self) -> bool:
        return bool(self.slots.get("handoff"))

    @property
    def texts(self) -> List[str]:
        return [m.get("text") or "" for m in self.replies if m.get("text")]

    def payloads(self, prefix: str = "/") -> List[str]:
        """The payloads of the buttons offered in the reply."""
        return [
            str(b["payload"])
            for m in self.replies
            for b in m.get("buttons") or []
            if str(b.get("payload") or "").startswith(prefix)
        ]

    def fallbacks(self) -> Set[str]:
        return ({*self.responses} & FALLBACK_RESPONSES) | ({*self.actions} & FALLBACK_ACTIONS)

    def summary(self, index: int) -> str:
        """The turn as a transcript line: message, status, intent, actions, replies."""
        shown = self.message if len(self.message) <= 60 else f"{self.message[:40]}…({len(self.message)} chars)"
        actions = [a for a in self.actions if a != "action_listen"]
        head = f"{index:>2}. » {shown!r} [{self.status}] intent={self.intent} actions={actions}"
        head += f" handoff={self.handoff}" if self.handoff else ""
        body = [f"      « {t[:70]!r}" for t in self.texts] or ["      « (nothing)"]
        return "\n".join([head, *body])


@dataclass
class Violation:
    """A broken invariant, with everything needed to replay the conversation."""

    invariant: str
    seed: int
    sender: str
    turn: int
    detail: str
    steps: List[Step]
    transcript: List[str]

    @property
    def kind(self) -> str:
        """The invariant and the cause (the detail up to its colon): violations worth one look each."""
        return f"{self.invariant}: {self.detail.split(':')[0]}"

    def format(self) -> str:
        lines = [f"[{self.invariant}] seed={self.seed} sender={self.sender} turn {self.turn}: {self.detail}"]
        lines += [f"  steps: {[s.label() for s in self.steps]}", *self.transcript]
        return "\n".join(lines)


class Checker:
    """The invariants, turn by turn, for one conversation."""

    def __init__(self, seed: int, sender: str) -> None:
        self.seed, self.sender = seed, sender
        self.turns: List[Turn] = []
        self.steps: List[Step] = []
        self.violations: List[Violation] = []
        self.checks: Counter = Counter()
        self._previous_fallbacks: Set[str] = set()
        self._pending_exit: Optional[Turn] = None  # the exit word whose next in-scope message is checked
        self._context: Any = None  # the `last_answer` slot before the turn: a follow-up may answer it
        self._staff_owned = False  # the hand-over slot before the turn

    def check(self, turn: Turn, step: Optional[Step] = None) -> List[Violation]:
        """Record a turn and return the violations it shows."""
        self.turns.append(turn)
        self.steps.append(step or Say(turn.message, exit_word=turn.exit_word))
        found: List[Tuple[str, str]] = [
            *self._server(turn),
            *self._reply(turn),
            *self._core_fallback(turn),
            *self._repeated_fallback(turn),
            *self._exit(turn),
        ]
        self._previous_fallbacks = turn.fallbacks()
        self._staff_owned = turn.handoff
        if turn.user_events:
            self._context = turn.slots.get("last_answer")
        return [self.fail(invariant, detail) for invariant, detail in found]

    def staff_step(self, step: Step) -> None:
        """A staff action between turns: part of the replay, not a turn."""
        self.steps.append(step)

    def check_greeting(self, turn: Turn) -> List[Violation]:
        """The last message of every conversation: 你好 must get the greeting."""
        found = self.check(turn)
        self.checks["final greeting"] += 1
        if "utter_greet" not in turn.responses:
            found.append(self.fail("stuck", f"no greeting: 你好 at the end got {turn.responses or turn.texts}"))
        return found

    def fail(self, invariant: str, detail: str) -> Violation:
        transcript = [t.summary(i + 1) for i, t in enumerate(self.turns)]
        violation = Violation(invariant, self.seed, self.sender, len(self.turns), detail, list(self.steps), transcript)
        self.violations.append(violation)
        return violation

    def _server(self, turn: Turn) -> Iterator[Tuple[str, str]]:
        if turn.status >= 500 or turn.status == 0:
            yield (
                "server_error",
                f"HTTP {turn.status or 'none'}: {'a server error' if turn.status else 'the request failed'}",
            )
        elif turn.tracker_status != 200:
            yield "server_error", f"tracker unreadable: HTTP {turn.tracker_status or 'none'}"
        elif TRY_AGAIN in turn.responses:
            yield "server_error", "try again: the channel's answer when handling the message failed"

    def _reply(self, turn: Turn) -> Iterator[Tuple[str, str]]:
        if not turn.handoff and not any(m.get("text") or m.get("buttons") or m.get("image") for m in turn.replies):
            yield "no_reply", f"empty reply: handoff={turn.slots.get('handoff')}"

    def _core_fallback(self, turn: Turn) -> Iterator[Tuple[str, str]]:
        if "utter_default" in turn.responses:
            yield "core_fallback", "utter_default: in the reply"
        if "action_default_fallback" in turn.actions:
            yield "core_fallback", "action_default_fallback: ran"
        if any(e.get("event") == "rewind" for e in turn.events):
            yield "core_fallback", "UserUtteranceReverted: in the tracker"

    def _repeated_fallback(self, turn: Turn) -> Iterator[Tuple[str, str]]:
        if not turn.in_scope:
            return
        self.checks["in-scope messages"] += 1
        self.checks["in-scope messages after a fallback"] += bool(self._previous_fallbacks)
        repeated = turn.fallbacks() & self._previous_fallbacks
        if repeated:
            yield "repeated_fallback", f"same fallback: {sorted(repeated)} again for intent {turn.intent}"

    def _exit(self, turn: Turn) -> Iterator[Tuple[str, str]]:
        exit_turn = self._pending_exit
        if exit_turn is not None and turn.user_events:
            if turn.in_scope:
                self._pending_exit = None
                self.checks["exit words followed up"] += 1
                expected = set(expected_first_actions().get(turn.intent or "", ()))
                if isinstance(self._context, dict) and self._context.get("kind"):
                    expected.add(FOLLOW_UP_ACTION)  # a question about the answer given before the exit word
                if turn.exit_word and exit_turn.handoff:
                    expected.add(LEAVE_HANDOFF_ACTION)  # 取消 after an exit word staff were sent: its own flow
                if turn.first_action not in expected:
                    cause = "exit word sent to staff" if exit_turn.handoff else "exit word"
                    yield (
                        "exit_not_honoured",
                        f"{cause}: after {exit_turn.message!r}, intent {turn.intent} ran {turn.first_action}, "
                        f"expected one of {sorted(expected)}",
                    )
            elif turn.active_loop or (turn.handoff and not exit_turn.handoff):
                self._pending_exit = None  # an out-of-scope message started something of its own
        if turn.exit_word:
            self.checks["exit words"] += 1
            self.checks["exit words while staff own the conversation"] += self._staff_owned
            self._pending_exit = turn


# --- the assistant under test --------------------------------------------------------


class Target:
    """The running assistant: Rasa's rest channel and HTTP API, and its database for the staff's side."""

    def __init__(self, rasa_url: str, token: str, database_url: str, timeout_s: float = 60.0) -> None:
        self.rasa_url, self.token, self.timeout_s = rasa_url.rstrip("/"), token, timeout_s
        self._local = threading.local()
        self._sessions: List[requests.Session] = []
        self._failures_in_a_row = 0
        self._engine = make_engine(database_url)
        self._factory = make_session_factory(self._engine)
        with self._factory.begin() as session:
            agent = session.scalars(select(StaffUser).where(StaffUser.username == "fuzz-staff")).first()
            password = f"Fz9-{uuid.uuid4().hex}"  # never used: staff act here, not through the console
            agent = agent or staff.create_user(session, "fuzz-staff", password, "admin", None, "值班员")
            self._staff_id = agent.id

    def _http(self) -> requests.Session:
        """One keep-alive session per thread."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._sessions.append(self._local.session)
        return self._local.session

    def say(self, sender: str, text: str) -> Tuple[int, List[Dict[str, Any]]]:
        """(HTTP status, the bot's messages); status 0 when the request itself failed."""
        try:
            response = self._http().post(
                f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                timeout=self.timeout_s,
            )  # fmt: skip
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else []
        except (requests.RequestException, ValueError):
            self._failures_in_a_row += 1
            return 0, []
        self._failures_in_a_row = 0
        return response.status_code, body if isinstance(body, list) else []

    @property
    def down(self) -> bool:
        """Whether the assistant stopped answering altogether (the rest of a run would only repeat it)."""
        return self._failures_in_a_row >= DOWN_AFTER

    def tracker(self, sender: str) -> Tuple[int, Dict[str, Any]]:
        try:
            response = self._http().get(
                f"{self.rasa_url}/conversations/{sender}/tracker", params={"token": self.token}, timeout=self.timeout_s
            )
            return response.status_code, response.json() if response.status_code == 200 else {}
        except (requests.RequestException, ValueError):
            return 0, {}

    def staff_reply(self, sender: str, text: str) -> bool:
        """A staff member answers the worker's newest ticket, as the console would."""
        return self._on_newest_ticket(
            sender, lambda s, t, a, now: tickets.reply(s, t, a, text, now, f"fuzz-{uuid.uuid4().hex}")
        )

    def resolve(self, sender: str) -> bool:
        """A staff member resolves the worker's newest ticket: the rating question goes out."""
        return self._on_newest_ticket(sender, tickets.resolve)

    def _on_newest_ticket(self, sender: str, work: Callable[..., Any]) -> bool:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        with self._factory.begin() as session:
            ticket = session.scalars(
                select(Ticket).where(Ticket.channel == "rest", Ticket.sender_id == sender).order_by(Ticket.id.desc())
            ).first()
            if ticket is None:
                return False
            try:
                with session.begin_nested():
                    work(session, ticket, session.get(StaffUser, self._staff_id), now)
            except tickets.TicketError:
                return False
            return True

    def close(self) -> None:
        for session in self._sessions:
            session.close()
        self._engine.dispose()


# --- steps and flows -----------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """The worker sends a message."""

    text: str
    exit_word: bool = False

    def label(self) -> str:
        return self.text if len(self.text) <= 40 else f"{self.text[:20]}…({len(self.text)} chars)"


@dataclass(frozen=True)
class Staff:
    """A staff member acts in the database: `reply` (with text) or `resolve`."""

    action: str
    text: str = ""

    def label(self) -> str:
        return f"[staff {self.action}{': ' + self.text if self.text else ''}]"


Step = Union[Say, Staff]


@dataclass
class Context:
    """What a flow may look at to choose its next message."""

    rng: random.Random
    last: Optional[Turn] = None
    ticket_number: Optional[str] = None
    rating_buttons: List[str] = field(default_factory=list)

    def responded(self, *prefixes: str) -> bool:
        """Whether the last answer used a response whose name starts with one of `prefixes`."""
        return self.last is not None and any(r.startswith(prefixes) for r in self.last.responses)

    def offered(self, prefix: str) -> List[str]:
        return self.last.payloads(prefix) if self.last else []

    @property
    def handoff(self) -> bool:
        return self.last is not None and self.last.handoff


Flow = Callable[[Context], Iterator[Step]]

STREETS = ("英雄中路", "太行东街", "紫金西街", "长兴南路", "八一路", "解放东街", "延安北路", "站前路", "府后西街")
LANDMARKS = ("长治站", "八一广场", "长治万达广场", "人民公园", "长治学院", "和平医院", "长治东站", "上党门")
DISTRICTS = ("潞州区", "上党区", "屯留区", "潞城区", "襄垣县", "黎城县", "壶关县", "长子县", "沁县", "屯留", "长治县")


def coordinates(rng: random.Random) -> str:
    """A shared location somewhere around 长治."""
    latitude, longitude = rng.uniform(35.9, 36.6), rng.uniform(112.6, 113.5)
    return f'/share_location{{"latitude": {latitude:.4f}, "longitude": {longitude:.4f}}}'


def a_place(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(STREETS) + rng.choice(("", "附近", "这边", "和太行东街路口"))
    if kind == 1:
        return rng.choice(("我在", "", "在")) + rng.choice(LANDMARKS) + rng.choice(("", "旁边", "门口"))
    if kind == 2:
        return rng.choice(DISTRICTS)
    return coordinates(rng)


STATION_OPENERS: Tuple[Callable[[random.Random], str], ...] = (
    lambda r: f"{r.choice(STREETS)}附近有驿站吗",
    lambda r: f"{r.choice(LANDMARKS)}这边哪能充电",
    lambda r: f"我在{r.choice(DISTRICTS)} 附近有歇脚的地方吗",
    lambda r: f"{r.choice(STREETS)}附近哪里能热饭",
    lambda r: f"{r.choice(LANDMARKS)}附近有司机之家吗",
    lambda r: "附近有能喝水的地方吗",
    lambda r: "想找个地方歇歇脚",
    lambda r: "最近的暖新驿站在哪",
    lambda r: "哪里有能上厕所的地方",
    coordinates,
)
STATION_FOLLOW_UPS = (
    "第二个怎么走", "第一个怎么去", "晚上十点还开吗", "还有别的吗", "哪个有微波炉", "有能充电瓶的吗", "司机之家呢",
    "第三个电话多少", "明天早上七点开门吗", "再远点的呢", "第五个怎么走",
)  # fmt: skip


def stations(ctx: Context) -> Iterator[Step]:
    rng = ctx.rng
    yield Say(rng.choice(STATION_OPENERS)(rng))
    for _ in range(3):  # the form asks where; an unknown place is asked again
        if not ctx.responded("utter_ask_location_text", "utter_location_unknown"):
            break
        yield Say("火星基地" if rng.random() < 0.15 else a_place(rng))
    for _ in range(rng.randint(1, 3)):
        yield Say(rng.choice(STATION_FOLLOW_UPS))


LEGAL_QUESTIONS = (
    "站点拖了我两个月工资不给", "老板欠我三千块工资跑了", "工资一直拖着不发怎么办", "送餐路上摔伤了算工伤吗",
    "骑车把腿摔骨折了 平台管不管", "被小汽车撞了对方不赔钱", "电动车跟人撞了 交警说各负一半", "平台无故封我号 怎么申诉",
    "超时被罚了五十块 能申诉吗", "干了一年没签合同 能要双倍工资吗", "公司突然把我辞退了 一分钱补偿没有",
    "公司不给交社保咋办", "骑手自己怎么交养老保险", "哪里能找免费律师", "想咨询个法律问题",
)  # fmt: skip
RELATIONSHIP_WORDS = ("众包", "专送", "我是跑专送的", "签了合同", "不清楚", "自己在app上注册的")
LEGAL_FOLLOW_UPS = (
    "那证据怎么留", "时效多久", "去哪办", "找律师", "屯留", "潞州区", "襄垣县", "要准备什么材料", "多长时间能拿到钱",
    "找谁", "来得及吗",
)  # fmt: skip


def legal(ctx: Context) -> Iterator[Step]:
    rng = ctx.rng
    yield Say(rng.choice(LEGAL_QUESTIONS))
    if ctx.responded("utter_legal_ask_relationship"):
        offered = ctx.offered('/inform{"work_relationship"')
        yield Say(rng.choice(offered) if offered and rng.random() < 0.5 else rng.choice(RELATIONSHIP_WORDS))
    for _ in range(rng.randint(1, 3)):
        offered = ctx.offered('/inform{"legal_aspect"')
        yield Say(rng.choice(offered) if offered and rng.random() < 0.3 else rng.choice(LEGAL_FOLLOW_UPS))


CHILDCARE_QUESTIONS = (
    "暑假孩子没人带",
    "有没有托管班",
    "孩子放假了想报个夏令营",
    "小孩寒假有地方托管吗",
    "小候鸟托管怎么报名",
)
TRAINING_QUESTIONS = ("有没有免费的培训", "想考个证 有培训吗", "暖新讲堂什么时候有", "有没有学电工的班")
AGES = ("孩子8岁", "七岁", "10岁了", "6岁", "孩子九岁", "12")
NAMES = ("王小明", "李想", "张子涵", "赵师傅", "刘一诺")
PHONES = ("13812345678", "15035512345", "18603551234")


def sign_up_answer(ctx: Context, cancelled: bool) -> Optional[Say]:
    """The answer to whatever the childcare or sign-up question was; None when there is nothing to answer."""
    rng = ctx.rng
    if ctx.responded("utter_ask_district_text", "utter_invalid_district"):
        return Say("火星" if rng.random() < 0.1 else rng.choice(DISTRICTS[:8]))
    if ctx.responded("utter_ask_child_age", "utter_invalid_child_age"):
        return Say("孩子40岁" if rng.random() < 0.1 else rng.choice(AGES))
    if ctx.responded("utter_ask_enrol_consent"):
        return Say(rng.choice(("同意", "可以", "好的")) if rng.random() < 0.8 else "不同意")
    if ctx.responded("utter_ask_participant_name", "utter_invalid_participant_name"):
        return Say("王" if rng.random() < 0.1 else rng.choice(NAMES))
    if ctx.responded("utter_ask_contact_phone", "utter_invalid_contact_phone"):
        return Say("138123" if rng.random() < 0.15 else rng.choice(PHONES))
    cancel = ctx.offered("/cancel_enrolment")
    if cancel:
        return Say(rng.choice(cancel))
    enrol = ctx.offered("/enrol")
    if enrol:
        return Say(rng.choice(enrol))
    if ctx.responded("utter_enrolled", "utter_waitlisted") and not cancelled and rng.random() < 0.5:
        return Say(rng.choice(("取消报名", "我不想报了 取消报名")))
    return None


def sign_up(ctx: Context) -> Iterator[Step]:
    cancelled = False
    for _ in range(8):
        answer = sign_up_answer(ctx, cancelled)
        if answer is None:
            return
        cancelled = cancelled or "取消报名" in answer.text
        yield answer


def childcare(ctx: Context) -> Iterator[Step]:
    yield Say(ctx.rng.choice(CHILDCARE_QUESTIONS))
    yield from sign_up(ctx)


def training(ctx: Context) -> Iterator[Step]:
    yield Say(ctx.rng.choice(TRAINING_QUESTIONS))
    yield from sign_up(ctx)


REPORTS = (
    "路灯坏了", "井盖没了", "随手拍", "红绿灯不亮了", "我要反映个问题", "英雄中路和太行东街路口的井盖没了 很危险",
    "八一广场旁边的路灯坏了好几天了 晚上特别黑",
)  # fmt: skip
REPORT_DESCRIPTIONS = ("路灯坏了 晚上很黑", "井盖丢了 很危险", "路面塌了一个大坑", "红绿灯一直闪黄灯", "灯")
SUGGESTIONS = ("我有个建议", "提个建议", "建议驿站冬天多备点热水", "人民建议征集 我想说两句")
SUGGESTION_TEXTS = ("希望驿站多装几个充电柜", "小区能不能给骑手统一办通行证", "长治站附近多建几个驿站 夏天太热了", "好")
HUMAN_REQUESTS = ("转人工", "我要找人工客服", "找工作人员", "人工服务")
HANDOVER_DESCRIPTIONS = (
    "站长扣了我三百块押金不退",
    "平台一直不给我结账 打客服也没人管",
    "被顾客投诉了 我觉得冤枉",
    "嗯",
)
TO_STAFF = ("人呢 在不在", "押金的事怎么样了", "麻烦快点处理", "我下午都在英雄中路附近", "好的 我等着", "不是这个意思")
STAFF_REPLIES = ("您好，已联系站点，三天内处理。", "收到，正在核实，请稍等。", "已转交区人社局，会有人联系您。")
RATINGS = ("5", "5分", "很满意", "一般", "4", "满意")


def ticket_answers(ctx: Context, descriptions: Sequence[str]) -> Iterator[Step]:
    """Answers to the ticket form: a description (sometimes too short) and, for a report, the place."""
    for _ in range(4):
        if ctx.responded("utter_ask_ticket_description", "utter_invalid_ticket_description"):
            yield Say(ctx.rng.choice(descriptions))
        elif ctx.responded("utter_ask_ticket_place"):
            yield Say(a_place(ctx.rng))
        else:
            return


def staff_handling(ctx: Context) -> Iterator[Step]:
    """Sometimes staff answer; sometimes they resolve, and the worker rates."""
    rng = ctx.rng
    if rng.random() < 0.5:
        yield Staff("reply", rng.choice(STAFF_REPLIES))
    if rng.random() < 0.5:
        yield Staff("resolve")
        yield from rate(ctx)


def report(ctx: Context) -> Iterator[Step]:
    yield Say(ctx.rng.choice(REPORTS))
    yield from ticket_answers(ctx, REPORT_DESCRIPTIONS)
    if ctx.responded("utter_ticket_created") and ctx.rng.random() < 0.3:
        yield from staff_handling(ctx)


def suggestion(ctx: Context) -> Iterator[Step]:
    yield Say(ctx.rng.choice(SUGGESTIONS))
    yield from ticket_answers(ctx, SUGGESTION_TEXTS)


def handover(ctx: Context) -> Iterator[Step]:
    rng = ctx.rng
    yield Say(rng.choice(HUMAN_REQUESTS))
    yield from ticket_answers(ctx, HANDOVER_DESCRIPTIONS)
    if not ctx.handoff:
        return
    for _ in range(rng.randint(0, 2)):
        yield Say(rng.choice(TO_STAFF))
    if rng.random() < 0.5:
        yield Staff("reply", rng.choice(STAFF_REPLIES))
        yield Say(rng.choice(TO_STAFF))
    if rng.random() < 0.5:
        yield Staff("resolve")
        yield from rate(ctx)
    else:
        yield Say(rng.choice(("取消", "退出")), exit_word=True)


def rate(ctx: Context) -> Iterator[Step]:
    rng = ctx.rng
    if ctx.rating_buttons and rng.random() < 0.6:
        yield Say(rng.choice(ctx.rating_buttons))
    else:
        yield Say(rng.choice(RATINGS))


def progress(ctx: Context) -> Iterator[Step]:
    number = ctx.ticket_number or "CZ-20250101-0001"
    yield Say(ctx.rng.choice(("查一下进度", "我反映的问题怎么样了", "工单处理得怎么样了", f"查一下{number}的进度")))


def rating(ctx: Context) -> Iterator[Step]:
    yield Say(ctx.rng.choice(('/rate{"rating": 4}', '/rate{"rating": 5}', *RATINGS)))


FAQ_QUESTIONS = (
    "驿站收费吗", "驿站几点开门", "小区不让进怎么办", "小区保安不让外卖进 通行证咋办", "我想当志愿者",
    "骑手能加入工会吗", "暖新驿站是干什么的", "怎么成为爱心商户", "司机之家能洗澡吗",
)  # fmt: skip


def faq(ctx: Context) -> Iterator[Step]:
    yield Say(ctx.rng.choice(FAQ_QUESTIONS))
    if ctx.responded("utter_pass_ask_district"):
        yield Say(ctx.rng.choice(DISTRICTS))


SMALL_TALK = ("你好", "谢谢", "再见", "你是机器人吗", "你都能干点啥", "好的", "嗯嗯", "太谢谢你了", "早上好")


def small_talk(ctx: Context) -> Iterator[Step]:
    for _ in range(ctx.rng.randint(1, 2)):
        yield Say(ctx.rng.choice(SMALL_TALK))


BAD_INPUTS: Tuple[Callable[[random.Random], str], ...] = (
    lambda r: "",
    lambda r: " " * r.randint(1, 5),
    lambda r: "".join(r.choice("驿站工资孩子路灯附近充电人工的了吗") for _ in range(5000)),
    lambda r: "😀" * r.randint(1, 4) + "🙂",
    lambda r: "\x00\x07\x1b[31m",
    lambda r: "路灯\ud800坏了",  # a lone surrogate: Rasa's SQL tracker store once exited on it (DESIGN.md)
    lambda r: str(r.randint(0, 9)),
    lambda r: "/nonexistent_intent",
    lambda r: '/enrol{"programme_id": 999999}',
    lambda r: '/inform{"a":',
    lambda r: '/rate{"rating": "x"',
    lambda r: "hello 附近有驿站吗",
    lambda r: "my boss 不给工资 what to do",
    lambda r: "fujin you yizhan ma",
    lambda r: "laoban qian wo gongzi",
    lambda r: "asdfghjkl",
)


def bad_input(ctx: Context) -> Iterator[Step]:
    for _ in range(ctx.rng.randint(1, 2)):
        yield Say(ctx.rng.choice(BAD_INPUTS)(ctx.rng))


FLOWS: Dict[str, Tuple[Flow, int]] = {
    "stations": (stations, 4),
    "legal": (legal, 4),
    "childcare": (childcare, 3),
    "training": (training, 1),
    "report": (report, 2),
    "suggestion": (suggestion, 1),
    "handover": (handover, 2),
    "progress": (progress, 1),
    "rating": (rating, 1),
    "faq": (faq, 2),
    "small_talk": (small_talk, 2),
    "bad_input": (bad_input, 2),
}
EXIT_CHANCE = 0.08  # per message, once a flow is under way
BAD_INPUT_CHANCE = 0.04  # per message, in the middle of any flow


# --- playing a conversation ----------------------------------------------------------


class Conversation:
    """One sender's conversation: sends the steps, reads the tracker, feeds the checker."""

    def __init__(self, target: Target, seed: int, sender: str) -> None:
        self.target, self.sender = target, sender
        self.checker = Checker(seed, sender)
        self.ctx = Context(random.Random(seed))
        self.messages = 0
        self.latencies: List[float] = []
        self._seen = 0.0  # timestamp of the newest tracker event already looked at
        self._slots: Dict[str, Any] = {}

    def run(self, step: Step) -> None:
        if isinstance(step, Say):
            self.say(step.text, step.exit_word)
        else:
            self.staff(step)

    def say(self, text: str, exit_word: bool = False, final: bool = False) -> Turn:
        started = time.perf_counter()
        status, replies = self.target.say(self.sender, text)
        self.latencies.append(time.perf_counter() - started)
        tracker_status, events, active_loop = self._new_events()
        turn = Turn(text, status, replies, events, dict(self._slots), active_loop, exit_word, tracker_status)
        self.messages += 1
        if final:
            self.checker.check_greeting(turn)
        else:
            self.checker.check(turn)
        self.ctx.last = turn
        numbers = TICKET_NUMBER.findall("\n".join(turn.texts))
        self.ctx.ticket_number = numbers[-1] if numbers else self.ctx.ticket_number
        return turn

    def staff(self, step: Staff) -> None:
        self.checker.staff_step(step)
        if step.action == "reply":
            self.target.staff_reply(self.sender, step.text)
            return
        resolved_at = time.time()
        if not self.target.resolve(self.sender):
            return
        self.checker.checks["resolutions"] += 1
        deadline = time.monotonic() + RATING_WAIT_S
        while time.monotonic() < deadline and not self.target.down:
            time.sleep(0.5)
            prompt = self._rating_prompt(resolved_at)
            if prompt is not None:
                self.ctx.rating_buttons = prompt
                return
        self.checker.fail("stuck", f"no rating question: none within {RATING_WAIT_S:.0f} s of the resolution")

    def _rating_prompt(self, since: float) -> Optional[List[str]]:
        """The buttons of the rating question once the delivery worker has recorded it (and its hand-back)."""
        _, tracker = self.target.tracker(self.sender)
        for event in reversed(tracker.get("events") or []):
            if float(event.get("timestamp") or 0) < since:
                break
            if event.get("event") == "bot" and (event.get("metadata") or {}).get("kind") == "rating_request":
                if (tracker.get("slots") or {}).get("handoff"):
                    return None  # the hand-back is recorded with the question
                self._slots = tracker.get("slots") or {}
                buttons = (event.get("data") or {}).get("buttons") or []
                return [str(b["payload"]) for b in buttons if b.get("payload")]
        return None

    def _new_events(self) -> Tuple[int, List[Dict[str, Any]], Optional[str]]:
        status, tracker = self.target.tracker(self.sender)
        events = [e for e in tracker.get("events") or [] if float(e.get("timestamp") or 0) > self._seen]
        if events:
            self._seen = max(float(e.get("timestamp") or 0) for e in events)
        if status == 200:
            self._slots = tracker.get("slots") or {}
        return status, events, (tracker.get("active_loop") or {}).get("name")

    @property
    def way_back(self) -> int:
        """How many messages `finish` will send."""
        return 2 if self._slots.get("handoff") else 1

    def finish(self) -> None:
        """Bring the conversation back: 取消 if staff own it, then 你好 must be greeted."""
        if self._slots.get("handoff"):
            self.say("取消", exit_word=True)
        self.say("你好", final=True)


@dataclass
class Outcome:
    seed: int
    turns: int
    staff_steps: int
    violations: List[Violation]
    checks: Counter
    flows: Counter
    latencies: List[float]


def play(target: Target, seed: int, run: str = "", length: Optional[Tuple[int, int]] = None) -> Outcome:
    """One seeded conversation of 8–15 messages over random flows, the way back (取消, 你好) included."""
    sender = f"fuzz-{run or uuid.uuid4().hex[:6]}-{seed}"
    conversation = Conversation(target, seed, sender)
    rng = conversation.ctx.rng
    names, weights = list(FLOWS), [w for _, w in FLOWS.values()]
    total = rng.randint(*(length or (8, 15)))
    flows: Counter = Counter()
    flow: Optional[Iterator[Step]] = None
    staff_steps = 0
    while conversation.messages + conversation.way_back < total and not target.down:
        if flow is None:
            name = rng.choices(names, weights)[0]
            flows[name] += 1
            flow = FLOWS[name][0](conversation.ctx)
        elif rng.random() < EXIT_CHANCE:
            conversation.say(rng.choice(EXIT_WORDS), exit_word=True)
            flow = None
            continue
        elif rng.random() < BAD_INPUT_CHANCE:
            conversation.say(rng.choice(BAD_INPUTS)(rng))
            continue
        step = next(flow, None)
        if step is None:
            flow = None
            continue
        staff_steps += isinstance(step, Staff)
        conversation.run(step)
    if not target.down:
        conversation.finish()
    checker = conversation.checker
    return Outcome(
        seed, conversation.messages, staff_steps, checker.violations, checker.checks, flows, conversation.latencies
    )


def replay(target: Target, steps: Sequence[Step], seed: int = 0) -> Checker:
    """Play recorded steps again under a new sender (a violation's `steps`), checking as before."""
    conversation = Conversation(target, seed, f"replay-{uuid.uuid4().hex[:6]}-{seed}")
    for step in steps:
        conversation.run(step)
    return conversation.checker


@dataclass
class Figures:
    """What a run of many conversations found."""

    conversations: int = 0
    turns: int = 0
    staff_steps: int = 0
    seconds: float = 0.0
    violations: List[Violation] = field(default_factory=list)
    checks: Counter = field(default_factory=Counter)
    flows: Counter = field(default_factory=Counter)
    latencies: List[float] = field(default_factory=list)
    aborted: bool = False

    def add(self, outcome: Outcome) -> None:
        self.conversations += 1
        self.turns += outcome.turns
        self.staff_steps += outcome.staff_steps
        self.violations += outcome.violations
        self.checks.update(outcome.checks)
        self.flows.update(outcome.flows)
        self.latencies += outcome.latencies

    def by_invariant(self) -> Counter:
        found = Counter({name: 0 for name in INVARIANTS})
        found.update(v.invariant for v in self.violations)
        return found

    def conversations_with(self) -> Counter:
        """Per invariant, how many conversations broke it at least once."""
        return Counter(invariant for invariant, _ in {(v.invariant, v.seed) for v in self.violations})

    def summary(self) -> str:
        per_conversation = self.conversations_with()
        lines = [
            f"conversations {self.conversations}, turns {self.turns} (+{self.staff_steps} staff actions), "
            f"{self.seconds:.1f} s, {self.turns / max(self.seconds, 1e-9):.1f} turns/s, reply "
            f"p50 {percentile(self.latencies, 50) * 1000:.0f} ms, p99 {percentile(self.latencies, 99) * 1000:.0f} ms",
            f"violations {len(self.violations)} in {len({v.seed for v in self.violations})} conversations:",
            *(
                f"  {name:<18} {count:>5} (in {per_conversation[name]} conversations)  {INVARIANTS[name]}"
                for name, count in self.by_invariant().items()
            ),
            *(
                ["ABORTED: the assistant stopped answering; the remaining conversations were not played"][
                    : self.aborted
                ]
            ),
            "checks: " + ", ".join(f"{k} {v}" for k, v in sorted(self.checks.items())),
            "flows: " + ", ".join(f"{k} {v}" for k, v in self.flows.most_common()),
        ]
        return "\n".join(lines)


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples) or [0.0]
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_many(
    target: Target,
    conversations: int,
    seed: int = 0,
    threads: int = 4,
    progress: Optional[Callable[[int], None]] = None,
) -> Figures:
    """`conversations` seeded conversations (seeds seed, seed+1, …), `threads` at a time."""
    run, figures, started = uuid.uuid4().hex[:6], Figures(), time.perf_counter()
    seeds = range(seed, seed + conversations)
    with ThreadPoolExecutor(threads) as pool:
        for outcome in pool.map(lambda s: None if target.down else play(target, s, run), seeds):
            if outcome is None:
                continue
            figures.add(outcome)
            if progress is not None:
                progress(figures.conversations)
    figures.seconds, figures.aborted = time.perf_counter() - started, target.down
    return figures
