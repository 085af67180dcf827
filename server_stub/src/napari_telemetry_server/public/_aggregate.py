"""``aggregate``: finished weeks of raw data in, differentially private releases out.

A week is released once, after it has ended plus the grace period for late uploads, while its
raw data is still complete (no batch of it can have been purged yet); its numbers are frozen in
the aggregate database and never recomputed, whatever arrives later. A quarter's plugin
install-weeks are released once its last week has been. The current week is never released.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, inspect, select

from napari_telemetry.schema import week_start
from napari_telemetry_server.storage import (
    RAW_RETENTION_DAYS,
    batches,
    make_engine,
    record_tables,
    require_database,
)

from . import _aggregate_db as db
from . import _release_partials as partials
from ._aggregate_rules import Denylist, valid_week
from ._aggregate_weeks import quarter_of, quarter_weeks, week_end
from ._aggregate_write import write_meta, write_release, write_rolling, write_week, write_window
from ._release_config import ReleaseSettings, release_settings
from ._release_dims import DIMS, WINDOW_DIM
from ._release_plan import CALLS, describe, week_mechanism, window_mechanism
from ._release_read import read_counts, weeks_with_data

Released = dict[str, dict[str, int]]


@dataclass
class AggregateReport:
    """What one run did: weeks and windows released, what waits, what was skipped."""

    released: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    past_retention: list[str] = field(default_factory=list)
    skipped_rows: dict[str, int] = field(default_factory=dict)
    cells: int = 0

    def lines(self) -> list[str]:
        """A human summary, one fact per line."""
        out = [
            f"weeks released: {len(self.released)}" + _span(self.released),
            f"windows released: {len(self.windows)}" + _span(self.windows),
            f"released cells: {self.cells}",
        ]
        if self.waiting:
            out.append(
                f"weeks not released yet (current, or inside the grace period): "
                f"{', '.join(self.waiting)}"
            )
        if self.past_retention:
            out.append(
                f"weeks never released (raw data partly past retention): "
                f"{len(self.past_retention)}" + _span(self.past_retention)
            )
        out += [f"skipped {n} malformed rows in {t}" for t, n in sorted(self.skipped_rows.items())]
        return out


def _span(items: list[str]) -> str:
    return f" ({items[0]} to {items[-1]})" if items else ""


def releasable(week: str, today: date, grace_days: int) -> bool:
    """Whether *week* has ended and its grace period for late uploads is over."""
    return today >= week_end(week) + timedelta(days=grace_days)


def complete(week: str, today: date) -> bool:
    """Whether no batch of *week* can have been purged yet (one day of clock skew allowed)."""
    return week_start(week) - timedelta(days=1) >= today - timedelta(days=RAW_RETENTION_DAYS)


def aggregate(
    raw: str | Path,
    out: Path,
    *,
    settings: ReleaseSettings | None = None,
    deny: Denylist | None = None,
    today: date | None = None,
    assume_complete: bool = False,
) -> AggregateReport:
    """Release every finished week of *raw* (URL or path) not yet released into *out*.

    *assume_complete* releases weeks older than raw retention too (synthetic demo data,
    which no purge has touched); a real collector must not.
    """
    require_database(raw)
    settings = settings or release_settings()
    today = today or date.today()
    report = AggregateReport()
    target = db.open_aggregates(out)
    engine = make_engine(raw)
    try:
        _check_tables(engine, raw)
        partials.create(engine)
        with target.connect() as conn:
            done = {p for (p,) in conn.execute(select(db.releases.c.period))}
        weeks = _due(engine, done, today, settings, assume_complete, report)
        _release_weeks(engine, target, weeks, settings, deny or Denylist(), today, report)
        _release_windows(engine, target, done, settings, deny or Denylist(), today, report)
    finally:
        engine.dispose()
        target.dispose()
    return report


def _check_tables(engine: Engine, raw: str | Path) -> None:
    """Refuse a raw database without the collector's tables: a release must not miss a table."""
    missing = {t.name for t in (batches, *record_tables.values())} - set(
        inspect(engine).get_table_names()
    )
    if missing:
        raise ValueError(
            f"{str(raw)!r} is not a collector database (no table "
            f"{', '.join(sorted(missing))}); nothing was released"
        )


