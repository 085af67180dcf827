"""``aggregate``: the release calendar's due periods out of the raw data, each released once.

Which periods are released is decided by the calendar and the ledger alone (``ledger``): every
week from the calendar's first week on, once it has ended and its grace period is over, with
data or without, while its raw data is still complete; each quarter after its last week. Each
release is written into the ledger in the raw database, in one transaction with what it leaves
(a week's partials for its quarter) or takes (a quarter's), and never made again; the aggregate
file is then rebuilt from the ledger. The current week is never released.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, inspect

from napari_telemetry_server.collection import Approvals
from napari_telemetry_server.storage import (
    Ledger,
    Partials,
    Period,
    batches,
    make_engine,
    record_tables,
    require_database,
)

from ._aggregate_rows import Released, week_rows, window_rows
from ._aggregate_rules import Denylist
from ._aggregate_weeks import quarter_of
from ._release_config import ReleaseSettings, release_settings
from ._release_dims import DIMS, WINDOW_DIM, Bounded
from ._release_plan import CALLS, describe, week_mechanism, window_mechanism
from ._release_read import Plan, read_counts
from .counters import CELLS, WINDOW_CELLS, key, listed, parts
from .ledger import book_of, due_quarters, due_weeks, open_books, settings_note, write


@dataclass
class AggregateReport:
    """What one run did: weeks and windows released, what waits, what was skipped."""

    released: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    past_retention: list[str] = field(default_factory=list)
    skipped_rows: dict[str, int] = field(default_factory=dict)
    cells: int = 0
    notes: list[str] = field(default_factory=list)

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
        return out + self.notes


def _span(items: list[str]) -> str:
    return f" ({items[0]} to {items[-1]})" if items else ""


def aggregate(
    raw: str | Path,
    out: Path,
    *,
    settings: ReleaseSettings | None = None,
    deny: Denylist | None = None,
    today: date | None = None,
    assume_complete: bool = False,
    adopt: bool = False,
    collection: Path | None = None,
) -> AggregateReport:
    """Release the calendar's due periods of *raw* (URL or path); rebuild *out* from the ledger.

    *assume_complete* releases weeks older than raw retention too (synthetic demo data,
    which no purge has touched); a real collector must not. *adopt* takes releases that *out*
    holds and the ledger lacks into the ledger (a file made before the ledger existed).
    *collection* is the folder of signed collection manifests (``serve --collection-dir``):
    each week releases every plugin counter's cell they approved for it (none without it).
    """
    require_database(raw)
    settings = settings or release_settings()
    today = today or date.today()
    deny = deny or Denylist()
    report = AggregateReport()
    engine = make_engine(raw)
    try:
        _check_tables(engine, raw)
        ledger = Ledger(engine)
        book, report.notes = open_books(ledger, out, settings, today, adopt)
        assert book.first_week is not None  # open_books sets the calendar
        due = due_weeks(book.periods, book.first_week, today, settings, assume_complete)
        report.waiting, report.past_retention = due.waiting, due.missed
        run = _Run(deny, today, Approvals(collection) if collection is not None else None)
        _release_weeks(engine, ledger, due.weeks, run, report)
        _release_quarters(ledger, run, report)
        note = settings_note(ledger.periods(), today, settings)
        report.notes += [note] if note else []
        write(out, book_of(ledger))
    finally:
        engine.dispose()
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


@dataclass(frozen=True)
class _Run:
    """What every release of one run shares."""

    deny: Denylist
    today: date
    approvals: Approvals | None  # the signed collection manifests: which cells a week lists


def _plan(settings: ReleaseSettings) -> Plan:
    plan = {d.name: (d.per_id(settings), settings.max_calls if d.calls else None) for d in DIMS}
    if settings.counters:
        plan[CELLS] = (settings.max_counters, settings.max_counter_labels)
    return plan


def _release_weeks(
    engine: Engine,
    ledger: Ledger,
    weeks: Sequence[tuple[str, ReleaseSettings]],
    run: _Run,
    report: AggregateReport,
) -> None:
    """Release *weeks*, one read of the raw data per set of settings they are counted under."""
    groups: dict[str, tuple[ReleaseSettings, list[str]]] = {}
    for week, settings in weeks:
        stated = json.dumps(settings.stated(), sort_keys=True)
        groups.setdefault(stated, (settings, []))[1].append(week)
    for settings, names in groups.values():
        with engine.connect() as conn:
            counts, skipped = read_counts(conn, names, _plan(settings))
        for table, n in skipped.items():
            report.skipped_rows[table] = report.skipped_rows.get(table, 0) + n
        for week in names:
            _release_week(ledger, week, settings, counts[week], run, report)


def _release_week(
    ledger: Ledger,
    week: str,
    settings: ReleaseSettings,
    counts: dict[str, Bounded],
    run: _Run,
    report: AggregateReport,
) -> None:
    """One week's release into the ledger, with the partials its quarter will need."""
    mechanism = week_mechanism(settings)
    data = _week_data(counts, settings)
    cells = listed(run.approvals, week) if settings.counters else []
    numbers = week_rows(week, _scrub(mechanism.release(data, {CELLS: cells}), run.deny))
    keep = None
    if window_mechanism(settings) is not None:  # the quarter counts the same bounded ids
        listing = {parts(c): data[CELLS][c] for c in cells}  # every listed cell, zeros too
        keep = Partials(quarter_of(week), week, data["plugins.plugin"], listing)
    document = describe(mechanism, settings, "week")
    ledger.record(_period(week, "week", [week], document, numbers, run.today), keep)
    report.released.append(week)
    report.cells += sum(len(r) for t, r in numbers.items() if t != "weeks")


