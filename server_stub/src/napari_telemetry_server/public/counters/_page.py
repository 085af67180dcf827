"""What a plugin's page shows of its counters: each label's weekly installs and the latest
quarter's mean, with the 95 % interval of the noise (post-processing of released numbers).

Each number keeps the accuracy its own release published (a quarter's settings may differ from
another's). A count shows as 0 when its noise took it below zero; its interval says how far
above 0 it may have been.
"""

from __future__ import annotations

import json
from typing import Any

from ._cells import CELLS, WINDOW_CELLS

Rows = list[dict[str, Any]]
Tables = dict[str, Rows]


Found = dict[tuple[str, str], dict[str, Any]]  # (plugin, counter) -> what its page shows


def counter_pages(tables: Tables) -> dict[str, Rows]:
    """Per plugin, its counters: ``{"counter", "labels": [...], "trend": [...]}`` each."""
    accuracy = _accuracies(tables)
    found: Found = {}
    _weekly(found, tables, accuracy)
    _quarterly(found, tables, accuracy)
    pages: dict[str, Rows] = {}
    for (plugin, _), entry in sorted(found.items()):
        entry["labels"] = [entry["labels"][k] for k in sorted(entry["labels"])]
        pages.setdefault(plugin, []).append(entry)
    return pages


def _weekly(found: Found, tables: Tables, accuracy: dict[tuple[str, str], float]) -> None:
    """Each counter's weekly series per label, and the latest week's count per label."""
    latest = max((r["week"] for r in tables["weeks"]), default=None)
    for r in tables["counters"]:
        entry, week = _entry(found, r), r["week"]
        low, high = _interval(r["installs"], accuracy.get((week, CELLS)))
        entry["trend"].append({"week": week, "series": r["label"] or r["counter"],
                               "value": r["installs"], "low": low, "high": high})  # fmt: skip
        if week == latest:
            shown = {"latest": r["installs"], "latest_accuracy": accuracy.get((week, CELLS))}
            _label(entry, r["label"]).update(shown)


def _quarterly(found: Found, tables: Tables, accuracy: dict[tuple[str, str], float]) -> None:
    """The latest quarter's mean per label."""
    windows = [r["period"] for r in tables["releases"] if r["kind"] == "window"]
    latest = max(windows, default=None)
    for r in tables["counter_windows"]:
        if r["period"] == latest:
            quarter = _quarter(r, accuracy.get((latest, WINDOW_CELLS)))
            _label(_entry(found, r), r["label"]).update(quarter)


def _accuracies(tables: Tables) -> dict[tuple[str, str], float]:
    out = {}
    for release in tables["releases"]:
        for query, entry in json.loads(release["document"]).get("tables", {}).items():
            if query in (CELLS, WINDOW_CELLS):
                out[(release["period"], query)] = float(entry["accuracy95"])
    return out


def _entry(found: Found, row: dict[str, Any]) -> dict[str, Any]:
    return found.setdefault(
        (row["plugin"], row["counter"]), {"counter": row["counter"], "labels": {}, "trend": []}
    )


def _label(entry: dict[str, Any], label: str) -> dict[str, Any]:
    labels: dict[str, dict[str, Any]] = entry["labels"]
    return labels.setdefault(
        label, {"label": label, "latest": None, "latest_accuracy": None, "window": None,
                "install_weeks": None, "weeks": None, "mean": None, "mean_accuracy": None}
    )  # fmt: skip


def _quarter(row: dict[str, Any], accuracy: float | None) -> dict[str, Any]:
    """A quarter's released cell as its mean weekly installs, with the mean's interval."""
    weeks = row["weeks"]
    return {
        "window": row["period"],
        "install_weeks": row["install_weeks"],
        "weeks": weeks,
        "mean": row["mean_installs"],
        "mean_accuracy": None if accuracy is None else round(accuracy / weeks, 2),
    }


def _interval(value: int, accuracy: float | None) -> tuple[float, float]:
    """The 95 % interval around a released count (never below 0: no count is negative)."""
    if accuracy is None:
        return value, value
    return max(value - accuracy, 0.0), value + accuracy
