"""The aggregate file as a cache of the ledger: rebuilt whole from it, byte for byte.

Every run writes the file anew from the ledger (released periods, public keys, the calendar's
first week) into a temporary file beside it and renames it into place, so the same ledger always
gives the same bytes, and a reader (``publish``, Grafana) sees the old file or the new one. The
rolling means are post-processing of the released weeks, recomputed here each time. ``read``
turns a file back into periods, to check it against the ledger or to adopt it.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert

from napari_telemetry_server.public import _aggregate_db as db
from napari_telemetry_server.public._aggregate_rows import normal
from napari_telemetry_server.public._aggregate_weeks import rolling_means
from napari_telemetry_server.public._release_dims import OTHER
from napari_telemetry_server.storage import Period, PublicKey

RELEASED = ("weeks", *(t.name for t in db.WEEKLY_TABLES), "plugin_windows", "counter_windows")


@dataclass(frozen=True)
class Book:
    """What an aggregate file (or the ledger) holds: periods, keys, the calendar's first week."""

    periods: list[Period]
    keys: list[PublicKey]
    first_week: str | None


def start_of(book: Book) -> str | None:
    """The first week the rolling means count from: the calendar's, or an earlier release's."""
    weeks = [p.first_week for p in book.periods if p.kind == "week"]
    if book.first_week is not None:
        weeks.append(book.first_week)
    return min(weeks, default=None)


def write(path: Path, book: Book) -> None:
    """Write *book* into the aggregate file *path* (replaced whole, atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own beside the file (SQLite creates it, with the umask's mode, as before).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        engine = db.open_aggregates(tmp)
        try:
            with engine.begin() as conn:
                _fill(conn, book)
        finally:
            engine.dispose()
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _fill(conn: Connection, book: Book) -> None:
    for period in book.periods:
        conn.execute(insert(db.releases), [_release_row(period)])
        for table, rows in normal(period.numbers).items():
            if table not in RELEASED:
                raise ValueError(f"{period.period}: the ledger names no aggregate table {table!r}")
            conn.execute(insert(db.metadata.tables[table]), rows)
    start = start_of(book)
    if start is not None:
        _rolling(conn, book.periods, start)
    if book.keys:
        rows = [vars(k) for k in sorted(book.keys, key=lambda k: k.key_id)]
        conn.execute(insert(db.public_keys), rows)
    meta = {"format": db.FORMAT, "first_week": book.first_week}
    meta["updated_on"] = max((p.released_on for p in book.periods), default=None)
    rows = [{"key": k, "value": v} for k, v in sorted(meta.items()) if v is not None]
    conn.execute(insert(db.meta), rows)


def _release_row(period: Period) -> dict[str, Any]:
    return {
        "period": period.period,
        "kind": period.kind,
        "first_week": period.first_week,
        "last_week": period.last_week,
        "released_on": period.released_on,
        "document": json.dumps(period.document, sort_keys=True),
    }


def _rolling(conn: Connection, periods: Sequence[Period], start: str) -> None:
    """The 4/13/52-week means of the released weeks, over calendar weeks from *start*."""
    weekly = [p for p in periods if p.kind == "week"]
    known = [p.period for p in weekly]
    active = {p.period: r["active_installs"] for p in weekly for r in p.numbers.get("weeks", [])}
    rows = [
        {"week": w, "window": n, "mean_installs": m, "weeks_covered": c}
        for w, n, m, c in rolling_means(active, known, start)
    ]
    if rows:
        conn.execute(insert(db.rolling_installs), rows)
    series: dict[str, dict[str, int]] = {}
    for p in weekly:
        for r in p.numbers.get("plugins", []):
            if r["plugin"] != OTHER:
                series.setdefault(r["plugin"], {})[p.period] = r["installs"]
    prows = [
        {"week": w, "plugin": name, "window": n, "mean_installs": m, "weeks_covered": c}
        for name, s in sorted(series.items())
        for w, n, m, c in rolling_means(s, known, start)
        if m > 0
    ]
    if prows:
        conn.execute(insert(db.rolling_plugins), prows)


def read(path: Path) -> Book:
    """The periods, keys and calendar an aggregate file holds (ValueError: not one of ours)."""
    engine = db.open_aggregates(path, create=False)
    try:
        tables = db.read_tables(engine)
        keys = db.read_key_rows(engine)
    finally:
        engine.dispose()
    meta = {r["key"]: r["value"] for r in tables["meta"]}
    periods = []
    for release in tables["releases"]:
        name = release["period"]
        numbers = {
            table: [r for r in tables[table] if r.get("period", r.get("week")) == name]
            for table in RELEASED
        }
        periods.append(
            Period(
                period=name,
                kind=release["kind"],
                first_week=release["first_week"],
                last_week=release["last_week"],
                released_on=release["released_on"],
                document=json.loads(release["document"]),
                numbers=normal(numbers),
            )
        )
    return Book(periods, [PublicKey(**k) for k in keys], meta.get("first_week"))
