"""The aggregate database: published numbers only, never a weekly id or a raw row.

A separate SQLite file in rollback-journal mode (``journal_mode=DELETE``), so it can be copied to
the public host and opened read-only (by the site builder or Grafana) without ``-wal`` files. It
is a cache of the ledger in the raw database, rebuilt whole from it by every ``aggregate``
(``ledger._cache``): the same ledger gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, inspect, select
from sqlalchemy import exc as sa_exc

from napari_telemetry_server.storage import sqlite_engine

metadata = MetaData()


def _weekly(name: str, *columns: Column[Any]) -> Table:
    return Table(name, metadata, Column("week", String, nullable=False, index=True), *columns)


meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)
# One row per release, as the ledger holds it: what it covered and its privacy accounting (JSON).
releases = Table(
    "releases",
    metadata,
    Column("period", String, primary_key=True),  # "2026-W48" or "2026-Q3"
    Column("kind", String, nullable=False),  # "week" | "window"
    Column("first_week", String, nullable=False),
    Column("last_week", String, nullable=False),
    Column("released_on", String, nullable=False),
    Column("document", String, nullable=False),
)
weeks = Table(
    "weeks",
    metadata,
    Column("week", String, primary_key=True),
    Column("week_start", String, nullable=False),
    Column("week_start_unix", Integer, nullable=False),
    Column("active_installs", Integer, nullable=False),
    Column("new_installs", Integer, nullable=False),
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
)
# Plugins' counters: per approved (plugin, counter, label), the weekly ids that counted it.
counters = _weekly(
    "counters",
    Column("plugin", String, nullable=False),
    Column("counter", String, nullable=False),
    Column("label", String, nullable=False),  # "" for a counter without labels
    Column("installs", Integer, nullable=False),
)
# The long window: install-weeks of each plugin over a quarter (the tail of small plugins).
plugin_windows = Table(
    "plugin_windows",
    metadata,
    Column("period", String, nullable=False, index=True),
    Column("plugin", String, nullable=False),
    Column("install_weeks", Integer, nullable=False),
    Column("weeks", Integer, nullable=False),
    Column("mean_installs", Float, nullable=False),
)
# The same for plugins' counters: install-weeks of each approved cell over a quarter.
counter_windows = Table(
    "counter_windows",
    metadata,
    Column("period", String, nullable=False, index=True),
    Column("plugin", String, nullable=False),
    Column("counter", String, nullable=False),
    Column("label", String, nullable=False),
    Column("install_weeks", Integer, nullable=False),
    Column("weeks", Integer, nullable=False),
    Column("mean_installs", Float, nullable=False),
)
# Post-processing of released numbers (they spend no budget), recomputed on every rebuild over
# the calendar's weeks.
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
# Public halves of every key that signed a certificate, so old certificates still verify.
public_keys = Table(
    "public_keys",
    metadata,
    Column("key_id", String, primary_key=True),
    Column("pem", String, nullable=False),
    Column("first_used", String, nullable=False),
)
WEEKLY_TABLES = (environment, plugins, plugin_versions, commands, layers, counters)
PUBLIC_TABLES = (
    releases,
    weeks,
    *WEEKLY_TABLES,
    plugin_windows,
    counter_windows,
    rolling_installs,
    rolling_plugins,
)
FORMAT = "2"  # 1: k-anonymity (before differential privacy); not read any more


def open_aggregates(path: Path, *, create: bool = True) -> Engine:
    """An engine on the aggregate SQLite file (rollback journal), with the tables created."""
    if not create and not path.exists():
        raise ValueError(f"aggregate database {str(path)!r} does not exist; run `aggregate` first")
    # Its own rollback journal, and reads in one transaction: a publish reading table after
    # table while an aggregate commits sees one state.
    engine = sqlite_engine(f"sqlite:///{path}", ["journal_mode=DELETE"])
    if create:
        metadata.create_all(engine)
    _check_format(engine, path)
    return engine


def _check_format(engine: Engine, path: Path) -> None:
    """Refuse a file of another format (the k-anonymous tables of format 1, say)."""
    try:
        with engine.connect() as conn:
            found = conn.scalar(select(meta.c.value).where(meta.c.key == "format"))
    except sa_exc.SQLAlchemyError as e:  # not a database, or not ours
        engine.dispose()
        raise ValueError(
            f"{str(path)!r} is not an aggregate database of this version: move it away and run "
            "`aggregate`, which rebuilds it from the ledger in the raw database"
        ) from e
    if found in (None, FORMAT):
        return
    engine.dispose()
    what = (
        "k-anonymity, before differential privacy; its numbers cannot become private releases"
        if found == "1"
        else "not one this version knows"
    )
    raise ValueError(
        f"{str(path)!r} holds aggregates of format {found} ({what}): move it away and run "
        "`aggregate` again, which rebuilds the file from the ledger in the raw database "
        "(nothing is released twice)"
    )


def read_tables(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every public table as a list of row dicts, in a stable order.

    A table a file of an earlier version lacks (``counters``, ``counter_windows``) reads as
    empty: it held none of its rows.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in PUBLIC_TABLES:
            if table.name not in present:
                out[table.name] = []
                continue
            order = [c for c in table.c if isinstance(c.type, String)]
            rows = conn.execute(select(table).order_by(*order)).mappings()
            out[table.name] = [dict(r) for r in rows]
        out["meta"] = [dict(r) for r in conn.execute(select(meta).order_by(meta.c.key)).mappings()]
    return out


def read_key_rows(engine: Engine) -> list[dict[str, str]]:
    """Every recorded public key as a row (key id, PEM, first use), by key id."""
    with engine.connect() as conn:
        rows = conn.execute(select(public_keys).order_by(public_keys.c.key_id)).mappings()
        return [dict(r) for r in rows]


def read_keys(engine: Engine) -> dict[str, bytes]:
    """Every recorded public key (PEM) by key id."""
    with engine.connect() as conn:
        rows = conn.execute(select(public_keys.c.key_id, public_keys.c.pem)).tuples()
        return {kid: pem.encode() for kid, pem in rows}