def _due(
    engine: Engine,
    done: set[str],
    today: date,
    settings: ReleaseSettings,
    assume_complete: bool,
    report: AggregateReport,
) -> list[str]:
    with engine.connect() as conn:
        found = weeks_with_data(conn)
    bad = sorted(w for w in found if not valid_week(w))
    if bad:
        report.skipped_rows["batches (weeks that do not exist)"] = len(bad)
    due = []
    for week in sorted((w for w in found if valid_week(w) and w not in done), key=week_start):
        if not releasable(week, today, settings.grace_days):
            report.waiting.append(week)
        elif assume_complete or complete(week, today):
            due.append(week)
        else:
            report.past_retention.append(week)
    return due


def _release_weeks(
    engine: Engine,
    target: Engine,
    weeks: list[str],
    settings: ReleaseSettings,
    deny: Denylist,
    today: date,
    report: AggregateReport,
) -> None:
    if not weeks:
        with target.begin() as conn:
            write_rolling(conn)
            write_meta(conn, today)
        return
    mechanism = week_mechanism(settings)
    document = describe(mechanism, settings, "week")
    data: dict[str, dict[str, Counter[str]]] = {w: {} for w in weeks}
    window: dict[str, Counter[str]] = {}
    plan = {d.name: (d.per_id(settings), settings.max_calls if d.calls else None) for d in DIMS}
    with engine.connect() as conn:
        counts, skipped = read_counts(conn, weeks, plan)
    report.skipped_rows.update(skipped)
    for week, by_dim in counts.items():
        for dim in DIMS:
            data[week][dim.name] = by_dim[dim.name].ids
            if dim.calls:
                data[week][dim.name + CALLS] = by_dim[dim.name].sums
        window[week] = by_dim["plugins.plugin"].ids  # the window counts the same bounded ids
    released = {w: _scrub(mechanism.release(data[w]), deny) for w in weeks}
    if window_mechanism(settings) is not None:
        with engine.begin() as conn:  # before the release commits: a retry replaces them
            for week, ids in window.items():
                partials.store(conn, quarter_of(week), week, ids)
    with target.begin() as conn:
        for week in weeks:
            write_release(conn, week, "week", [week], document, today)
            report.cells += write_week(conn, week, released[week])
        write_rolling(conn)
        write_meta(conn, today)
    report.released = weeks


def _release_windows(
    engine: Engine,
    target: Engine,
    done: set[str],
    settings: ReleaseSettings,
    deny: Denylist,
    today: date,
    report: AggregateReport,
) -> None:
    mechanism = window_mechanism(settings)
    with engine.connect() as conn:
        waiting = partials.periods(conn)
    finished = sorted(
        p
        for p in waiting
        if p not in done and releasable(quarter_weeks(p)[-1], today, settings.grace_days)
    )
    if mechanism is not None and finished:
        document = describe(mechanism, settings, "window")
        for period in finished:
            with engine.connect() as conn:
                covered, counts = partials.load(conn, period)
            out = _scrub(mechanism.release({WINDOW_DIM.name: counts}), deny)[WINDOW_DIM.name]
            with target.begin() as conn:
                write_release(conn, period, "window", covered, document, today)
                report.cells += write_window(conn, period, len(covered), out)
            report.windows.append(period)
    with engine.begin() as conn:  # released now or before: nothing private is kept for them
        partials.drop(conn, [p for p in waiting if p in done or p in report.windows])


def _scrub(out: Released, deny: Denylist) -> Released:
    """Leave out denied values (post-processing of released numbers)."""
    if not deny.values:
        return out
    return {
        name: {k: n for k, n in counts.items() if not deny.denies(*k.split(" "))}
        for name, counts in out.items()
    }
