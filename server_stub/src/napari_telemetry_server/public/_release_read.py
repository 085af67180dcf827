"""Reads from the raw database for a release: one grouped query per raw table.

Each query returns one row per week, weekly id and combination of the table's released columns
(the days of a week merged, weights summed); every released dimension then takes its value from
those rows into a ``Counting``, which enforces the contribution bounds (plugins' counters: a
``CellCounting``). Six scans of the raw data serve all nineteen dimensions. This is the only
place a release touches raw rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, distinct, func, select

from napari_telemetry_server.storage import metadata

from ._release_dims import DIM_BY_NAME, Bounded, Counting, Dim
from .counters import CELLS, CellCounting, key

Row = tuple[Any, ...]  # week, user_id, the grouped columns of a raw table, then the weight
Pick = Callable[[Row], "str | None"]  # a dimension's value in a row, None when it has none


@dataclass(frozen=True)
class Source:
    """One grouped read of a raw table: the columns it keeps and the one it sums."""

    table: str
    columns: tuple[str, ...]
    weight: str | None = None  # summed column; None counts rows (days)


BATCHES = Source("batches", ("level", "first_report", "install_age"))
SESSIONS = Source(
    "session_records",
    ("napari_version", "python_version", "os_name", "os_version", "arch"),
    "launches",
)
PLUGINS = Source("plugin_records", ("name", "version"))
COMMANDS = Source("command_records", ("plugin", "command_id"), "count")
LAYERS = Source(
    "layer_records",
    ("layer_type", "data_type", "ndim", "dtype", "size_bucket", "multiscale"),
    "count",
)
COUNTERS = Source("counter_records", ("plugin", "counter", "label"), "count")
_RANK = {"basic": 1, "middle": 2, "full": 3}
_WEEK_ID = itemgetter(0, 1)


@functools.lru_cache(maxsize=4096)
def _minor(version: str) -> str:
    """ "3.12.4" → "3.12"."""
    return ".".join(version.split(".")[:2])


def _column(i: int) -> Pick:
    """The *i*-th grouped column (text columns: as they are)."""
    return itemgetter(i + 2)


def _text(i: int) -> Pick:
    """The *i*-th grouped column as text (numbers such as ndim)."""
    return lambda row: None if row[i + 2] is None else str(row[i + 2])


# Each dimension: its source, its value in a row, and (for the level) the weight it keeps.
PICKS: dict[str, tuple[Source, Pick]] = {
    "installs.active": (BATCHES, lambda row: "active" if row[2] == "basic" else None),
    "installs.new": (BATCHES, lambda row: "new" if row[2] == "basic" and row[3] else None),
    "environment.level": (BATCHES, _column(0)),
    "environment.install_age": (BATCHES, lambda row: row[4] if row[2] == "basic" else None),
    "environment.napari_version": (SESSIONS, _column(0)),
    "environment.python_version": (SESSIONS, lambda row: row[3] and _minor(row[3])),
    "environment.os": (SESSIONS, _column(2)),
    "environment.os_release": (SESSIONS, lambda row: row[4] and f"{row[4]} {row[5]}"),
    "environment.arch": (SESSIONS, _column(4)),
    "plugins.plugin": (PLUGINS, _column(0)),
    "plugin_versions.version": (PLUGINS, lambda row: row[2] and f"{row[2]} {row[3]}"),
    "commands.command": (COMMANDS, lambda row: row[2] and f"{row[2]} {row[3]}"),
    "layers.layer_type": (LAYERS, _column(0)),
    "layers.data_type": (LAYERS, _column(1)),
    "layers.ndim": (LAYERS, _text(2)),
    "layers.dtype": (LAYERS, _column(3)),
    "layers.size_bucket": (LAYERS, _text(4)),
    "layers.multiscale": (LAYERS, lambda row: "multiscale" if row[7] else "single scale"),
    CELLS: (COUNTERS, lambda row: key(row[2], row[3], row[4])),
}


def query(source: Source, weeks: Iterable[str]) -> Any:
    """The grouped SELECT of *source* over *weeks*: week, user_id, its columns, the weight.

    Ordered by id and week, so that each weekly id's rows arrive together.
    """
    t = metadata.tables[source.table]
    columns = [t.c[c] for c in source.columns]
    weight = func.count() if source.weight is None else func.sum(t.c[source.weight])
    return (
        select(t.c.week, t.c.user_id, *columns, weight)
        .where(t.c.week.in_(sorted(set(weeks))))
        .group_by(t.c.user_id, t.c.week, *columns)
        .order_by(t.c.user_id, t.c.week)  # the grouping's own order: no second sort
    )


# dimension -> (values per id, clip of its sums); plugins' counters: (pairs, labels per pair)
Plan = dict[str, tuple[int, "int | None"]]


def _counting(name: str, per_id: int, clip: int | None) -> Counting | CellCounting:
    if name == CELLS:
        return CellCounting(per_id, clip or 1)
    return Counting(DIM_BY_NAME[name], per_id, clip)


def read_counts(
    conn: Connection, weeks: list[str], plan: Plan
) -> tuple[dict[str, dict[str, Bounded]], dict[str, int]]:
    """Bounded exact counts ``{week: {dimension: Bounded}}`` and malformed rows per table.

    Each id's rows of a table are read together; what it reported in each dimension goes into
    that dimension's ``Counting`` at once, which enforces the bound.
    """
    counting = {w: {n: _counting(n, *plan[n]) for n in plan} for w in weeks}
    skipped: dict[str, int] = {}
    for source in dict.fromkeys(PICKS[n][0] for n in plan):
        names = [n for n in plan if PICKS[n][0] is source]
        picks = [PICKS[n][1] for n in names]
        level = names.index("environment.level") if "environment.level" in names else -1
        ordered = {w: [by[n] for n in names] for w, by in counting.items()}
        for (week, user_id), group in groupby(_rows(conn, query(source, weeks)), _WEEK_ID):
            targets = ordered.get(week)
            if targets is None or user_id is None:
                skipped[source.table] = skipped.get(source.table, 0) + sum(1 for _ in group)
                continue
            found: list[dict[str, int]] = [{} for _ in names]
            for row in group:
                weight = row[-1] or 0  # an int from both drivers (COUNT, SUM of integers)
                for values, pick in zip(found, picks):  # noqa: B905  (same length: built so)
                    value = pick(row)
                    if value is not None:
                        values[value] = values.get(value, 0) + weight
            if level >= 0:  # an id's level is the highest stream it sent, not a count
                found[level] = {v: _RANK.get(v, 1) for v in found[level]}
            for target, values in zip(targets, found):  # noqa: B905  (same length: built so)
                if values:
                    target.add(user_id, values)
    return {w: {n: c.out for n, c in by.items()} for w, by in counting.items()}, skipped


def _rows(conn: Connection, statement: Any) -> Iterable[Row]:
    """The rows of *statement* as plain tuples from the driver's cursor.

    A release reads every raw row once; SQLAlchemy's row objects cost about a second per
    million here, so the compiled statement runs on the DBAPI cursor directly.
    """
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    if compiled.positiontup:  # qmark / format paramstyles (SQLite, psycopg's %s)
        params: Any = [compiled.params[name] for name in compiled.positiontup]
    else:
        params = compiled.params
    cursor = conn.connection.cursor()
    try:
        cursor.execute(compiled.string, params)
        while batch := cursor.fetchmany(10_000):
            yield from batch
    finally:
        cursor.close()


def read_bounded(
    conn: Connection, dim: Dim, weeks: list[str], per_id: int, clip: int | None
) -> tuple[dict[str, Bounded], int]:
    """Bounded exact counts of one dimension for each of *weeks*, and the rows skipped."""
    counts, skipped = read_counts(conn, weeks, {dim.name: (per_id, clip)})
    return {w: c[dim.name] for w, c in counts.items()}, sum(skipped.values())


def ids_in(conn: Connection, week: str) -> int:
    """Distinct weekly ids of *week* (for ``aggregate --dry-run`` only; never published)."""
    t = metadata.tables["batches"]
    return int(conn.scalar(select(func.count(distinct(t.c.user_id))).where(t.c.week == week)) or 0)
