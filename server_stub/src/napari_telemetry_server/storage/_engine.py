"""Engines: SQLite (WAL, synchronous=NORMAL, busy timeout, immediate write locks) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

BUSY_TIMEOUT_MS = 5_000
WAL_LIMIT_BYTES = 64 << 20  # SQLite's write-ahead log is truncated to this after a checkpoint


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a ``postgresql://`` URL, a ``sqlite:`` URL or a file path."""
    text = str(target)
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text.removeprefix(prefix)
    if text.startswith(("postgresql+", "sqlite:")):
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def require_database(target: str | Path) -> None:
    """Refuse a database file that does not exist (URLs are left to the server they name).

    A mistyped path must not become a new, empty database that "purged", "deleted" or
    "released" nothing.
    """
    if "://" not in str(target) and not Path(target).expanduser().exists():
        raise ValueError(f"raw database {str(target)!r} does not exist")


def make_engine(
    url: str | Path, *, background_checkpoints: bool = False, wal_limit: int = WAL_LIMIT_BYTES
) -> Engine:
    """An engine for *url*; SQLite gets WAL, ``synchronous=NORMAL``, a busy timeout.

    With *background_checkpoints*, commits never copy the WAL back into the database file (the
    caller runs ``Storage.checkpoint()`` periodically, off the request path). *wal_limit* is
    SQLite's ``journal_size_limit``: the WAL file is cut back to it when a checkpoint resets it.
    """
    full = database_url(url)
    if not full.startswith("sqlite"):
        return create_engine(full, pool_pre_ping=True, pool_size=8, max_overflow=8)
    pragmas = [
        "journal_mode=WAL",
        "synchronous=NORMAL",
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        f"journal_size_limit={wal_limit}",
        "foreign_keys=ON",
    ]
    if background_checkpoints:
        pragmas.append("wal_autocheckpoint=0")
    return sqlite_engine(full, pragmas, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})


def sqlite_engine(url: str, pragmas: Sequence[str], **options: Any) -> Engine:
    """A SQLite engine that runs *pragmas* on each new connection and begins every transaction.

    pysqlite would run each SELECT on its own (two reads could see two states of the file) and
    begin a write only at its first statement; here every ``connect()`` is one transaction, a
    snapshot, and a connection with the execution option ``write=True`` begins ``IMMEDIATE``.
    The database file's folder is created. *options* go to ``create_engine``.
    """
    engine = create_engine(url, **options)
    if engine.url.database and engine.url.database != ":memory:":
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    event.listen(engine, "connect", partial(_sqlite_connect, pragmas=tuple(pragmas)))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any, *, pragmas: tuple[str, ...]) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" hook below opens transactions
    cursor = dbapi_connection.cursor()
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the lock up front, so a read-then-write never fails half-way with SQLITE_BUSY.
    write = conn.get_execution_options().get("write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
