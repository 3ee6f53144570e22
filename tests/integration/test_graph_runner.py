"""The trained model gives the same intents, entities and next actions with the sequential
graph runner (bot/rasa_fixes/graph_runner.py) as with Rasa's dask runner."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine import loader
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_fixes.graph_runner import SequentialGraphRunner
from tests.running import current_model

MESSAGES = [
    "你好", "附近有驿站吗", "站点拖了我两个月工资不给 咋办", "潞州区", "转人工", "驿站收费吗", "屯留",
    "英雄中路附近哪能给电动车充电", "送外卖路上被车撞了", "暑假孩子没人看", "孩子8岁", "给我讲个笑话", "",
    "啊这", "路灯坏了", "我反映的问题怎么样了", "拜拜", '/share_location{"latitude": 36.19, "longitude": 113.11}',
]  # fmt: skip


def predictions(runner_class: type, tmp_path: Path) -> List[Dict[str, Any]]:
    metadata, runner = loader.load_predict_graph_runner(
        tmp_path / runner_class.__name__, Path(current_model()), LocalModelStorage, runner_class
    )
    found = []
    for text in MESSAGES:
        message = runner.run(inputs={"__message__": [UserMessage(text)]}, targets=[metadata.nlu_target])
        parse = message[metadata.nlu_target][0]
        parsed = {key: parse.get(key) for key in ("intent", "entities", "intent_ranking")}
        events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                  UserUttered(text, parse.get("intent"), parse.get("entities"), parse.as_dict_nlu())]  # fmt: skip
        tracker = DialogueStateTracker.from_events("runner-test", events, metadata.domain.slots)
        prediction = runner.run(inputs={"__tracker__": tracker}, targets=[metadata.core_target])[metadata.core_target]
        found.append({**parsed, "action": prediction.max_confidence_index, "policy": prediction.policy_name,
                      "probabilities": prediction.probabilities})  # fmt: skip
    return found


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    tmp = tmp_path_factory.mktemp("runners")
    return predictions(DaskGraphRunner, tmp), predictions(SequentialGraphRunner, tmp)


@pytest.mark.parametrize("index", range(len(MESSAGES)))
def test_same_understanding_and_next_action(index: int, both: tuple) -> None:
    dask, sequential = both
    assert sequential[index] == dask[index], MESSAGES[index]


def test_a_runner_no_longer_used_is_freed_with_its_model(tmp_path: Path) -> None:
    """A model swapped out by `PUT /model` must not stay in memory because its runner planned a run."""
    metadata, runner = loader.load_predict_graph_runner(
        tmp_path, Path(current_model()), LocalModelStorage, SequentialGraphRunner
    )
    runner.run(inputs={"__message__": [UserMessage("你好")]}, targets=[metadata.nlu_target])
    gone = weakref.ref(runner)
    del runner
    gc.collect()
    assert gone() is None
