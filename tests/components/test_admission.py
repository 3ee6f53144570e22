"""A Rasa process works on a few messages at a time and takes the rest in arrival order."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from rasa.core.channels.channel import UserMessage

from bot.channels.handling import answer


def test_messages_are_admitted_a_few_at_a_time_in_arrival_order(monkeypatch) -> None:
    monkeypatch.setenv("RASA_MESSAGES_AT_ONCE", "2")
    app = SimpleNamespace(ctx=SimpleNamespace(agent=None))
    inside, most, started = 0, 0, []  # type: int, int, List[str]

    async def on_new_message(message: UserMessage) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        started.append(message.text)
        await asyncio.sleep(0.01)  # the action server, the database…
        message.output_channel.messages.append({"recipient_id": message.sender_id, "text": f"re {message.text}"})
        inside -= 1

    async def crowd() -> list:
        return await asyncio.gather(*(answer(app, on_new_message, f"m{i}", f"s{i}", "rest") for i in range(10)))

    replies = asyncio.run(crowd())
    assert most == 2
    assert started == [f"m{i}" for i in range(10)]
    assert [r[0]["text"] for r in replies] == [f"re m{i}" for i in range(10)]
