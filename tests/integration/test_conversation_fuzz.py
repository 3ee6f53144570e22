"""The conversation fuzzer (tests/fuzz) against the running assistant, and its checker on bad transcripts.

500 seeded conversations of 8–15 turns over every flow run against the
session's stack, a few at a time; every invariant is checked after every turn
(see tests/fuzz/conversations.py). The checker is first shown, on hand-made
transcripts, to catch each kind of violation, so a clean run means something.
Another seed: NUANXIN_FUZZ_SEED=123 pytest -s tests/integration/test_conversation_fuzz.py
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence

import pytest

from tests.fuzz.conversations import (
    FLOWS,
    Checker,
    Figures,
    Say,
    Target,
    Turn,
    expected_first_actions,
    run_many,
)
from tests.running import RunningStack

CONVERSATIONS = 500
SEED = int(os.environ.get("NUANXIN_FUZZ_SEED", "20261126"))
THREADS = 4
SHOWN = 5


def test_random_conversations_keep_every_invariant(stack: RunningStack) -> None:
    target = Target(stack.rasa, stack.config.token, stack.database_url)
    try:
        figures = run_many(target, CONVERSATIONS, SEED, THREADS)
    finally:
        target.close()
    print(f"\nconversation fuzz, seed {SEED}, {THREADS} threads\n{figures.summary()}")
    if figures.violations:
        pytest.fail(first_violations(figures), pytrace=False)
    assert figures.conversations == CONVERSATIONS and not figures.aborted
    assert set(figures.flows) == set(FLOWS), "every flow was played"
    assert figures.checks["final greeting"] == CONVERSATIONS
    assert figures.checks["exit words followed up"] > 0 and figures.checks["resolutions"] > 0
    assert figures.checks["exit words while staff own the conversation"] > 0, "取消 and 算了 during a hand-over"


def first_violations(figures: Figures) -> str:
    """The first violation of each kind (invariant and cause), with its replay data."""
    first: Dict[str, str] = {}
    for violation in figures.violations:
        first.setdefault(violation.kind, violation.format())
    shown = "\n\n".join(list(first.values())[:SHOWN])
    return f"{len(figures.violations)} violations of {len(first)} kinds ({', '.join(first)}):\n\n{shown}"


# --- the checker catches each kind of violation -----------------------------------


def turn(
    message: str,
    intent: Optional[str] = None,
    actions: Sequence[str] = (),
    responses: Sequence[str] = (),
    status: int = 200,
    handoff: bool = False,
    exit_word: bool = False,
    events: Sequence[Dict[str, Any]] = (),
) -> Turn:
    """A turn as the tracker would record it: the message, the actions, the responses they used."""
    recorded: List[Dict[str, Any]] = []
    if intent is not None:
        recorded.append({"event": "user", "text": message, "parse_data": {"intent": {"name": intent}}})
    recorded += [{"event": "action", "name": name} for name in actions]
    recorded += [{"event": "bot", "text": f"({name})", "metadata": {"utter_action": name}} for name in responses]
    replies = [{"recipient_id": "x", "text": f"({name})"} for name in responses]
    return Turn(message, status, replies, [*recorded, *events], {"handoff": handoff}, None, exit_word)


def violations(*turns: Turn) -> List[str]:
    checker = Checker(seed=1, sender="hand-made")
    for each in turns:
        checker.check(each)
    return [v.invariant for v in checker.violations]


GREETED = turn("你好", "greet", ["utter_greet"], ["utter_greet"])


def test_a_good_transcript_passes() -> None:
    assert not violations(
        GREETED,
        turn("英雄中路附近有驿站吗", "find_station", ["action_find_stations"], ["utter_stations_found"]),
        turn("算了", "deny", ["utter_offer_human"], ["utter_offer_human"], exit_word=True),
        turn("站点拖了我两个月工资", "legal_wage_arrears", ["action_legal_guide"], ["utter_legal_ask_relationship"]),
        turn("啊这", "nlu_fallback", ["action_handle_fallback"], ["utter_clarify"]),
        turn("那啥", "nlu_fallback", ["action_handle_fallback"], ["utter_clarify_handoff"]),
        turn("转人工", "request_human", ["action_start_ticket", "ticket_form"], ["utter_ask_ticket_description"]),
        turn("押金不退", "inform", ["ticket_form", "action_create_ticket"], ["utter_handoff_started"], handoff=True),
        turn("人呢", "greet", ["action_forward_to_staff"], handoff=True),
    )


def test_a_server_error_a_failed_request_and_try_again_are_caught() -> None:
    assert violations(turn("你好", status=500)) == ["server_error", "no_reply"]
    assert violations(turn("你好", status=0)) == ["server_error", "no_reply"]
    try_again = Turn("张子涵", 200, [{"text": "不好意思，系统有点忙，刚才这条没处理好。请过一会儿再发一次。"}])
    assert violations(try_again) == ["server_error"]


def test_silence_is_caught_unless_staff_own_the_conversation() -> None:
    assert violations(turn("你好", "greet", ["action_listen"])) == ["no_reply"]
    assert violations(turn("人呢", "greet", ["action_forward_to_staff"], handoff=True)) == []


def test_the_same_fallback_twice_for_an_in_scope_message_is_caught() -> None:
    first = turn("附近哪能充电", "find_station", ["utter_out_of_scope"], ["utter_out_of_scope"])
    assert violations(first, first) == ["repeated_fallback"]
    clarified = turn("啊这", "nlu_fallback", ["action_handle_fallback"], ["utter_clarify"])
    assert violations(clarified, turn("哪能充电", "find_station", ["x"], ["utter_clarify"])) == ["repeated_fallback"]
    assert violations(clarified, clarified) == []  # not in scope: asking again is the design


def test_an_exit_word_that_is_not_honoured_is_caught() -> None:
    leave = turn("算了", "deny", ["action_leave_form"], ["utter_anything_else"], exit_word=True)
    form_goes_on = turn("你好", "greet", ["ticket_form"], ["utter_ask_ticket_place"])
    assert violations(leave, form_goes_on) == ["exit_not_honoured"]
    assert violations(leave, GREETED) == []
    unclear = turn("啊这", "nlu_fallback", ["action_handle_fallback"], ["utter_clarify"])
    assert violations(leave, unclear, form_goes_on) == ["exit_not_honoured"]  # the next *in-scope* message
    forwarded = turn("算了", "deny", ["action_forward_to_staff"], exit_word=True, handoff=True)
    to_staff = turn("附近哪能充电", "find_station", ["action_forward_to_staff"], handoff=True)
    assert violations(forwarded, to_staff) == ["exit_not_honoured"]
    left = turn("取消", "deny", ["action_leave_handoff"], ["utter_handoff_ended"], exit_word=True)
    assert violations(forwarded, left) == []
    assert violations(left, turn("附近哪能充电", "find_station", ["station_form"], ["utter_ask_location_text"])) == []


def test_exit_words_are_counted_by_who_owned_the_conversation_before_them() -> None:
    checker = Checker(seed=1, sender="hand-made")
    checker.check(turn("转人工", "request_human", ["action_start_ticket"], handoff=True))
    checker.check(turn("算了", "deny", ["action_leave_handoff"], ["utter_handoff_ended"], exit_word=True))
    checker.check(turn("算了", "deny", ["utter_offer_human"], ["utter_offer_human"], exit_word=True))
    assert (checker.checks["exit words"], checker.checks["exit words while staff own the conversation"]) == (2, 1)


def test_the_core_fallback_is_caught() -> None:
    assert violations(turn("你好", "greet", ["utter_default"], ["utter_default"])) == ["core_fallback"]
    assert violations(turn("你好", "greet", ["action_default_fallback"], ["utter_greet"])) == ["core_fallback"]
    reverted = turn("你好", "greet", ["utter_greet"], ["utter_greet"], events=[{"event": "rewind"}])
    assert violations(reverted) == ["core_fallback"]


def test_a_conversation_that_cannot_be_greeted_is_stuck() -> None:
    checker = Checker(seed=1, sender="hand-made")
    checker.check_greeting(turn("你好", "greet", ["ticket_form"], ["utter_ask_ticket_place"]))
    assert [v.invariant for v in checker.violations] == ["stuck"]
    violation = checker.violations[0]
    assert violation.seed == 1 and violation.steps == [Say("你好")] and "ticket_form" in violation.format()


def test_each_flow_starts_as_data_rules_yml_says() -> None:
    starts = expected_first_actions()
    assert starts["greet"] == {"utter_greet"}
    assert starts["legal_wage_arrears"] == {"action_legal_guide"}
    assert {"station_form", "action_find_stations"} <= starts["find_station"] | starts["share_location"]
    assert {"utter_offer_human", "action_leave_form"} <= starts["deny"]
