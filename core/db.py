"""Engine and session factory for SQLite (default) and PostgreSQL.

SQLAlchemy 1.4 in its 2.0 style: `future=True` engines, `select()`, and
`sessionmaker.begin()` as the unit of work that owns each transaction.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from core.settings import PRIVATE_DIR_MODE, private_file


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the connection settings each backend needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_database_file(Path(parsed.database))
            # SQLAlchemy 1.4 opens and closes a file database's connection for every
            # transaction (NullPool); keeping them saves the open and the PRAGMAs each time.
            kwargs.setdefault("poolclass", QueuePool)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, **kwargs)


def private_database_file(path: Path) -> None:
    """A SQLite file only its owner may read, made before SQLite makes it (as 644).

    SQLite gives its -wal and -shm files the database file's permissions, so those
    follow. A missing folder is made private too; an existing one is the operator's.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    private_file(path)
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists():
            private_file(companion)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work at once; foreign keys are off by default.

    pysqlite's own transaction handling is switched off so `_sqlite_begin` decides.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = "nuanxin_read_only"


def _sqlite_begin(connection: Any) -> None:
    """Take SQLite's write lock at BEGIN, unless the transaction only reads.

    A deferred transaction that reads, then writes (count the places left, then
    book one) fails with "database is locked" when another writer went first;
    an immediate one waits its turn, so read-check-write is atomic. Lookups
    (stations, legal guides, FAQ) never write, and in WAL mode a deferred
    transaction reads beside the writer instead of queueing behind it.
    """
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine, read_only: bool = False) -> sessionmaker:
    """Sessions that keep loaded values readable after commit.

    `read_only` ones never take SQLite's write lock, and refuse to flush a
    change rather than write it without the lock or drop it silently.
    """
    if not read_only:
        return sessionmaker(engine, future=True, expire_on_commit=False)
    factory = sessionmaker(engine.execution_options(**{READ_ONLY: True}), future=True, expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_changes)
    return factory


def _refuse_changes(session: Any, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read-only transaction changed data")


@contextmanager
def scratch_schema(server_url: str, prefix: str) -> Iterator[str]:
    """A PostgreSQL schema of its own, dropped afterwards; yields a URL whose search_path is it.

    Tests and benchmarks share one database server; each works in a schema
    nobody else touches.
    """
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{server_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
