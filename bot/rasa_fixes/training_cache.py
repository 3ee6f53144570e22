"""Training without Rasa's output cache: every node runs anyway, so nothing is fingerprinted.

`make model` retrains only when an input changed, and `rasa train --force`
skips the run that looks the cache up, so no training here ever reads the
cache. Writing it still cost a deep fingerprint of every node's output (the
whole featurized training data, several times over): 29 % of a training on
fifteen thousand examples (bench/RESULTS.md). With this fix the training hook
neither fingerprints nor stores; the trained model is the same. Plain
`rasa train` (without `bot.rasa_server`) keeps Rasa's cache.
"""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.training.hooks import TrainingHook


def on_before_node(
    self: TrainingHook,
    node_name: Text,
    execution_context: ExecutionContext,
    config: Dict[Text, Any],
    received_inputs: Dict[Text, Any],
) -> Dict:
    return {}


def on_after_node(
    self: TrainingHook,
    node_name: Text,
    execution_context: ExecutionContext,
    config: Dict[Text, Any],
    output: Any,
    input_hook_data: Dict,
) -> None:
    return None


def apply() -> None:
    TrainingHook.on_before_node = on_before_node
    TrainingHook.on_after_node = on_after_node
