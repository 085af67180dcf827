"""Reads from the raw database for a release: one grouped query per released dimension.

Each query returns ``(week, user_id, value, weight)`` rows, one per weekly id and value (the
days of a week merged), for the weeks being released; ``_release_dims.bound`` then enforces the
contribution bounds. This is the only place a release touches raw rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, String, Table, case, cast, distinct, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from ._release_dims import Bounded, Dim, bound
from ._storage import metadata

Expr = Callable[[Table], ColumnElement[str]]
Weight = Callable[[Table], ColumnElement[int]]


def _col(name: str) -> Expr:
    def expr(t: Table) -> ColumnElement[str]:
        column = t.c[name]
        return column if isinstance(column.type, String) else cast(column, String)

    return expr


def _const(value: str) -> Expr:
    return lambda _t: literal(value)


def _python_minor(t: Table) -> ColumnElement[str]:
    # "3.12.4" -> "3.12", "3.9.1" -> "3.9": the same in SQLite and PostgreSQL.
    return func.rtrim(func.substr(t.c.python_version, 1, 4), ".")


def _joined(first: str, second: str) -> Expr:
    return lambda t: _col(first)(t) + " " + _col(second)(t)


def _multiscale(t: Table) -> ColumnElement[str]:
    return case((t.c.multiscale, literal("multiscale")), else_=literal("single scale"))


def _sum(name: str) -> Weight:
    return lambda t: func.sum(t.c[name])


def _rows(_t: Table) -> ColumnElement[int]:
    return func.count()


def _level_rank(t: Table) -> ColumnElement[int]:
    return func.max(case((t.c.level == "full", 3), (t.c.level == "middle", 2), else_=1))


@dataclass(frozen=True)
class Source:
    """Where one dimension's values come from in the raw database."""

    table: str
    value: Expr
    weight: Weight = _rows
    basic_only: bool = False
    new_only: bool = False


SOURCES: dict[str, Source] = {
    "installs.active": Source("batches", _const("active"), basic_only=True),
    "installs.new": Source("batches", _const("new"), basic_only=True, new_only=True),
    "environment.level": Source("batches", _col("level"), _level_rank),
    "environment.os": Source("session_records", _col("os_name"), _sum("launches")),
    "environment.arch": Source("session_records", _col("arch"), _sum("launches")),
    "environment.install_age": Source("batches", _col("install_age"), basic_only=True),
    "environment.python_version": Source("session_records", _python_minor, _sum("launches")),
    "environment.napari_version": Source(
        "session_records", _col("napari_version"), _sum("launches")
    ),
    "environment.os_release": Source(
        "session_records", _joined("os_name", "os_version"), _sum("launches")
    ),
    "plugins.plugin": Source("plugin_records", _col("name")),
    "plugin_versions.version": Source("plugin_records", _joined("name", "version")),
    "commands.command": Source("command_records", _joined("plugin", "command_id"), _sum("count")),
    **{
        f"layers.{name}": Source("layer_records", expr, _sum("count"))
        for name, expr in (
            ("layer_type", _col("layer_type")),
            ("data_type", _col("data_type")),
            ("ndim", _col("ndim")),
            ("dtype", _col("dtype")),
            ("size_bucket", _col("size_bucket")),
            ("multiscale", _multiscale),
        )
    },
}


def query(dim: Dim, weeks: Iterable[str]) -> object:
    """The grouped SELECT of *dim* over *weeks*: (week, user_id, value, weight)."""
    source = SOURCES[dim.name]
    t = metadata.tables[source.table]
    value = source.value(t)
    where: list[ColumnElement[bool]] = [t.c.week.in_(sorted(set(weeks)))]
    if source.basic_only:
        where.append(t.c.level == "basic")
    if source.new_only:
        where.append(t.c.first_report.is_(True))
    return (
        select(t.c.week, t.c.user_id, value, source.weight(t))
        .where(*where)
        .group_by(t.c.week, t.c.user_id, value)
    )


def read_bounded(
    conn: Connection, dim: Dim, weeks: list[str], per_id: int, clip: int | None
) -> tuple[dict[str, Bounded], int]:
    """Bounded exact counts of *dim* for each of *weeks*, and the malformed rows skipped."""
    per_week: dict[str, list[tuple[str, str, int]]] = {w: [] for w in weeks}
    skipped = 0
    for week, user_id, value, weight in conn.execute(query(dim, weeks)):  # type: ignore[call-overload]
        if value is None or week not in per_week:
            skipped += 1
            continue
        per_week[week].append((user_id, value, weight))
    return {w: bound(rows, dim, per_id, clip) for w, rows in per_week.items()}, skipped


def weeks_with_data(conn: Connection) -> set[str]:
    """Every week some batch was stored for (valid or not: the caller checks)."""
    t = metadata.tables["batches"]
    return {w for (w,) in conn.execute(select(t.c.week).distinct())}


def ids_in(conn: Connection, week: str) -> int:
    """Distinct weekly ids of *week* (for ``aggregate --dry-run`` only; never published)."""
    t = metadata.tables["batches"]
    return int(conn.scalar(select(func.count(distinct(t.c.user_id))).where(t.c.week == week)) or 0)
