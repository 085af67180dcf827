"""Writing releases into the aggregate database: each release once, then never touched.

Released rows are inserted, never replaced; the rolling means are post-processing of released
rows and are recomputed from them on every run (deterministically, so a week's means do not
change when later weeks are added).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from napari_telemetry.schema import week_start

from . import _aggregate_db as db
from ._aggregate_weeks import rolling_means, week_start_unix
from ._release_dims import DIMS, OTHER
from ._release_plan import CALLS

Released = dict[str, dict[str, int]]


def write_release(
    conn: Connection,
    period: str,
    kind: str,
    weeks: list[str],
    document: dict[str, Any],
    today: date,
) -> None:
    """The release's row: what it covered and its privacy accounting."""
    conn.execute(
        insert(db.releases).values(
            period=period,
            kind=kind,
            first_week=weeks[0],
            last_week=weeks[-1],
            released_on=today.isoformat(),
            document=json.dumps(document, sort_keys=True),
        )
    )


def write_week(conn: Connection, week: str, out: Released) -> int:
    """A week's released counts into the public tables; returns the rows written."""
    conn.execute(
        insert(db.weeks).values(
            week=week,
            week_start=week_start(week).isoformat(),
            week_start_unix=week_start_unix(week),
            active_installs=out["installs.active"].get("active", 0),
            new_installs=out["installs.new"].get("new", 0),
        )
    )
    rows: dict[str, list[dict[str, Any]]] = {}
    for dim in DIMS:
        if dim.table == "installs":
            continue
        rows.setdefault(dim.table, []).extend(_rows(week, dim.table, dim.dimension, out, dim.name))
    written = 0
    for table, values in rows.items():
        if values:
            conn.execute(insert(db.metadata.tables[table]), values)
            written += len(values)
    return written


def _rows(week: str, table: str, dimension: str, out: Released, name: str) -> list[dict[str, Any]]:
    counts = out[name]
    if table == "environment":
        return [
            {"week": week, "dimension": dimension, "value": v, "installs": n}
            for v, n in counts.items()
        ]
    if table == "layers":
        return [
            {"week": week, "dimension": dimension, "value": v, "users": n}
            for v, n in counts.items()
        ]
    if table == "plugins":
        return [{"week": week, "plugin": v, "installs": n} for v, n in counts.items()]
    if table == "plugin_versions":
        return [
            {
                "week": week,
                "plugin": v.split(" ", 1)[0],
                "version": v.split(" ", 1)[1],
                "installs": n,
            }
            for v, n in counts.items()
        ]
    calls = out.get(name + CALLS, {})
    return [
        {
            "week": week,
            "plugin": v.split(" ", 1)[0],
            "command_id": v.split(" ", 1)[1],
            "users": n,
            "calls": calls.get(v, 0),
        }
        for v, n in counts.items()
    ]


def write_window(conn: Connection, period: str, weeks: int, counts: dict[str, int]) -> int:
    """A long window's released plugin install-weeks."""
    rows = [
        {
            "period": period,
            "plugin": p,
            "install_weeks": n,
            "weeks": weeks,
            "mean_installs": round(n / weeks, 2),
        }
        for p, n in counts.items()
    ]
    if rows:
        conn.execute(insert(db.plugin_windows), rows)
    return len(rows)


def write_meta(conn: Connection, today: date) -> None:
    conn.execute(delete(db.meta))
    conn.execute(
        insert(db.meta),
        [
            {"key": "format", "value": db.FORMAT},
            {"key": "updated_on", "value": today.isoformat()},
        ],
    )


def write_rolling(conn: Connection) -> None:
    """Recompute the 4/13/52-week means from the released weeks (post-processing)."""
    known = [w for (w,) in conn.execute(select(db.weeks.c.week))]
    active = dict(conn.execute(select(db.weeks.c.week, db.weeks.c.active_installs)).tuples().all())
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
