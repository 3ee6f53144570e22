"""The entry-point fuzzer (tests/fuzz/entry_points.py) against the running assistant, and its checks on
hand-made failures.

1,000 seeded inputs spread over every way in (rest, web chat send/photo/history/events, Telegram,
WeChat plain and encrypted, console forms, CSV import). Each must be answered below 500; after every
batch no process may have exited and a plain 你好 through `rest` must get a real answer. The content
tables the CSV inputs touch are put back afterwards. The checks are first shown to fail on a server
that answers 500, on one that does not answer, on a process that exited and on an unanswered 你好,
so a clean run means something.
Another seed: NUANXIN_FUZZ_SEED=123 pytest -s tests/integration/test_entry_fuzz.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from aiohttp import web

from bot.stack import Service, Stack, StackConfig
from tests.fakes.server import ThreadedServer
from tests.fuzz.entry_points import ENTRY_POINTS, Figures, LogWatch, Target, run
from tests.running import Fakes, RunningStack

INPUTS = 1_000
SEED = int(os.environ.get("NUANXIN_FUZZ_SEED", "20261126"))
BATCH = 50
SHOWN = 8
# utter_try_again: what a rider gets when their message could not be handled.
TRY_AGAIN = "系统有点忙"


def verdict(figures: Figures, inputs: int, names: List[str]) -> List[str]:
    """Everything wrong with a run: a 5xx or no answer, a process exit or an unanswered 你好,
    an input the fuzzer could not send, too few inputs, an entry point never let in at all."""
    problems = []
    if figures.stopped:
        problems.append(f"stopped {figures.stopped}")
    if figures.failures:
        problems.append(f"{len(figures.failures)} inputs answered 5xx or not at all:\n\n{figures.examples(SHOWN)}")
    if figures.client_errors:
        problems.append("the fuzzer could not send:\n" + "\n".join(figures.client_errors[:3]))
    if figures.total < inputs:
        problems.append(f"only {figures.total} of {inputs} inputs were sent")
    refused_all = [n for n in names if not any(s < 400 for s in figures.statuses.get(n, {}))]
    if refused_all and not figures.stopped:
        problems.append(f"no input was let in at {', '.join(refused_all)}: the fuzzer does not reach past the door")
    return problems


def test_no_input_gives_a_5xx_or_stops_a_process(stack: RunningStack, fakes: Fakes) -> None:
    target = Target(stack.rasa, stack.web, stack.config.token, stack.database_url)
    target.prepare()
    telegram_before = len(fakes.telegram.sent())

    def check(done: int) -> None:
        stack.stack.check_alive()
        answer = target.probe(done)
        assert answer and TRY_AGAIN not in answer, f"你好 got {answer!r}"

    try:
        figures = run(target, INPUTS, SEED, check, BATCH, logs=LogWatch(stack.config.log_dir))
    finally:
        not_restored = target.restore()
    print(f"\nentry-point fuzz, seed {SEED}, batches of {BATCH}\n{figures.summary()}")
    problems = verdict(figures, INPUTS, list(ENTRY_POINTS))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
    deadline = time.monotonic() + 30  # replies may go out through the outbox, a moment later
    while len(fakes.telegram.sent()) <= telegram_before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(fakes.telegram.sent()) > telegram_before, "no Telegram update was answered through the Bot API"
    assert not not_restored, f"content tables not put back: {not_restored}"


# --- each check can fail ---------------------------------------------------------------------


@dataclass
class Answering:
    """A local server that answers every request with `status` (None: it closes the connection
    without an answer); its JSON body is an empty list, so a rest 你好 gets no message."""

    url: str = ""
    status: Optional[int] = 200

    def target(self) -> Target:
        return Target(self.url, self.url, "token", "sqlite://")


@pytest.fixture
def answering() -> Iterator[Answering]:
    fake = Answering()

    async def any_request(request: web.Request) -> web.StreamResponse:
        await request.read()
        if fake.status is None:
            request.transport.close()
            return web.Response()
        return web.json_response([], status=fake.status)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", any_request)
    server = ThreadedServer(app).start()
    fake.url = server.url
    yield fake
    server.stop()


def fine(done: int) -> None:
    pass


def test_a_500_fails_the_run_and_a_refusal_does_not(answering: Answering) -> None:
    answering.status = 500
    figures = run(answering.target(), 6, SEED, fine, 3, names=["rest"])
    assert [f.status for f in figures.failures] == [500] * 6
    assert "answered 500" in figures.failures[0].reproduction
    assert any(p.startswith("6 inputs answered 5xx") for p in verdict(figures, 6, ["rest"]))
    answering.status = 400
    figures = run(answering.target(), 6, SEED, fine, 3, names=["rest"])
    assert not figures.failures
    assert verdict(figures, 6, ["rest"]) == ["no input was let in at rest: the fuzzer does not reach past the door"]
    answering.status = 200
    assert verdict(run(answering.target(), 6, SEED, fine, 3, names=["rest"]), 6, ["rest"]) == []


def test_no_answer_fails_the_run(answering: Answering) -> None:
    answering.status = None
    figures = run(answering.target(), 3, SEED, fine, 3, names=["rest"])
    assert [f.status for f in figures.failures] == [0, 0, 0]
    assert "no answer" in figures.failures[0].reproduction
    assert any(p.startswith("3 inputs answered 5xx or not at all") for p in verdict(figures, 3, ["rest"]))


def test_an_unanswered_hello_stops_the_run(answering: Answering) -> None:
    target = answering.target()

    def check(done: int) -> None:
        answer = target.probe(done)  # the fake answers []
        assert answer and TRY_AGAIN not in answer, f"你好 got {answer!r}"

    figures = run(target, 10, SEED, check, 5, names=["rest"])
    assert figures.stopped.startswith("after input 5: AssertionError: 你好 got ''") and figures.total == 5
    assert any(p.startswith("stopped") for p in verdict(figures, 10, ["rest"]))


def test_a_process_that_exited_stops_the_run(answering: Answering, tmp_path: Path) -> None:
    stack = Stack(StackConfig(log_dir=tmp_path))
    gone = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    gone.wait()
    stack.services = [Service("rasa", [], None, None, process=gone)]
    figures = run(answering.target(), 4, SEED, lambda done: stack.check_alive(), 2, names=["rest"])
    assert figures.stopped.startswith("after input 2: StackError: rasa exited with 3")
    assert any(p.startswith("stopped") for p in verdict(figures, 4, ["rest"]))
