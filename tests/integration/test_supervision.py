"""A process of the assistant killed under load is started again by the stack, and nothing a
rider was answered, nor any staff reply, is lost or sent twice.

How fast it is back is a benchmark (bench/kill_recovery.py), not an assertion here.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Dict

import pytest
import requests
import sqlalchemy as sa

from tests.integration.test_faults import TRY_AGAIN, Load
from tests.running import RunningStack, staff_reply

RECOVERY_LIMIT_S = 120  # a generous bound for a loaded test machine; the figure is in bench/


def answered_normally(stack: RunningStack, sender: str) -> bool:
    try:
        return "暖新助手" in stack.texts(sender, "你好")
    except requests.RequestException:
        return False


def wait_until(check, limit_s: float = RECOVERY_LIMIT_S) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < limit_s, "not back"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.mark.parametrize("name", ["actions", "rasa"])
def test_a_killed_assistant_process_is_back_and_answered_messages_are_kept(stack: RunningStack, name: str) -> None:
    url = f"{stack.rasa}/webhooks/rest/webhook"
    with Load(url, ["你好", "驿站收费吗", "谢谢"]) as load:
        time.sleep(1.5)
        restarts = stack.stack.service(name).restarts
        stack.stack.kill(name)
        seconds = wait_until(lambda: answered_normally(stack, f"probe-{name}"))
        time.sleep(1)
    print(f"{name}: answering again {seconds:.1f} s after kill -9")
    assert stack.stack.service(name).restarts == restarts + 1
    answered: Dict[str, Counter] = {}
    for _, sender, text, status, reply in load.answers:
        if status == 200 and reply and TRY_AGAIN not in reply:
            answered.setdefault(sender, Counter())[text] += 1
    engine = sa.create_engine(f"sqlite:///{stack.var_dir / 'tracker.db'}")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id LIKE 'fault-%'")
        ).all()
    engine.dispose()
    stored: Dict[str, Counter] = {}
    for sender, data in rows:
        stored.setdefault(sender, Counter())[json.loads(data)["text"]] += 1
    assert answered, "the load got answers"
    for sender, counts in answered.items():
        for text, count in counts.items():
            assert stored.get(sender, Counter())[text] >= count, (sender, text, "answered but not stored")


def test_a_killed_web_app_is_back(stack: RunningStack) -> None:
    restarts = stack.stack.service("web").restarts
    stack.stack.kill("web")

    def page_served() -> bool:
        try:
            return requests.get(stack.web, timeout=5).status_code == 200
        except requests.RequestException:
            return False

    seconds = wait_until(page_served)
    print(f"web: serving again {seconds:.1f} s after kill -9")
    assert stack.stack.service("web").restarts == restarts + 1


def test_a_staff_reply_written_while_delivery_is_killed_arrives_once(stack: RunningStack, fakes) -> None:
    who = f"sup-{time.monotonic_ns()}"
    stack.say(who, "转人工")
    stack.say(who, "站长扣了我押金不退")
    stack.stack.kill("delivery")
    staff_reply(stack, who, "押金的事我们在联系站点", f"sup-{who}")
    engine = sa.create_engine(stack.database_url)

    def delivered() -> int:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT count(*) FROM outbox WHERE recipient = :r AND state = 'sent'"), {"r": who}
            ).scalar()

    wait_until(lambda: delivered() >= 1)
    time.sleep(3)  # a second delivery would show by now
    events = [e for e in stack.tracker(who)["events"] if e["event"] == "bot" and "押金的事" in (e.get("text") or "")]
    engine.dispose()
    assert delivered() == 1 and len(events) == 1
