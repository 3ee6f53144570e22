"""Integration tests share the session's running assistant (see tests/running.py), and the
scale-out and rolling-reload tests share one scaled stack (starting one takes about a minute)."""

from __future__ import annotations

from typing import Iterator

import pytest
import redis

from bench.common import postgres_schema
from tests.running import RunningStack, start_scaled_stack

SCALED_REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture(scope="package")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """Two Rasa workers and two action servers behind nginx, sharing PostgreSQL and Redis."""
    redis.Redis.from_url(SCALED_REDIS_URL).flushdb()
    with postgres_schema() as url:
        yield from start_scaled_stack(tmp_path_factory, url, SCALED_REDIS_URL)
