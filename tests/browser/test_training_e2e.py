"""End to end in Chromium: examples labelled from the inbox → an admin starts a gated training on the
console page → progress → the comparison with the live model → the new model live on both Rasa workers
(then restored with one click).

The suite's longest test: it trains a model and measures two (the shared evaluation sets, the frozen
set, the test stories). The gate itself, the refusal of a worse candidate and the rolling reload
under load are also tested quickly in tests/web/test_training_job.py and
tests/integration/test_rolling_reload.py.
"""

from __future__ import annotations

import shutil
import uuid
from typing import Iterator

import pytest
import redis
from playwright.sync_api import Page, expect

from bench.common import postgres_schema
from bench.gated_reload import workers_of
from core import staff, training_gate
from core.db import make_engine, make_session_factory
from core.models import LabelledExample
from core.settings import PROJECT_ROOT
from tests.browser.conftest import screenshot
from tests.running import RunningStack, current_model, start_scaled_stack

pytestmark = [pytest.mark.slow]
REDIS_URL = "redis://127.0.0.1:6379/10"
PASSWORD = "training-admin-password"
TRAINING_S = 900  # training, measuring both models and the rolling reload
WORDINGS = [f"驿站第{n}号点能给电瓶充电不" for n in range(12)]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """Two Rasa workers behind nginx, whose models folder is a copy of the project's live model
    (so a model that passes the gate never replaces the project's own)."""
    models = tmp_path_factory.mktemp("models")
    shutil.copy2(current_model(), models)
    redis.Redis.from_url(REDIS_URL).flushdb()
    with postgres_schema() as url:
        yield from start_scaled_stack(tmp_path_factory, url, REDIS_URL, env={"MODELS_DIR": str(models)})


def label_examples(stack: RunningStack) -> None:
    """Inbox wordings an admin labelled as find_station: most to train on, the held-out ones frozen."""
    assert any(training_gate.is_held_out(t) for t in WORDINGS) and not all(map(training_gate.is_held_out, WORDINGS))
    factory = make_session_factory(make_engine(stack.database_url))
    with factory.begin() as session:
        session.add_all(LabelledExample(text=t, intent="find_station", created_by="staff:admin") for t in WORDINGS)


def log_in_as_admin(stack: RunningStack, page: Page) -> None:
    username = f"trainer-{uuid.uuid4().hex[:6]}"
    factory = make_session_factory(make_engine(stack.database_url))
    with factory.begin() as session:
        user = staff.create_user(session, username, PASSWORD, "admin", None, "模型管理员")
        if hasattr(user, "must_change_password"):
            user.must_change_password = False
    page.goto(f"{stack.web}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_a_gated_training_from_the_console_goes_live_on_both_workers(two_workers: RunningStack, page: Page) -> None:
    label_examples(two_workers)
    served = {w.model_file(two_workers.config.token) for w in workers_of(two_workers.stack)}
    assert len(served) == 1
    live_before = served.pop()
    log_in_as_admin(two_workers, page)
    page.click("text=模型训练")
    expect(page.locator("#live-model")).to_have_text(live_before or "")
    page.click("#start-training")
    progress = page.locator("#training-progress li")
    expect(progress.first).to_contain_text("条留作冻结测试集", timeout=60_000)
    expect(page.locator("#job-status")).not_to_have_text("进行中", timeout=TRAINING_S * 1000)
    expect(page.locator("#job-status")).to_have_text("已上线")
    table = page.locator("#comparison")
    for name in ("骑手开发集", "真实问题集", "冻结标注集", "测试对话"):
        expect(table).to_contain_text(name)
    expect(table.locator("tr.worse")).to_have_count(0)
    screenshot(page, "training_comparison")
    candidate = page.locator("#live-model").inner_text()
    assert candidate.endswith(".tar.gz") and candidate != live_before
    assert [w.model_file(two_workers.config.token) for w in workers_of(two_workers.stack)] == [candidate] * 2
    assert candidate not in {p.name for p in (PROJECT_ROOT / "models").glob("*.tar.gz")}  # the project's own untouched

    page.click("#restore-previous")
    expect(page.locator("#job-status")).to_have_text("已恢复", timeout=300_000)
    restored = page.locator("#live-model").inner_text()
    assert restored == live_before
    assert [w.model_file(two_workers.config.token) for w in workers_of(two_workers.stack)] == [restored] * 2
