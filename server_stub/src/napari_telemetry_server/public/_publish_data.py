"""From released tables to what the page shows: key figures, datasets, plugin index, accuracy.

Pure functions over the rows of the aggregate database (already cleared of denied values). All
of it is post-processing of released numbers: it spends no privacy budget.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from napari_telemetry_server.storage import Period

from .ledger import Year, year

Rows = list[dict[str, Any]]
Tables = dict[str, Rows]
_AGE_ORDER = ("week", "month", "half_year", "older", "other")
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def size_label(bucket: str) -> str:
    """``"20"`` → ``"≤ 1 MiB"``; the bucket is the exponent of the power of two above the size."""
    if bucket == "other":
        return "larger"
    try:
        exp = int(bucket)
    except ValueError:
        return bucket
    if exp < 0:
        return "unknown"
    unit = min(exp // 10, len(_UNITS) - 1)
    return f"≤ {2 ** (exp - 10 * unit)} {_UNITS[unit]}"


def documents(tables: Tables) -> dict[str, dict[str, Any]]:
    """Each release's privacy document by period."""
    return {r["period"]: json.loads(r["document"]) for r in tables["releases"]}


def year_of(tables: Tables) -> Year | None:
    """What an installation present in every week of the last 52 has spent (``ledger.year``)."""
    periods = [
        Period(r["period"], r["kind"], r["first_week"], r["last_week"], r["released_on"],
               json.loads(r["document"]), {})
        for r in tables["releases"]
    ]  # fmt: skip
    return year(periods)


def latest_week(tables: Tables) -> str | None:
    """The newest released week."""
    weeks = [r["week"] for r in tables["weeks"]]
    return max(weeks) if weeks else None


def latest_window(tables: Tables) -> str | None:
    """The newest released long window (quarter)."""
    periods = [r["period"] for r in tables["releases"] if r["kind"] == "window"]
    return max(periods) if periods else None


def accuracy(tables: Tables, period: str | None, query: str) -> float | None:
    """95 % half-width of one released count of *query* in *period*'s release."""
    doc = documents(tables).get(period or "")
    entry = (doc or {}).get("tables", {}).get(query)
    return None if entry is None else float(entry["accuracy95"])


def key_figures(tables: Tables) -> dict[str, Any]:
    """Latest week, its active and new installs with their intervals, the rolling means."""
    week = latest_week(tables)
    row = next((r for r in tables["weeks"] if r["week"] == week), {})
    means = {
        f"mean_{r['window']}": r["mean_installs"]
        for r in tables["rolling_installs"]
        if r["week"] == week
    }
    return {
        "week": week,
        "active_installs": row.get("active_installs"),
        "active_accuracy": accuracy(tables, week, "installs.active"),
        "new_installs": row.get("new_installs"),
        "new_accuracy": accuracy(tables, week, "installs.new"),
        **means,
    }


def _by_dimension(rows: Rows, dimension: str, week: str | None, field: str) -> Rows:
    picked = [r for r in rows if r["dimension"] == dimension and r["week"] == week]
    return [{"label": r["value"], field: r[field]} for r in picked]


def _numeric(rows: Rows) -> Rows:
    """Rows whose labels are integers, in numeric order (ndim, size buckets); others last."""
    return sorted(rows, key=lambda r: int(r["label"]) if r["label"].lstrip("-").isdigit() else 999)


def _point(row: dict[str, Any], series: str, value: Any) -> dict[str, Any]:
    """One point of a weekly chart: the ISO week (the axis label), its series, the value."""
    return {"week": row["week"], "series": series, "value": value}


