"""Fixes to Rasa 3.6's hot path and training, applied by `bot.rasa_server` before Rasa starts.

Each module fixes one measured cost (bench/RESULTS.md) and keeps Rasa's
behaviour: the same answers, the same errors. `apply_all` is idempotent.
"""

from __future__ import annotations

from bot.rasa_fixes import action_results, endpoint_sessions, event_types, graph_runner, training_cache

# Each fix replaces a function of this release by one that keeps its behaviour; on another
# release the replaced code may differ, so the fixes refuse to run rather than guess.
RASA_VERSION = "3.6.21"


class WrongRasaVersion(RuntimeError):
    """The fixes were written against another release of Rasa."""


def check_version(installed: str) -> None:
    if installed != RASA_VERSION:
        raise WrongRasaVersion(
            f"bot.rasa_fixes patch Rasa {RASA_VERSION}, but Rasa {installed} is installed: "
            "review each fix against the new release (bench/RESULTS.md says what each one measured), "
            "then update RASA_VERSION."
        )


def apply_all() -> None:
    import rasa

    check_version(rasa.__version__)
    action_results.apply()
    endpoint_sessions.apply()
    event_types.apply()
    graph_runner.apply()
    training_cache.apply()
