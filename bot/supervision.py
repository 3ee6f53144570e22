"""Restarting a process of the assistant that died, with back-off.

One crashed process used to stop the whole service for good: the stack took
any exit as a reason to stop everything. Now a process that dies is started
again — at once the first time, then after longer and longer pauses if it
keeps dying, so a process that cannot start does not spin — and one that has
run for a while starts its count afresh.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable

logger = logging.getLogger(__name__)


@dataclass
class Backoff:
    """The pause before the next start of a process that died."""

    first_s: float = 0.2
    longest_s: float = 30.0
    # A process that ran this long before dying is not crash-looping: start afresh.
    stable_s: float = 60.0
    failures: int = 0

    def after_exit(self, ran_for_s: float) -> float:
        """Seconds to wait before starting again a process that ran for `ran_for_s`."""
        if ran_for_s >= self.stable_s:
            self.failures = 0
        delay = min(self.longest_s, self.first_s * (2**self.failures))
        self.failures += 1
        return delay


class Supervisor(threading.Thread):
    """Calls `restart_dead` every `interval_s` until stopped (the stack's watchdog)."""

    def __init__(self, restart_dead: Callable[[], None], interval_s: float = 0.2) -> None:
        super().__init__(name="supervisor", daemon=True)
        self._restart_dead = restart_dead
        self._interval_s = interval_s
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._interval_s):
            try:
                self._restart_dead()
            except OSError:
                logger.exception("could not restart a process; trying again")

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)
