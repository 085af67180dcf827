"""Reads from the raw database for a release: one grouped query per raw table.

Each query returns one row per week, weekly id and combination of the table's released columns
(the days of a week merged, weights summed); every released dimension then takes its value from
those rows into a ``Tally``, which enforces the contribution bounds. Five scans of the raw data
serve all eighteen dimensions. This is the only place a release touches raw rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, distinct, func, select

from ._release_dims import DIMS, Bounded, Dim, Tally
from ._storage import metadata

Row = tuple[Any, ...]  # the grouped columns of a raw table, then the weight
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
_RANK = {"basic": 1, "middle": 2, "full": 3}


def _minor(version: str) -> str:
    """ "3.12.4" → "3.12"."""
    return ".".join(version.split(".")[:2])


def _text(i: int) -> Pick:
    return lambda row: None if row[i] is None else str(row[i])


def _basic(pick: Pick) -> Pick:
    return lambda row: pick(row) if row[0] == "basic" else None


# Each dimension: its source, its value in a row, and (for the level) the weight it keeps.
PICKS: dict[str, tuple[Source, Pick]] = {
    "installs.active": (BATCHES, _basic(lambda _row: "active")),
    "installs.new": (BATCHES, _basic(lambda row: "new" if row[1] else None)),
    "environment.level": (BATCHES, _text(0)),
    "environment.install_age": (BATCHES, _basic(_text(2))),
    "environment.napari_version": (SESSIONS, _text(0)),
    "environment.python_version": (SESSIONS, lambda row: row[1] and _minor(row[1])),
    "environment.os": (SESSIONS, _text(2)),
    "environment.os_release": (SESSIONS, lambda row: row[2] and f"{row[2]} {row[3]}"),
    "environment.arch": (SESSIONS, _text(4)),
    "plugins.plugin": (PLUGINS, _text(0)),
    "plugin_versions.version": (PLUGINS, lambda row: row[0] and f"{row[0]} {row[1]}"),
    "commands.command": (COMMANDS, lambda row: row[0] and f"{row[0]} {row[1]}"),
    "layers.layer_type": (LAYERS, _text(0)),
    "layers.data_type": (LAYERS, _text(1)),
    "layers.ndim": (LAYERS, _text(2)),
    "layers.dtype": (LAYERS, _text(3)),
    "layers.size_bucket": (LAYERS, _text(4)),
    "layers.multiscale": (LAYERS, lambda row: "multiscale" if row[5] else "single scale"),
}


def query(source: Source, weeks: Iterable[str]) -> Any:
    """The grouped SELECT of *source* over *weeks*: week, user_id, its columns, the weight."""
    t = metadata.tables[source.table]
    columns = [t.c[c] for c in source.columns]
    weight = func.count() if source.weight is None else func.sum(t.c[source.weight])
    return (
        select(t.c.week, t.c.user_id, *columns, weight)
        .where(t.c.week.in_(sorted(set(weeks))))
        .group_by(t.c.week, t.c.user_id, *columns)
    )


def read_tallies(
    conn: Connection, weeks: list[str], dims: Iterable[Dim] = DIMS
) -> tuple[dict[str, dict[str, Tally]], dict[str, int]]:
    """``{week: {dimension: Tally}}`` for *weeks*, and malformed rows skipped per table."""
    wanted = list(dims)
    tallies = {w: {d.name: Tally(d, highest=d.name == "environment.level") for d in wanted}
               for w in weeks}  # fmt: skip
    skipped: dict[str, int] = {}
    for source in dict.fromkeys(PICKS[d.name][0] for d in wanted):
        names = [d.name for d in wanted if PICKS[d.name][0] is source]
        picks = [PICKS[n][1] for n in names]
        level = names.index("environment.level") if "environment.level" in names else -1
        rows_of = {w: [tallies[w][n] for n in names] for w in weeks}
        for row in _rows(conn, query(source, weeks)):
            week, user_id, weight = row[0], row[1], int(row[-1] or 0)
            targets = rows_of.get(week)
            if targets is None or user_id is None:
                skipped[source.table] = skipped.get(source.table, 0) + 1
                continue
            columns = row[2:-1]
            for i, (tally, pick) in enumerate(zip(targets, picks, strict=True)):
                value = pick(columns)
                if value is not None:
                    tally.add(user_id, value, _RANK.get(columns[0], 1) if i == level else weight)
    return tallies, skipped


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
    tallies, skipped = read_tallies(conn, weeks, [dim])
    return {w: t[dim.name].bounded(per_id, clip) for w, t in tallies.items()}, sum(
        skipped.values()
    )


def weeks_with_data(conn: Connection) -> set[str]:
    """Every week some batch was stored for (valid or not: the caller checks)."""
    t = metadata.tables["batches"]
    return {w for (w,) in conn.execute(select(t.c.week).distinct())}


def ids_in(conn: Connection, week: str) -> int:
    """Distinct weekly ids of *week* (for ``aggregate --dry-run`` only; never published)."""
    t = metadata.tables["batches"]
    return int(conn.scalar(select(func.count(distinct(t.c.user_id))).where(t.c.week == week)) or 0)
