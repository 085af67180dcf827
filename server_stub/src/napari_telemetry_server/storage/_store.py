"""``Storage``: every raw write (ingest, deletion, retention) as one transaction."""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, inspect, or_, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from napari_telemetry.schema import RAW_RETENTION_DAYS, Batch, oldest_week

from ._engine import BUSY_TIMEOUT_MS
from ._received import Outcome, batch_digest, outcome
from ._rows import envelope_row, multi_insert, record_rows
from ._tables import INSERT_COLUMNS, SCHEMA_LOCK, batches, metadata, record_tables, tombstones

TOMBSTONE_DAYS = 63  # the client lists its ids for 9 weeks; a batch in flight is older than that
TRUNCATE_WAIT_MS = 200  # how long a truncating checkpoint waits for readers to move on
_MAX_PARAMETERS = 30_000  # below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters


class StorageUnavailable(RuntimeError):
    """The database cannot be written right now (missing, read-only, down); retry later."""


class Storage:
    """Raw batches and their records; every write is one transaction."""

    def __init__(self, engine: Engine, *, today: Callable[[], date] = date.today) -> None:
        self.engine = engine
        self.today = today
        self._sqlite = engine.dialect.name == "sqlite"
        self.local = self._sqlite  # an embedded database: writes are quick, local calls
        self._writer = threading.Lock()  # one writer at a time on SQLite
        self._checkpointing = threading.Lock()  # and one checkpoint
        self._marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        db = engine.url.database if self._sqlite else None
        self._path = Path(db) if db and db != ":memory:" else None
        self._identity = self._file_identity() if self._path and self._path.exists() else None
        self._stale = False  # the last use failed: reopen and check the tables first
        with self._guard():
            self._create_tables()
        if self._path:
            self._identity = self._file_identity()

    def insert_batch(self, batch: Batch) -> bool:
        """Store *batch* once; False when it is a duplicate or its user id was deleted."""
        return self.insert_batches([batch])[0]

    def insert_batches(self, group: Sequence[Batch]) -> list[bool]:
        """Store several batches in one transaction (group commit); new-or-not for each."""
        outcomes = self.store([(b, batch_digest(b)) for b in group])
        return [outcome is Outcome.STORED for outcome in outcomes]

    def store(self, group: Sequence[tuple[Batch, str]]) -> list[Outcome]:
        """Store (batch, ``batch_digest`` of it as received) pairs in one transaction."""
        today = self.today()
        with self._write() as conn:
            self._lock_tombstones(conn, "SHARE")
            dead = self._tombstoned(conn, {b.user_id for b, _ in group}, today)
            fresh: dict[str, tuple[Batch, str]] = {}
            for batch, digest in group:
                if batch.user_id not in dead:
                    fresh.setdefault(str(batch.batch_id), (batch, digest))
            new = self._insert_new(conn, fresh, today)
            stored: dict[str, str | None] = {i: fresh[i][1] for i in new}
            stored.update(self._digests(conn, fresh.keys() - new))  # retries only
        inserted = {id(fresh[i][0]) for i in new}
        return [outcome(b, d, dead, stored, inserted) for b, d in group]

    def forget(self, user_ids: Iterable[str]) -> int:
        """Delete every raw row of *user_ids* and tombstone them; return the batches deleted."""
        ids = sorted(set(user_ids))
        until = self.today() + timedelta(days=TOMBSTONE_DAYS)
        with self._write() as conn:
            self._lock_tombstones(conn, "SHARE ROW EXCLUSIVE")
            for table in record_tables.values():
                conn.execute(table.delete().where(table.c.user_id.in_(ids)))
            deleted = conn.execute(batches.delete().where(batches.c.user_id.in_(ids))).rowcount
            for user_id in ids:
                stmt = self._insert(tombstones).values(user_id=user_id, until=until)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["user_id"], set_={"until": until}
                )
                conn.execute(stmt)
        return int(deleted)

    def purge(self, today: date) -> int:
        """Delete raw batches past retention on *today*, and stale tombstones.

        A batch goes 60 days after it was received, or once its week has left raw retention
        (``oldest_week``), whichever comes first: so every stored week is one that the client
        still lists among its ids, and one deletion request reaches all of it.
        """
        cutoff = today - timedelta(days=RAW_RETENTION_DAYS)
        # "YYYY-Www" strings sort as the weeks do (the wire pattern fixes four-digit years)
        expired = or_(batches.c.received_on < cutoff, batches.c.week < oldest_week(today))
        old = select(batches.c.batch_id).where(expired)
        with self._write() as conn:
            for table in record_tables.values():
                conn.execute(table.delete().where(table.c.batch_id.in_(old)))
            deleted = conn.execute(batches.delete().where(expired)).rowcount
        with self._write() as conn:  # apart: it waits for ingests in flight (_lock_tombstones)
            conn.execute(tombstones.delete().where(tombstones.c.until < today))
        return int(deleted)

    def counts(self) -> dict[str, int]:
        """Rows per table, e.g. ``{"batches": 3, "plugin_records": 40, ...}``."""
        tables = [batches, *record_tables.values(), tombstones]
        with self._guard(), self.engine.connect() as conn:
            return {t.name: conn.scalar(select(func.count()).select_from(t)) or 0 for t in tables}

    def checkpoint(self, *, truncate: bool = False) -> bool:
        """Copy committed WAL pages into the SQLite file; True when the whole WAL was copied.

        A passive checkpoint never waits for anyone (and is skipped while another checkpoint
        runs). With *truncate*, no writer of this process starts meanwhile, readers are waited
        for a moment, and the WAL file is emptied; False when a long reader (an ``aggregate``
        run, a backup) still needs it. No-op on PostgreSQL.
        """
        if not self._sqlite:
            return True
        if not self._checkpointing.acquire(blocking=truncate):
            return False
        try:
            with self._writer if truncate else nullcontext(), self._guard():
                return self._wal_checkpoint("TRUNCATE" if truncate else "PASSIVE")
        finally:
            self._checkpointing.release()

    def wal_bytes(self) -> int:
        """The size of the SQLite WAL file now (0 without one, and on PostgreSQL)."""
        if self._path is None:
            return 0
        try:
            return os.stat(f"{self._path}-wal").st_size
        except OSError:
            return 0

    def check(self) -> None:
        """Raise StorageUnavailable unless the database answers a trivial query."""
        with self._guard(), self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def _wal_checkpoint(self, mode: str) -> bool:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"PRAGMA busy_timeout={TRUNCATE_WAIT_MS}")  # TRUNCATE waits, no more
            try:
                busy, log, copied = cursor.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
            finally:
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                cursor.close()
        finally:
            raw.close()
        return not busy and log == copied

    def _insert_rows(self, conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
        if not self._sqlite:
            # COPY: psycopg rewrites the placeholders of a long multi-row INSERT in Python on
            # every call (it caches only short queries), which was half the collector's CPU.
            columns = ", ".join(INSERT_COLUMNS[table.name])
            driver: Any = conn.connection.driver_connection  # psycopg, in this transaction
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        # SQLite: one multi-row INSERT per chunk: one statement, where executemany steps once
        # per row (and, from a worker thread, hands the GIL back and forth at every step).
        width = len(INSERT_COLUMNS[table.name])
        per_chunk = _MAX_PARAMETERS // width
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            sql = multi_insert(table.name, len(chunk), self._marker)
            conn.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(chunk)))

    def _lock_tombstones(self, conn: Connection, mode: str) -> None:
        # PostgreSQL: an ingest checks the tombstones, then inserts; a deletion committing in
        # between would miss the batch and leave it stored. Ingests share this lock, a deletion
        # waits for those in flight (SQLite: the write lock of BEGIN IMMEDIATE already does it).
        if not self._sqlite:
            conn.exec_driver_sql(f"LOCK TABLE {tombstones.name} IN {mode} MODE")

    def _insert(self, table: Table) -> Any:
        return (sqlite.insert if self._sqlite else postgresql.insert)(table)

    def _insert_new(
        self, conn: Connection, fresh: dict[str, tuple[Batch, str]], today: date
    ) -> set[str]:
        """Insert the batches whose id is not stored yet, with their records; their ids."""
        if not fresh:
            return set()
        rows = [envelope_row(b, d, today) for b, d in fresh.values()]
        stmt = self._insert(batches).on_conflict_do_nothing().returning(batches.c.batch_id)
        new = set(conn.execute(stmt, rows).scalars())
        for rtype, records in record_rows([fresh[i][0] for i in new]).items():
            self._insert_rows(conn, record_tables[rtype], records)
        return new

    @staticmethod
    def _digests(conn: Connection, batch_ids: set[str]) -> dict[str, str | None]:
        if not batch_ids:
            return {}
        query = select(batches.c.batch_id, batches.c.digest).where(
            batches.c.batch_id.in_(sorted(batch_ids))
        )
        return {row.batch_id: row.digest for row in conn.execute(query)}

    @staticmethod
    def _tombstoned(conn: Connection, user_ids: set[str], today: date) -> set[str]:
        query = select(tombstones.c.user_id).where(
            tombstones.c.user_id.in_(sorted(user_ids)), tombstones.c.until >= today
        )
        return set(conn.execute(query).scalars())

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with (
            self._writer if self._sqlite else nullcontext(),
            self._guard(),
            self.engine.connect().execution_options(write=True) as conn,
            conn.begin(),
        ):
            yield conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn "the database is not there" into StorageUnavailable, and reconnect after."""
        try:
            self._check_file()
            yield
        except sa_exc.DBAPIError as e:
            if not _unavailable(e):
                raise
            self.engine.dispose()
            self._stale = True
            reason = type(e.orig).__name__
            if isinstance(e.orig, sqlite3.Error):  # SQLite's own words name no path or host
                reason = f"{reason}: {e.orig}"  # e.g. "database or disk is full"
            raise StorageUnavailable(f"database unavailable: {reason}") from e

    def _check_file(self) -> None:
        # SQLite keeps writing to a deleted or chmod-ed file through open handles; look first.
        if self._path is None or self._identity is None:
            return
        try:
            identity = self._file_identity()
        except FileNotFoundError as e:
            raise StorageUnavailable("database file is missing") from e
        if not os.access(self._path, os.W_OK):
            raise StorageUnavailable("database file is read-only")
        # Replaced (e.g. restored), or unusable last time: a new file may reuse the inode of the
        # one it replaces, so a failure alone is reason enough to reopen and check the tables.
        if identity != self._identity or self._stale:
            self.engine.dispose()
            self._identity = identity
            self._create_tables()
            self._stale = False

    def _create_tables(self) -> None:
        # Several processes or hosts may start on one fresh database at once: one creates the
        # tables, the others wait for its transaction and then find them (SQLite: the write
        # lock of BEGIN IMMEDIATE; PostgreSQL: an advisory lock held until the commit).
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            if not self._sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            metadata.create_all(conn)
            # Databases made before batch digests existed: add the column (NULL = a retry).
            if "digest" not in {c["name"] for c in inspect(conn).get_columns(batches.name)}:
                conn.exec_driver_sql(f"ALTER TABLE {batches.name} ADD COLUMN digest VARCHAR(32)")

    def _file_identity(self) -> tuple[int, int]:
        assert self._path is not None
        st = os.stat(self._path)
        return st.st_dev, st.st_ino


def _unavailable(error: sa_exc.DBAPIError) -> bool:
    """Whether *error* means the database cannot be used now (not a bug in a statement)."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return True  # gone, read-only, locked, server down
    # SQLite's "file is not a database" and "database disk image is malformed" (a file the
    # operator must restore) are the bare DatabaseError, not one of its subclasses.
    return type(error.orig) is sqlite3.DatabaseError