def _week_data(counts: dict[str, Bounded], settings: ReleaseSettings) -> dict[str, Counter[str]]:
    """The bounded counts each query of the week's mechanism reads."""
    data: dict[str, Counter[str]] = {}
    for dim in DIMS:
        data[dim.name] = counts[dim.name].ids
        if dim.calls:
            data[dim.name + CALLS] = counts[dim.name].sums
    if settings.counters:
        data[CELLS] = counts[CELLS].ids
    return data


def _release_quarters(ledger: Ledger, run: _Run, report: AggregateReport) -> None:
    """Release the due quarters from their weeks' partials; drop partials never to be."""
    due, never = due_quarters(ledger.periods(), ledger.partial_periods(), run.today)
    for quarter, settings in due:
        mechanism = window_mechanism(settings)
        if mechanism is None:  # a window budget of 0: windows are off
            never.append(quarter)
            continue
        covered, counts = ledger.partials(quarter)
        # The cells its weeks released, zeros included: a list the data did not choose.
        cells = Counter({key(*c): n for c, n in ledger.cell_partials(quarter).items()})
        data = {WINDOW_DIM.name: counts, WINDOW_CELLS: cells}
        out = _scrub(mechanism.release(data, {WINDOW_CELLS: list(cells)}), run.deny)
        numbers = window_rows(quarter, len(covered), out)
        document = describe(mechanism, settings, "window")
        period = _period(quarter, "window", covered, document, numbers, run.today)
        ledger.record(period, release=[quarter])
        report.windows.append(quarter)
        report.cells += sum(len(rows) for rows in numbers.values())
    ledger.drop_partials(never)


def _period(
    name: str,
    kind: str,
    weeks: Sequence[str],
    document: dict[str, object],
    numbers: dict[str, list[dict[str, object]]],
    today: date,
) -> Period:
    return Period(name, kind, weeks[0], weeks[-1], today.isoformat(), document, numbers)


def _scrub(out: Released, deny: Denylist) -> Released:
    """Leave out denied values (post-processing of released numbers)."""
    if not deny.values:
        return out
    return {
        name: {k: n for k, n in counts.items() if not deny.denies(*k.split(" "))}
        for name, counts in out.items()
    }
