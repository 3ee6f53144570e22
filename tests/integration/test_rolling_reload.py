"""A new model going live on two Rasa workers behind nginx while 20 riders talk (bot.rolling_reload):
no message fails or is lost, none waits for a loading worker (without the balancer's part a message
waits as long as the worker loads), and both workers end on the new model; `make run`'s one worker
is loaded in place."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bench.gated_reload import reload_under_load, workers_of
from tests.running import RunningStack, current_model

pytestmark = pytest.mark.slow


def test_a_rolling_reload_under_load_loses_and_fails_no_message(scaled: RunningStack, tmp_path: Path) -> None:
    model = tmp_path / "reloaded-under-load.tar.gz"  # the project's model under a name of its own
    shutil.copyfile(current_model(), model)
    url = f"http://localhost:{scaled.config.public_port}/webhooks/rest/webhook"
    tally, reload = asyncio.run(reload_under_load(scaled.stack, url, model, concurrency=20))
    print(f"sent {tally.sent}, failed {tally.failed}, lost {tally.lost}, slowest {tally.slowest_s:.1f} s, {reload}")
    assert (tally.failed, tally.lost) == (0, 0), tally.problems[:5]
    assert tally.answered == tally.sent > 100
    assert tally.slowest_s < min(reload.loading_s)
    assert [w.model_file(scaled.config.token) for w in workers_of(scaled.stack)] == [model.name, model.name]
    rasa_lines = [f"server 127.0.0.1:{port}" for port in scaled.config.rasa_ports()]
    conf = (scaled.config.log_dir / "nginx.conf").read_text()
    assert all(f"{line};" in conf and f"{line} down;" not in conf for line in rasa_lines)  # every worker back


def test_one_worker_without_a_balancer_loads_in_place_and_its_messages_wait(
    stack: RunningStack, tmp_path: Path
) -> None:
    """`make run`'s single worker: nobody to take over, so messages wait for the load, none fails."""
    model = tmp_path / "one-worker.tar.gz"
    shutil.copyfile(current_model(), model)
    tally, _ = asyncio.run(reload_under_load(stack.stack, f"{stack.rasa}/webhooks/rest/webhook", model, 5))
    assert (tally.failed, tally.lost) == (0, 0), tally.problems[:5]
    assert tally.answered == tally.sent > 10
    assert [w.model_file(stack.config.token) for w in workers_of(stack.stack)] == [model.name]
