"""Fixes to Rasa 3.6's hot path and training, applied by `bot.rasa_server` before Rasa starts.

Each module fixes one measured cost (bench/RESULTS.md) and keeps Rasa's
behaviour: the same answers, the same errors. `apply_all` is idempotent.
"""

from __future__ import annotations

from bot.rasa_fixes import action_results, endpoint_sessions, event_types, graph_runner, training_cache


def apply_all() -> None:
    action_results.apply()
    endpoint_sessions.apply()
    event_types.apply()
    graph_runner.apply()
    training_cache.apply()
