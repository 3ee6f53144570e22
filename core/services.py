"""The domain's shared parts for one process: settings, database, clock, FAQ index."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.db import make_engine, make_session_factory
from core.faq import FaqRetriever
from core.settings import Settings

T = TypeVar("T")


@dataclass
class Services:
    """Built once per process by its entry point (action server, web app, CLI)."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker
    read_session_factory: sessionmaker
    clock: Clock
    faq: FaqRetriever

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        engine = make_engine(settings.database_url)
        factory = make_session_factory(engine)
        reader = make_session_factory(engine, read_only=True)
        return cls(settings, engine, factory, reader, Clock.for_zone(settings.timezone), FaqRetriever(reader))

    def transaction(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction: committed if it returns, rolled back if it raises."""
        with self.session_factory.begin() as session:
            return work(session)

    def read(self, work: Callable[[Session], T]) -> T:
        """Run `work`, which only reads, in a transaction that takes no write lock.

        A change made inside it is an error, not silently dropped or written.
        """
        with self.read_session_factory.begin() as session:
            return work(session)

    def close(self) -> None:
        self.engine.dispose()


@functools.lru_cache(maxsize=1)
def from_environment() -> Services:
    """The services of a process that has no entry point of its own (Rasa's actions and
    channels), built on first use from the environment."""
    return Services.from_settings(Settings.from_env())
