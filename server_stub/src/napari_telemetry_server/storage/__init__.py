"""Raw storage: the one package that speaks SQL (SQLAlchemy Core; SQLite or PostgreSQL).

Record tables are generated from the wire models in ``napari_telemetry.schema``, so a field added
there becomes a column here; aggregation reads these typed columns. The ledger of released
periods (``Ledger``) lives in the same database, so that what was published outlives the
aggregate file it is copied into; ``purge`` and ``forget`` never touch it.
"""

from __future__ import annotations

from napari_telemetry.schema import RAW_RETENTION_DAYS

from ._engine import BUSY_TIMEOUT_MS, database_url, make_engine, require_database, sqlite_engine
from ._ledger import LEDGER_TABLES, AlreadyReleased, Ledger, Partials, Period, PublicKey
from ._received import Outcome, batch_digest
from ._store import TOMBSTONE_DAYS, Storage, StorageUnavailable
from ._tables import batches, metadata, record_tables, tombstones

__all__ = [
    "BUSY_TIMEOUT_MS",
    "LEDGER_TABLES",
    "RAW_RETENTION_DAYS",
    "TOMBSTONE_DAYS",
    "AlreadyReleased",
    "Ledger",
    "Outcome",
    "Partials",
    "Period",
    "PublicKey",
    "Storage",
    "StorageUnavailable",
    "batch_digest",
    "batches",
    "database_url",
    "make_engine",
    "metadata",
    "record_tables",
    "require_database",
    "sqlite_engine",
    "tombstones",
]
