"""From aggregate tables to what the page shows: key figures, chart datasets, plugin index.

Pure functions over the rows of the aggregate database (already cleared of denied values).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

Rows = list[dict[str, Any]]
Tables = dict[str, Rows]
_AGE_ORDER = ("week", "month", "half_year", "older", "other")
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def size_label(bucket: str) -> str:
    """``"20"`` → ``"≤ 1 MiB"``; the bucket is the exponent of the power of two above the size."""
    try:
        exp = int(bucket)
    except ValueError:
        return bucket
    if exp < 0:
        return "unknown"
    unit = min(exp // 10, len(_UNITS) - 1)
    return f"≤ {2 ** (exp - 10 * unit)} {_UNITS[unit]}"


def latest_week(tables: Tables) -> str | None:
    """The newest week published above the threshold."""
    weeks = [r["week"] for r in tables["weeks"] if r["status"] == "published"]
    return max(weeks) if weeks else None


def key_figures(tables: Tables) -> dict[str, Any]:
    """Latest week, its active and new installs, and the rolling means ending there."""
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
        "new_installs": row.get("new_installs"),
        **means,
    }


def _by_dimension(rows: Rows, dimension: str, week: str | None, field: str) -> Rows:
    picked = [r for r in rows if r["dimension"] == dimension and r["week"] == week]
    return [{"label": r["value"], field: r[field]} for r in picked]


def _numeric(rows: Rows) -> Rows:
    """Rows whose labels are integers, in numeric order (ndim, size buckets)."""
    return sorted(rows, key=lambda r: int(r["label"]) if r["label"].lstrip("-").isdigit() else 999)


def _point(row: dict[str, Any], start: dict[str, str], series: str, value: Any) -> dict[str, Any]:
    """One point of a weekly chart: week, its Monday, the series it belongs to, the value."""
    return {"week": row["week"], "week_start": start[row["week"]], "series": series,
            "value": value}  # fmt: skip


def datasets(tables: Tables) -> dict[str, Rows]:
    """Rows of every named dataset of the page's charts (the plugin ones come per plugin)."""
    week = latest_week(tables)
    start = {r["week"]: r["week_start"] for r in tables["weeks"]}
    wai = [_point(r, start, "weekly active installs", r["active_installs"])
           for r in tables["weeks"] if r["status"] == "published"]  # fmt: skip
    wai += [_point(r, start, f"mean of {r['window']} weeks", r["mean_installs"])
            for r in tables["rolling_installs"]]  # fmt: skip
    env, layers = tables["environment"], tables["layers"]
    versions = [{**_point(r, start, "", r["value"]), "installs": r["installs"]}
                for r in env if r["dimension"] == "napari_version"]  # fmt: skip
    top = [{"label": p["plugin"], "installs": p["mean_13"]} for p in plugin_index(tables)[:20]]
    out: dict[str, Rows] = {"wai": wai, "napari_version": versions, "top_plugins": top}
    for dim in ("python_version", "os_release", "arch"):
        out[dim] = _by_dimension(env, dim, week, "installs")
    ages = _by_dimension(env, "install_age", week, "installs")
    out["install_age"] = sorted(ages, key=lambda r: _AGE_ORDER.index(r["label"])
                                if r["label"] in _AGE_ORDER else 99)  # fmt: skip
    for dim in ("layer_type", "data_type"):
        out[dim] = _by_dimension(layers, dim, week, "users")
    out["ndim"] = _numeric(_by_dimension(layers, "ndim", week, "users"))
    sizes = _numeric(_by_dimension(layers, "size_bucket", week, "users"))
    out["size_bucket"] = [{**r, "label": size_label(r["label"])} for r in sizes]
    return out


def plugin_index(tables: Tables) -> Rows:
    """Every published plugin with its latest weekly installs and 13-week mean, most used first."""
    week = latest_week(tables)
    latest = {r["plugin"]: r["installs"] for r in tables["plugins"] if r["week"] == week}
    mean13 = {r["plugin"]: r["mean_installs"] for r in tables["rolling_plugins"]
              if r["week"] == week and r["window"] == 13}  # fmt: skip
    names = {r["plugin"] for r in tables["plugins"]} - {"other"}
    index = [{"plugin": p, "latest": latest.get(p), "mean_13": mean13.get(p, 0.0)} for p in names]
    return sorted(index, key=lambda r: (-r["mean_13"], r["plugin"]))


def plugin_details(tables: Tables) -> dict[str, dict[str, Rows]]:
    """Per plugin (and ``napari`` for its own commands): trend, versions and command rows."""
    start = {r["week"]: r["week_start"] for r in tables["weeks"]}
    week = latest_week(tables)
    out: dict[str, dict[str, Rows]] = defaultdict(
        lambda: {"trend": [], "versions": [], "commands": []}
    )
    for r in tables["plugins"]:
        out[r["plugin"]]["trend"].append(_point(r, start, "weekly installs", r["installs"]))
    for r in tables["rolling_plugins"]:
        if r["window"] == 4:
            out[r["plugin"]]["trend"].append(
                _point(r, start, "mean of 4 weeks", r["mean_installs"])
            )
    for r in tables["plugin_versions"]:
        point = _point(r, start, "", r["version"])
        out[r["plugin"]]["versions"].append({**point, "installs": r["installs"]})
    for r in tables["commands"]:
        if r["week"] == week:
            row = {"label": r["command_id"], "users": r["users"], "calls": r["calls"]}
            out[r["plugin"]]["commands"].append(row)
    out.pop("other", None)
    return dict(out)
