"""The aggregate database: published numbers only, never a weekly id or a raw row.

A separate SQLite file in rollback-journal mode (``journal_mode=DELETE``), so it can be copied to
the public host and opened read-only (by the site builder or Grafana) without ``-wal`` files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    select,
)

metadata = MetaData()


def _weekly(name: str, *columns: Column[Any]) -> Table:
    return Table(name, metadata, Column("week", String, nullable=False, index=True), *columns)


meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)
weeks = Table(
    "weeks",
    metadata,
    Column("week", String, primary_key=True),
    Column("week_start", String, nullable=False),
    Column("week_start_unix", Integer, nullable=False),
    Column("status", String, nullable=False),  # "published" | "below_threshold"
    Column("active_installs", Integer),  # NULL when below threshold
    Column("new_installs", Integer),  # NULL when below threshold or fewer than k
)
environment = _weekly(
    "environment",
    Column("dimension", String, nullable=False),
    Column("value", String, nullable=False),
    Column("installs", Integer, nullable=False),
)
plugins = _weekly(
    "plugins",
    Column("plugin", String, nullable=False),
    Column("installs", Integer, nullable=False),
)
plugin_versions = _weekly(
    "plugin_versions",
    Column("plugin", String, nullable=False),
    Column("version", String, nullable=False),
    Column("installs", Integer, nullable=False),
)
commands = _weekly(
    "commands",
    Column("plugin", String, nullable=False),
    Column("command_id", String, nullable=False),
    Column("users", Integer, nullable=False),
    Column("calls", Integer, nullable=False),
)
layers = _weekly(
    "layers",
    Column("dimension", String, nullable=False),
    Column("value", String, nullable=False),
    Column("users", Integer, nullable=False),
    Column("layers", Integer, nullable=False),
)
rolling_installs = _weekly(
    "rolling_installs",
    Column("window", Integer, nullable=False),
    Column("mean_installs", Float, nullable=False),
    Column("weeks_covered", Integer, nullable=False),
)
rolling_plugins = _weekly(
    "rolling_plugins",
    Column("plugin", String, nullable=False),
    Column("window", Integer, nullable=False),
    Column("mean_installs", Float, nullable=False),
    Column("weeks_covered", Integer, nullable=False),
)
WEEKLY_TABLES = (environment, plugins, plugin_versions, commands, layers)
PUBLIC_TABLES = (weeks, *WEEKLY_TABLES, rolling_installs, rolling_plugins)


def open_aggregates(path: Path, *, create: bool = True) -> Engine:
    """An engine on the aggregate SQLite file (rollback journal), with the tables created."""
    if not create and not path.exists():
        raise ValueError(f"aggregate database {str(path)!r} does not exist; run `aggregate` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun below, reads included
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=DELETE")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # pysqlite runs each SELECT on its own: a publish reading table after table while an
        # aggregate commits could mix two states. A transaction makes the reads one snapshot.
        conn.exec_driver_sql("BEGIN")

    if create:
        metadata.create_all(engine)
    return engine


def read_tables(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every public table as a list of row dicts, in a stable order."""
    out: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in PUBLIC_TABLES:
            order = [c for c in table.c if c.name not in {"installs", "users", "calls", "layers"}]
            rows = conn.execute(select(table).order_by(*order)).mappings()
            out[table.name] = [dict(r) for r in rows]
        out["meta"] = [dict(r) for r in conn.execute(select(meta).order_by(meta.c.key)).mappings()]
    return out
