"""Lock store: in memory for one Rasa process, Redis (REDIS_URL) for several.

Rasa's `RedisLockStore` reads a conversation's ticket lock, changes it in
Python and writes it back: two Rasa processes can both take ticket 0 of the
same conversation, or one can delete a lock the other just queued on, and then
two messages of one rider are handled at once. Here every change runs in a
Redis transaction (WATCH/MULTI/EXEC), and waiting requests look again every
50 ms instead of every second.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX, LOCK_LIFETIME, InMemoryLockStore, LockStore

from core.settings import Settings

T = TypeVar("T")
POLL_S = 0.05


class AtomicRedisLockStore(LockStore):
    """Ticket locks in Redis, each change one optimistic transaction on the lock's key."""

    def __init__(self, url: str, key_prefix: str = DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX) -> None:
        import redis

        self.red = redis.Redis.from_url(url, socket_timeout=10)
        self.key_prefix = key_prefix
        super().__init__()

    def _key(self, conversation_id: Text) -> str:
        return self.key_prefix + conversation_id

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        raw = self.red.get(self._key(conversation_id))
        return TicketLock.from_dict(json.loads(raw)) if raw else None

    def save_lock(self, lock: TicketLock) -> None:
        self.red.set(self._key(lock.conversation_id), lock.dumps())

    def delete_lock(self, conversation_id: Text) -> None:
        deleted = self.red.delete(self._key(conversation_id))
        self._log_deletion(conversation_id, deleted != 0)

    def _change(self, conversation_id: Text, change: Callable[[TicketLock], T], create: bool = False) -> Optional[T]:
        """Apply `change` to the stored lock atomically; an emptied lock is deleted."""
        key = self._key(conversation_id)

        def transaction(pipe: Any) -> Optional[T]:
            raw = pipe.get(key)
            if raw is None and not create:
                return None
            lock = TicketLock.from_dict(json.loads(raw)) if raw else self.create_lock(conversation_id)
            result = change(lock)
            pipe.multi()
            if lock.tickets:
                pipe.set(key, lock.dumps())
            else:
                pipe.delete(key)
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock) -> int:
            lock.remove_expired_tickets()
            return lock.issue_ticket(lock_lifetime)

        ticket = self._change(conversation_id, issue, create=True)
        if ticket is None:  # `create` makes the lock: there is always a ticket
            raise RuntimeError(f"no lock ticket issued for {conversation_id}")
        return ticket

    def update_lock(self, conversation_id: Text) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # finish_serving deletes the lock in the same transaction once no ticket is left.
        self.finish_serving(conversation_id, ticket_number)

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_S
    ) -> AsyncGenerator[TicketLock, None]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, min(wait_time_in_seconds, POLL_S))
        finally:
            self.cleanup(conversation_id, ticket)


class ConfiguredLockStore(LockStore):
    """What `endpoints.yml` names: the lock store the environment asks for.

    Rasa builds it with the endpoint's settings; it returns an atomic Redis
    store when REDIS_URL is set, else Rasa's in-memory store.
    """

    def __new__(cls, endpoint_config: Any = None) -> LockStore:
        url = Settings.from_env().redis_url
        return AtomicRedisLockStore(url) if url else InMemoryLockStore()
