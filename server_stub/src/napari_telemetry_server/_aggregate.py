"""``aggregate``: raw batches in, thresholded weekly tables out (a separate SQLite file).

Idempotent per ISO week: every week found in the raw database is replaced as a whole; weeks the
raw database no longer holds (past retention) stay as they were. Nothing identifying is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy import exc as sa_exc

from . import _aggregate_db as db
from ._aggregate_read import SPECS, Reader, Spec
from ._aggregate_rules import (
    DEFAULT_K,
    Cell,
    Denylist,
    FoldPlan,
    count_folded,
    finish,
    plan_fold,
)
from ._aggregate_weeks import week_start
from ._aggregate_write import write
from ._storage import RAW_RETENTION_DAYS, make_engine, metadata


@dataclass
class AggregateReport:
    """What one run did: weeks written, and what it had to skip and why."""

    published: list[str] = field(default_factory=list)
    below_threshold: list[str] = field(default_factory=list)
    skipped_rows: dict[str, int] = field(default_factory=dict)
    skipped_tables: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    cells: int = 0

    def lines(self) -> list[str]:
        """A human summary, one fact per line."""
        out = [
            f"weeks published: {len(self.published)}"
            + (f" ({self.published[0]} to {self.published[-1]})" if self.published else ""),
            f"weeks below the threshold (only that fact published): {len(self.below_threshold)}",
            f"published cells: {self.cells}",
        ]
        if self.kept:
            first, last = self.kept[0], self.kept[-1]
            out.append(f"weeks kept as they were (raw data partly past retention): "
                       f"{len(self.kept)} ({first} to {last})")  # fmt: skip
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
    today: date | None = None,
) -> AggregateReport:
    """Aggregate the raw database *raw* (URL or path) into the aggregate file *out*.

    A week already aggregated whose Monday is older than the raw retention may have lost some
    raw rows to ``purge``: it is kept as it was unless named in *weeks*.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k!r}")
    if "://" not in str(raw) and not Path(raw).exists():
        raise ValueError(f"raw database {str(raw)!r} does not exist")
    deny = deny or Denylist()
    report = AggregateReport()
    target = db.open_aggregates(out)
    try:
        cutoff = (today or date.today()) - timedelta(days=RAW_RETENTION_DAYS)
        with target.connect() as conn:
            done = {w for (w,) in conn.execute(select(db.weeks.c.week))}
        frozen = {w for w in done if week_start(w) < cutoff and w not in (weeks or ())}
        engine = make_engine(raw)
        try:
            with engine.connect() as conn:
                results, weekly = _compute(conn, k, deny, weeks, frozen, report)
        finally:
            engine.dispose()
        report.cells = write(target, weekly, results, k, set(report.published))
    finally:
        target.dispose()
    return report


def _compute(
    conn: Connection,
    k: int,
    deny: Denylist,
    weeks: list[str] | None,
    frozen: set[str],
    report: AggregateReport,
) -> tuple[list[tuple[Spec, list[Cell]]], dict[str, tuple[int, int]]]:
    reader = Reader(conn, dict(metadata.tables), weeks)
    try:
        weekly, skipped = reader.weekly_installs()
    except sa_exc.SQLAlchemyError as e:
        report.skipped_tables["batches"] = _why(e)
        return [], {}
    _note(report, "batches", skipped)
    report.kept = sorted(frozen.intersection(weekly), key=week_start)
    weekly = {w: counts for w, counts in weekly.items() if w not in frozen}
    published = {w for w, (active, _) in weekly.items() if active >= k}
    report.published = sorted(published, key=week_start)
    report.below_threshold = sorted(set(weekly) - published, key=week_start)
    plans: list[tuple[Spec, FoldPlan]] = []
    for spec in SPECS:
        try:
            plans.append((spec, _plan(reader, spec, k, deny, published, report)))
        except sa_exc.SQLAlchemyError as e:
            conn.rollback()
            report.skipped_tables[spec.source] = _why(e)
    folded = _recount(reader, plans, report)
    results = [
        (spec, finish(plan, folded.get(i, []), k=k))
        for i, (spec, plan) in enumerate(plans)
        if spec.source not in report.skipped_tables
    ]
    return results, weekly


def _plan(
    reader: Reader,
    spec: Spec,
    k: int,
    deny: Denylist,
    published: set[str],
    report: AggregateReport,
) -> FoldPlan:
    cells, skipped = reader.cells(spec)
    _note(report, spec.source, skipped)
    cells = [c for c in cells if c.week in published]
    parents = None
    if spec.b is not None:
        parents = {(c.week, c.a): c.users for c in reader.cells(spec, parent=True)[0]}
    return plan_fold(cells, k=k, deny=deny, parents=parents)


def _recount(
    reader: Reader, plans: list[tuple[Spec, FoldPlan]], report: AggregateReport
) -> dict[int, list[Cell]]:
    """Recount the folded cells exactly: one raw scan per source table and first dimension."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (spec, plan) in enumerate(plans):
        if plan.fold:
            groups.setdefault(reader.first_key(spec), []).append(i)
    out: dict[int, list[Cell]] = {}
    for members in groups.values():
        specs = [plans[i][0] for i in members]
        query = next((s for s in specs if s.b is not None), specs[0])
        keys = {key for i in members for key in plans[i][1].fold}
        try:
            rows = list(reader.detail(query, keys, narrow_b=_narrow(plans, members)))
        except sa_exc.SQLAlchemyError as e:
            reader.conn.rollback()
            report.skipped_tables[query.source] = _why(e)
            continue
        for i in members:
            spec, plan = plans[i]
            mine = rows if spec.b is not None else [(w, a, "", u, t) for w, a, _b, u, t in rows]
            out[i] = count_folded(mine, plan.fold)
    return out


def _narrow(plans: list[tuple[Spec, FoldPlan]], members: list[int]) -> bool:
    """Whether the second value narrows the recount: one 2-D table, few of its values rare."""
    if len(members) != 1 or plans[members[0]][0].b is None:
        return False
    plan = plans[members[0]][1]
    rare = {key[2] for key in plan.fold}
    return 2 * len(rare) <= len(rare | {c.b for c in plan.kept})


def _note(report: AggregateReport, source: str, skipped: int) -> None:
    # Several breakdowns read the same table: a bad row is one bad row, not one per breakdown.
    if skipped:
        report.skipped_rows[source] = max(report.skipped_rows.get(source, 0), skipped)


def _why(e: sa_exc.SQLAlchemyError) -> str:
    orig = getattr(e, "orig", None)
    return str(orig or e).splitlines()[0][:200]
