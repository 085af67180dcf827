"""A release's numbers as the rows of the aggregate tables they fill (pure functions).

These rows are what the ledger keeps for a period (``numbers``, keyed by table) and what the
aggregate file is rebuilt from; nothing here touches a database.
"""

from __future__ import annotations

import json
from typing import Any

from napari_telemetry.schema import week_start

from . import counters
from ._aggregate_weeks import week_start_unix
from ._release_dims import DIMS, WINDOW_DIM
from ._release_plan import CALLS

Released = dict[str, dict[str, int]]
Rows = list[dict[str, Any]]
Numbers = dict[str, Rows]


def normal(numbers: Numbers) -> Numbers:
    """*numbers* in one canonical form: tables with rows only, rows in a fixed order."""
    return {
        table: sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
        for table, rows in sorted(numbers.items())
        if rows
    }


def week_rows(week: str, out: Released) -> Numbers:
    """A week's released counts as rows of the weekly tables."""
    numbers: Numbers = {
        "weeks": [
            {
                "week": week,
                "week_start": week_start(week).isoformat(),
                "week_start_unix": week_start_unix(week),
                "active_installs": out["installs.active"].get("active", 0),
                "new_installs": out["installs.new"].get("new", 0),
            }
        ]
    }
    for dim in DIMS:
        if dim.table != "installs":
            rows = _rows(week, dim.table, dim.dimension, out, dim.name)
            numbers.setdefault(dim.table, []).extend(rows)
    numbers["counters"] = counters.week_rows(week, out.get(counters.CELLS, {}))
    return normal(numbers)


def _rows(week: str, table: str, dimension: str, out: Released, name: str) -> Rows:
    counts = out[name]
    if table in ("environment", "layers"):
        column = "installs" if table == "environment" else "users"
        return [
            {"week": week, "dimension": dimension, "value": v, column: n}
            for v, n in counts.items()
        ]
    if table == "plugins":
        return [{"week": week, "plugin": v, "installs": n} for v, n in counts.items()]
    if table == "plugin_versions":
        return [
            {"week": week, "plugin": v.split(" ", 1)[0], "version": v.split(" ", 1)[1],
             "installs": n}
            for v, n in counts.items()
        ]  # fmt: skip
    calls = out.get(name + CALLS, {})
    return [
        {"week": week, "plugin": v.split(" ", 1)[0], "command_id": v.split(" ", 1)[1],
         "users": n, "calls": calls.get(v, 0)}
        for v, n in counts.items()
    ]  # fmt: skip


def window_rows(period: str, weeks: int, out: Released) -> Numbers:
    """A quarter's released install-weeks as rows of ``plugin_windows`` and
    ``counter_windows``."""
    rows = [
        {"period": period, "plugin": p, "install_weeks": n, "weeks": weeks,
         "mean_installs": round(n / weeks, 2)}
        for p, n in out[WINDOW_DIM.name].items()
    ]  # fmt: skip
    cells = counters.window_rows(period, weeks, out.get(counters.WINDOW_CELLS, {}))
    return normal({"plugin_windows": rows, "counter_windows": cells})