def datasets(tables: Tables) -> dict[str, Rows]:
    """Rows of every named dataset of the page's charts (the plugin ones come per plugin)."""
    week = latest_week(tables)
    wai = [_point(r, "weekly active installs", r["active_installs"]) for r in tables["weeks"]]
    wai += [
        _point(r, f"mean of {r['window']} weeks", r["mean_installs"])
        for r in tables["rolling_installs"]
    ]
    env, layers = tables["environment"], tables["layers"]
    versions = [
        {"week": r["week"], "value": r["value"], "installs": r["installs"]}
        for r in env
        if r["dimension"] == "napari_version"
    ]
    top = [{"label": p["plugin"], "installs": p["mean"]} for p in plugin_index(tables)[:20]]
    out: dict[str, Rows] = {"wai": wai, "napari_version": versions, "top_plugins": top}
    for dim in ("python_version", "os_release", "arch"):
        out[dim] = _by_dimension(env, dim, week, "installs")
    ages = _by_dimension(env, "install_age", week, "installs")
    out["install_age"] = sorted(
        ages, key=lambda r: _AGE_ORDER.index(r["label"]) if r["label"] in _AGE_ORDER else 99
    )
    for dim in ("layer_type", "data_type"):
        out[dim] = _by_dimension(layers, dim, week, "users")
    out["ndim"] = _numeric(_by_dimension(layers, "ndim", week, "users"))
    sizes = _numeric(_by_dimension(layers, "size_bucket", week, "users"))
    out["size_bucket"] = [{**r, "label": size_label(r["label"])} for r in sizes]
    return out


def plugin_index(tables: Tables) -> Rows:
    """Every released plugin: latest week and long-window mean with intervals, most used first.

    The mean comes from the latest window release (install-weeks over a quarter divided by its
    weeks); before the first window, from the 13-week rolling mean of the weekly releases.
    """
    week, window = latest_week(tables), latest_window(tables)
    latest = {r["plugin"]: r["installs"] for r in tables["plugins"] if r["week"] == week}
    if window is not None:
        rows = [r for r in tables["plugin_windows"] if r["period"] == window]
        weeks = max((r["weeks"] for r in rows), default=1)
        acc = accuracy(tables, window, "plugin_windows.plugin")
        mean = {r["plugin"]: r["mean_installs"] for r in rows}
        mean_acc = None if acc is None else round(acc / weeks, 1)
    else:
        mean = {
            r["plugin"]: r["mean_installs"]
            for r in tables["rolling_plugins"]
            if r["week"] == week and r["window"] == 13
        }
        mean_acc = None
    week_acc = accuracy(tables, week, "plugins.plugin")
    names = (set(latest) | set(mean)) - {"other"}
    index = [
        {
            "plugin": p,
            "latest": latest.get(p),
            "latest_accuracy": week_acc,
            "mean": mean.get(p, 0.0),
            "mean_accuracy": mean_acc,
            "window": window,
        }
        for p in names
    ]
    return sorted(index, key=lambda r: (-r["mean"], -(r["latest"] or 0), r["plugin"]))


def plugin_details(tables: Tables) -> dict[str, dict[str, Rows]]:
    """Per plugin (and ``napari`` for its own commands): trend, versions and command rows."""
    week = latest_week(tables)
    out: dict[str, dict[str, Rows]] = defaultdict(
        lambda: {"trend": [], "versions": [], "commands": []}
    )
    for r in tables["plugins"]:
        out[r["plugin"]]["trend"].append(_point(r, "weekly installs", r["installs"]))
    for r in tables["rolling_plugins"]:
        if r["window"] == 4:
            out[r["plugin"]]["trend"].append(_point(r, "mean of 4 weeks", r["mean_installs"]))
    for r in tables["plugin_versions"]:
        row = {"week": r["week"], "value": r["version"], "installs": r["installs"]}
        out[r["plugin"]]["versions"].append(row)
    for r in tables["commands"]:
        if r["week"] == week:
            row = {"label": r["command_id"], "users": r["users"], "calls": r["calls"]}
            out[r["plugin"]]["commands"].append(row)
    out.pop("other", None)
    return dict(out)


def methodology(tables: Tables) -> Rows:
    """One row per released table of the latest week and window: kind, ρ, 95 % accuracy."""
    rows: Rows = []
    for period in (latest_week(tables), latest_window(tables)):
        doc = documents(tables).get(period or "")
        for name, entry in sorted((doc or {}).get("tables", {}).items()):
            rows.append({"period": period, "table": name, **entry})
    return rows
