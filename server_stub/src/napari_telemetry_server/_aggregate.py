"""``aggregate``: raw batches in, thresholded weekly tables out (a separate SQLite file).

Idempotent per ISO week: every week found in the raw database is replaced as a whole; weeks the
raw database no longer holds (past retention) stay as they were. Nothing identifying is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy import exc as sa_exc

from . import _aggregate_db as db
from ._aggregate_read import SPECS, Reader, Spec
from ._aggregate_rules import DEFAULT_K, Cell, Denylist, count_folded, finish, plan_fold
from ._aggregate_weeks import rolling_means, week_start, week_start_unix
from ._storage import make_engine, metadata


@dataclass
class AggregateReport:
    """What one run did: weeks written, and what it had to skip and why."""

    published: list[str] = field(default_factory=list)
    below_threshold: list[str] = field(default_factory=list)
    skipped_rows: dict[str, int] = field(default_factory=dict)
    skipped_tables: dict[str, str] = field(default_factory=dict)
    cells: int = 0

    def lines(self) -> list[str]:
        """A human summary, one fact per line."""
        out = [
            f"weeks published: {len(self.published)}"
            + (f" ({self.published[0]} to {self.published[-1]})" if self.published else ""),
            f"weeks below the threshold (only that fact published): {len(self.below_threshold)}",
            f"published cells: {self.cells}",
        ]
        out += [f"skipped {n} malformed rows in {t}" for t, n in sorted(self.skipped_rows.items())]
        out += [f"skipped table {t}: {why}" for t, why in sorted(self.skipped_tables.items())]
        return out


def aggregate(
    raw: str | Path,
    out: Path,
    *,
    k: int = DEFAULT_K,
    deny: Denylist | None = None,
    weeks: list[str] | None = None,
) -> AggregateReport:
    """Aggregate the raw database *raw* (URL or path) into the aggregate file *out*."""
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k!r}")
    if "://" not in str(raw) and not Path(raw).exists():
        raise ValueError(f"raw database {str(raw)!r} does not exist")
    deny = deny or Denylist()
    report = AggregateReport()
    engine = make_engine(raw)
    try:
        with engine.connect() as conn:
            results, weekly = _compute(conn, k, deny, weeks, report)
    finally:
        engine.dispose()
    target = db.open_aggregates(out)
    try:
        _write(target, weekly, results, k, report)
    finally:
        target.dispose()
    return report


def _compute(
    conn: Connection, k: int, deny: Denylist, weeks: list[str] | None, report: AggregateReport
) -> tuple[list[tuple[Spec, list[Cell]]], dict[str, tuple[int, int]]]:
    reader = Reader(conn, dict(metadata.tables), weeks)
    try:
        weekly, skipped = reader.weekly_installs()
    except sa_exc.SQLAlchemyError as e:
        report.skipped_tables["batches"] = _why(e)
        return [], {}
    _note(report, "batches", skipped)
    published = {w for w, (active, _) in weekly.items() if active >= k}
    report.published = sorted(published, key=week_start)
    report.below_threshold = sorted(set(weekly) - published, key=week_start)
    results = []
    for spec in SPECS:
        try:
            results.append((spec, _cells(reader, spec, k, deny, published, report)))
        except sa_exc.SQLAlchemyError as e:
            conn.rollback()
            report.skipped_tables[spec.source] = _why(e)
    return results, weekly


def _cells(
    reader: Reader,
    spec: Spec,
    k: int,
    deny: Denylist,
    published: set[str],
    report: AggregateReport,
) -> list[Cell]:
    cells, skipped = reader.cells(spec)
    _note(report, spec.source, skipped)
    cells = [c for c in cells if c.week in published]
    parents = None
    if spec.b is not None:
        parents = {(c.week, c.a): c.users for c in reader.cells(spec, parent=True)[0]}
    plan = plan_fold(cells, k=k, deny=deny, parents=parents)
    if not plan.fold:
        return finish(plan, [], k=k)
    # The second value narrows the recount only when few of its values are rare.
    narrow_b = spec.b is not None and 2 * len({f[2] for f in plan.fold}) <= len(
        {c.b for c in cells}
    )
    folded = count_folded(reader.detail(spec, plan.fold, narrow_b=narrow_b), plan.fold)
    return finish(plan, folded, k=k)


def _note(report: AggregateReport, source: str, skipped: int) -> None:
    # Several breakdowns read the same table: a bad row is one bad row, not one per breakdown.
    if skipped:
        report.skipped_rows[source] = max(report.skipped_rows.get(source, 0), skipped)


def _why(e: sa_exc.SQLAlchemyError) -> str:
    orig = getattr(e, "orig", None)
    return str(orig or e).splitlines()[0][:200]


def _write(
    engine: Engine,
    weekly: dict[str, tuple[int, int]],
    results: list[tuple[Spec, list[Cell]]],
    k: int,
    report: AggregateReport,
) -> None:
    replaced = sorted(weekly)
    published = set(report.published)
    with engine.begin() as conn:
        for table in (db.weeks, *db.WEEKLY_TABLES):
            conn.execute(delete(table).where(table.c.week.in_(replaced)))
        week_rows = [_week_row(w, weekly[w], w in published, k) for w in replaced]
        if week_rows:
            conn.execute(insert(db.weeks), week_rows)
        for spec, cells in results:
            rows = [_cell_row(spec, c) for c in cells]
            report.cells += len(rows)
            if rows:
                conn.execute(insert(db.metadata.tables[spec.table]), rows)
        _write_rolling(conn)
        conn.execute(delete(db.meta))
        conn.execute(
            insert(db.meta),
            [
                {"key": "k", "value": str(k)},
                {"key": "updated_on", "value": date.today().isoformat()},
                {"key": "format", "value": "1"},
            ],
        )


def _week_row(week: str, counts: tuple[int, int], published: bool, k: int) -> dict[str, Any]:
    active, new = counts
    return {
        "week": week,
        "week_start": week_start(week).isoformat(),
        "week_start_unix": week_start_unix(week),
        "status": "published" if published else "below_threshold",
        "active_installs": active if published else None,
        "new_installs": new if published and new >= k else None,
    }


def _cell_row(spec: Spec, cell: Cell) -> dict[str, Any]:
    if spec.table == "environment":
        return {
            "week": cell.week,
            "dimension": spec.dimension,
            "value": cell.a,
            "installs": cell.users,
        }
    if spec.table == "layers":
        return {
            "week": cell.week,
            "dimension": spec.dimension,
            "value": cell.a,
            "users": cell.users,
            "layers": cell.total,
        }
    if spec.table == "plugins":
        return {"week": cell.week, "plugin": cell.a, "installs": cell.users}
    if spec.table == "plugin_versions":
        return {"week": cell.week, "plugin": cell.a, "version": cell.b, "installs": cell.users}
    return {
        "week": cell.week,
        "plugin": cell.a,
        "command_id": cell.b,
        "users": cell.users,
        "calls": cell.total,
    }


def _write_rolling(conn: Connection) -> None:
    """Recompute the 4/13/52-week means from every week the aggregate database holds."""
    known = [w for (w,) in conn.execute(select(db.weeks.c.week))]
    active = {
        w: n for w, n in conn.execute(select(db.weeks.c.week, db.weeks.c.active_installs)) if n
    }
    conn.execute(delete(db.rolling_installs))
    conn.execute(delete(db.rolling_plugins))
    rows = [
        {"week": w, "window": n, "mean_installs": m, "weeks_covered": c}
        for w, n, m, c in rolling_means(active, known)
    ]
    if rows:
        conn.execute(insert(db.rolling_installs), rows)
    series: dict[str, dict[str, int]] = {}
    for week, plugin, installs in conn.execute(
        select(db.plugins.c.week, db.plugins.c.plugin, db.plugins.c.installs)
    ):
        if plugin != "other":
            series.setdefault(plugin, {})[week] = installs
    prows = [
        {"week": w, "plugin": p, "window": n, "mean_installs": m, "weeks_covered": c}
        for p, s in series.items()
        for w, n, m, c in rolling_means(s, known)
        if m > 0
    ]
    if prows:
        conn.execute(insert(db.rolling_plugins), prows)
