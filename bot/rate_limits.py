"""How many requests one sender or one address may make in a window: a flood slows its
sender down, not every rider.

Counted in fixed windows: in this process by default, in Redis when REDIS_URL is
set, so that several workers count together. The limits are configurable
(`RATE_LIMITS`, e.g. ``chat=30/60,photo=6/600``: at most 30 chat messages a minute).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Protocol

DEFAULT_LIMITS = "chat=30/60,chat_address=120/60,photo=6/600,rest=60/60,rest_address=240/60,events=4/60"


class RateLimitError(ValueError):
    """A limit that cannot be read."""


@dataclass(frozen=True)
class Limit:
    """At most `count` requests in `window_s` seconds."""

    count: int
    window_s: int


def parse(text: str = DEFAULT_LIMITS) -> Dict[str, Limit]:
    """`name=count/seconds` pairs, comma-separated; the defaults fill in what is not named."""
    limits: Dict[str, Limit] = {}
    for part in filter(None, (p.strip() for p in f"{DEFAULT_LIMITS},{text}".split(","))):
        name, _, spec = part.partition("=")
        count, _, window = spec.partition("/")
        try:
            limits[name.strip()] = Limit(int(count), int(window))
        except ValueError:
            raise RateLimitError(f"cannot read the rate limit '{part}' (name=count/seconds)") from None
        if limits[name.strip()].count < 1 or limits[name.strip()].window_s < 1:
            raise RateLimitError(f"a rate limit needs a count and a window of at least 1: '{part}'")
    return limits


class Counter(Protocol):
    """Adds one to a key's count in the current window and returns the count."""

    def hit(self, key: str, window_s: int) -> int: ...


class MemoryCounter:
    """Counts in this process (one web or Rasa worker)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: Dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window_s: int) -> int:
        now = self._clock()
        bucket = f"{key}:{int(now // window_s)}"
        with self._lock:
            if len(self._counts) > 100_000:  # windows long gone: drop them all rather than grow
                self._counts.clear()
            self._counts[bucket] = self._counts.get(bucket, 0) + 1
            return self._counts[bucket]


class RedisCounter:
    """Counts in Redis, shared by every worker."""

    def __init__(self, client: Any, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._clock = clock

    def hit(self, key: str, window_s: int) -> int:
        bucket = f"nuanxin:rate:{key}:{int(self._clock() // window_s)}"
        pipe = self._client.pipeline()
        pipe.incr(bucket)
        pipe.expire(bucket, window_s + 1)
        return int(pipe.execute()[0])


class RateLimiter:
    """Whether a request of a kind, from one sender or address, is still within its limit."""

    def __init__(self, limits: Dict[str, Limit], counter: Counter) -> None:
        self._limits = limits
        self._counter = counter

    def allows(self, kind: str, who: str) -> bool:
        limit = self._limits.get(kind)
        if limit is None:
            return True
        return self._counter.hit(f"{kind}:{who}", limit.window_s) <= limit.count

    def limit(self, kind: str) -> Optional[Limit]:
        return self._limits.get(kind)


def limiter(spec: str, redis_url: Optional[str] = None) -> RateLimiter:
    """The installation's limiter: shared through Redis when one is configured."""
    if redis_url:
        import redis

        return RateLimiter(parse(spec), RedisCounter(redis.Redis.from_url(redis_url)))
    return RateLimiter(parse(spec), MemoryCounter())
