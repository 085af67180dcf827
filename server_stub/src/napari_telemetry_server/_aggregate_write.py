"""Writing one aggregation run into the aggregate database, in one transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from . import _aggregate_db as db
from ._aggregate_read import Spec
from ._aggregate_rules import OTHER, Cell
from ._aggregate_weeks import rolling_means, week_start, week_start_unix


def write(
    engine: Engine,
    weekly: dict[str, tuple[int, int]],
    results: list[tuple[Spec, list[Cell]]],
    k: int,
    published: set[str],
) -> int:
    """Replace the weeks of *weekly* with *results*, recompute rolling means; return cells."""
    replaced = sorted(weekly)
    written = 0
    with engine.begin() as conn:
        for table in (db.weeks, *db.WEEKLY_TABLES):
            conn.execute(delete(table).where(table.c.week.in_(replaced)))
        week_rows = [_week_row(w, weekly[w], w in published, k) for w in replaced]
        if week_rows:
            conn.execute(insert(db.weeks), week_rows)
        for spec, cells in results:
            rows = [_cell_row(spec, c) for c in cells]
            written += len(rows)
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
    return written


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
        if plugin != OTHER:
            series.setdefault(plugin, {})[week] = installs
    prows = [
        {"week": w, "plugin": p, "window": n, "mean_installs": m, "weeks_covered": c}
        for p, s in series.items()
        for w, n, m, c in rolling_means(s, known)
        if m > 0
    ]
    if prows:
        conn.execute(insert(db.rolling_plugins), prows)
