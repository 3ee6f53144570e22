"""Rate limits: fixed windows counted in this process or in Redis (bot.rate_limits)."""

import uuid

import pytest
import redis

from bot.rate_limits import Limit, MemoryCounter, RateLimiter, RateLimitError, RedisCounter, parse

REDIS_URL = "redis://127.0.0.1:6379/14"


def test_limits_are_read_with_defaults_for_the_rest() -> None:
    limits = parse("chat=5/10")
    assert limits["chat"] == Limit(5, 10) and limits["photo"] == parse()["photo"]


@pytest.mark.parametrize("bad", ["chat=x/10", "chat=0/10", "chat=5"])
def test_a_limit_that_cannot_be_read_is_refused(bad: str) -> None:
    with pytest.raises(RateLimitError):
        parse(bad)


def test_the_limit_holds_per_sender_and_a_new_window_starts_afresh() -> None:
    now = [1000.0]
    limiter = RateLimiter(parse("chat=3/60"), MemoryCounter(lambda: now[0]))
    assert [limiter.allows("chat", "a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allows("chat", "b")
    now[0] += 60
    assert limiter.allows("chat", "a")
    assert limiter.allows("unlimited_kind", "a")


def test_workers_sharing_redis_count_together() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    first = RateLimiter(parse("chat=3/60"), RedisCounter(client))
    second = RateLimiter(parse("chat=3/60"), RedisCounter(client))
    who = uuid.uuid4().hex
    assert [first.allows("chat", who), second.allows("chat", who), first.allows("chat", who)] == [True] * 3
    assert not second.allows("chat", who)
