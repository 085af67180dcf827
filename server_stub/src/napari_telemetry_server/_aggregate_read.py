"""Grouped reads from the raw database: the only place aggregation touches raw rows.

Distinct weekly ids are counted by the database (``COUNT(DISTINCT user_id)`` per cell); ids are
only fetched for the cells folded into "other", so that those can be recounted exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    String,
    Table,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from ._aggregate_rules import Cell, Key, valid_week

Expr = Callable[[Table, str], ColumnElement[str]]
_CHUNK = 5000  # bound parameters per query (SQLite allows 32766)


def _col(name: str) -> Expr:
    def expr(t: Table, _dialect: str) -> ColumnElement[str]:
        column = t.c[name]
        return column if isinstance(column.type, String) else cast(column, String)

    return expr


def _python_minor(t: Table, _dialect: str) -> ColumnElement[str]:
    # "3.12.4" -> "3.12", "3.9.1" -> "3.9": the first four characters without a trailing dot
    # (one-digit major, at most two-digit minor); cheap and the same in SQLite and PostgreSQL.
    return func.rtrim(func.substr(t.c.python_version, 1, 4), ".")


def _os_release(t: Table, _dialect: str) -> ColumnElement[str]:
    return t.c.os_name + " " + t.c.os_version


def _multiscale(t: Table, _dialect: str) -> ColumnElement[str]:
    return case((t.c.multiscale, literal("multiscale")), else_=literal("single scale"))


@dataclass(frozen=True)
class Spec:
    """One published breakdown: destination table (and dimension) and how to group the source."""

    table: str
    dimension: str | None
    source: str
    a: Expr
    b: Expr | None = None
    total: str | None = None
    basic_only: bool = False


SPECS = (
    Spec("environment", "napari_version", "session_records", _col("napari_version")),
    Spec("environment", "python_version", "session_records", _python_minor),
    Spec("environment", "os", "session_records", _col("os_name")),
    Spec("environment", "os_release", "session_records", _os_release),
    Spec("environment", "arch", "session_records", _col("arch")),
    Spec("environment", "install_age", "batches", _col("install_age"), basic_only=True),
    Spec("plugins", None, "plugin_records", _col("name")),
    Spec("plugin_versions", None, "plugin_records", _col("name"), _col("version")),
    Spec("commands", None, "command_records", _col("plugin"), _col("command_id"), "count"),
    Spec("layers", "layer_type", "layer_records", _col("layer_type"), total="count"),
    Spec("layers", "data_type", "layer_records", _col("data_type"), total="count"),
    Spec("layers", "ndim", "layer_records", _col("ndim"), total="count"),
    Spec("layers", "dtype", "layer_records", _col("dtype"), total="count"),
    Spec("layers", "size_bucket", "layer_records", _col("size_bucket"), total="count"),
    Spec("layers", "multiscale", "layer_records", _multiscale, total="count"),
)


class Reader:
    """Grouped queries on one raw-database connection, restricted to some weeks (or all)."""

    def __init__(
        self, conn: Connection, tables: dict[str, Table], weeks: list[str] | None
    ) -> None:
        self.conn, self.tables, self.weeks = conn, tables, weeks
        self.dialect = conn.dialect.name
        self._memo: dict[str, tuple[list[Cell], int]] = {}

    def _exprs(
        self, spec: Spec, b: bool = True
    ) -> tuple[Table, ColumnElement[str], ColumnElement[str]]:
        t = self.tables[spec.source]
        a_expr = spec.a(t, self.dialect)
        b_expr = spec.b(t, self.dialect) if (spec.b and b) else literal("")
        return t, a_expr, b_expr

    def _where(self, t: Table, spec: Spec) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.weeks is not None:
            clauses.append(t.c.week.in_(self.weeks))
        return [*clauses, t.c.level == "basic"] if spec.basic_only else clauses

    def cells(self, spec: Spec, *, parent: bool = False) -> tuple[list[Cell], int]:
        """Grouped cells of *spec* (or of its first dimension only), and the rows skipped."""
        t, a, b = self._exprs(spec, b=not parent)
        total = func.sum(t.c[spec.total]) if spec.total else func.count()
        query = (
            select(t.c.week, a, b, func.count(distinct(t.c.user_id)), total, func.count())
            .where(*self._where(t, spec))
            .group_by(t.c.week, a, b)
        )
        memo_key = str(query)
        if memo_key in self._memo:
            return self._memo[memo_key]
        cells, skipped = [], 0
        for week, va, vb, users, tot, rows in self.conn.execute(query):
            if not valid_week(week) or va is None or vb is None:
                skipped += rows
                continue
            cells.append(Cell(week, va, vb, users, int(tot or 0)))
        self._memo[memo_key] = (cells, skipped)
        return cells, skipped

    def first_key(self, spec: Spec) -> tuple[str, str]:
        """Source table and first grouping expression: specs sharing it share a recount."""
        return spec.source, str(self._exprs(spec)[1])

    def detail(
        self, spec: Spec, fold: Iterable[Key], *, narrow_b: bool = False
    ) -> Iterator[tuple[str, str, str, str, int]]:
        """(week, a, b, user_id, total) rows of (at least) the cells to fold, in chunks.

        Rows are selected by their first value, and also by the second when *narrow_b* says
        that is selective (plain IN lists: a row-value IN list is much slower in SQLite); the
        caller keeps only the exact cells.
        """
        t, a, b = self._exprs(spec)
        total = func.sum(t.c[spec.total]) if spec.total else func.count()
        a_values = sorted({key[1] for key in fold})
        b_values = sorted({key[2] for key in fold}) if narrow_b else []
        b_filter = [b.in_(b_values)] if 0 < len(b_values) <= _CHUNK else []
        for i in range(0, len(a_values), _CHUNK):
            query = (
                select(t.c.week, a, b, t.c.user_id, total)
                .where(*self._where(t, spec), a.in_(a_values[i : i + _CHUNK]), *b_filter)
                .group_by(t.c.week, a, b, t.c.user_id)
            )
            for week, va, vb, uid, tot in self.conn.execute(query):
                yield week, va, vb, uid, int(tot or 0)

    def weekly_installs(self) -> tuple[dict[str, tuple[int, int]], int]:
        """{week: (active installs, new installs)} at the basic level, and rows skipped."""
        t = self.tables["batches"]
        new = func.count(distinct(case((t.c.first_report, t.c.user_id))))
        query = (
            select(t.c.week, func.count(distinct(t.c.user_id)), new, func.count())
            .where(*self._where(t, Spec("weeks", None, "batches", _col("week"), basic_only=True)))
            .group_by(t.c.week)
        )
        out, skipped = {}, 0
        for week, active, new_installs, rows in self.conn.execute(query):
            if valid_week(week):
                out[week] = (int(active), int(new_installs))
            else:
                skipped += rows
        return out, skipped
