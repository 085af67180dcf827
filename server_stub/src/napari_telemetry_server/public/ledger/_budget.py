"""The budget over time: what each released period spent, and what a year of them adds up to.

A release's document states what it spends per weekly id (its ρ, and the (ε, δ) they imply).
An installation has a new weekly id every week, so one present every week is in 52 week
releases a year, once each, and in each quarter's release once per week of it that it was
present in: OpenDP's maps of each release at that many ids, composed by OpenDP, give what it
has spent. The total δ is each release's own δ, with a quarter's partition-selection δ taken
at the installation's number of weekly ids in it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from napari_telemetry.schema import shift_week, week_start
from napari_telemetry_server.public._aggregate_weeks import calendar
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.public._release_dp import compose
from napari_telemetry_server.public._release_plan import week_mechanism, window_mechanism
from napari_telemetry_server.storage import Ledger, Period, make_engine, require_database

YEAR = 52


@dataclass(frozen=True)
class Year:
    """What an installation present in every week of the last 52 has spent in all."""

    first_week: str
    last_week: str
    weeks: int  # week releases it was in
    quarters: tuple[tuple[str, int], ...]  # (quarter, its weekly ids in it)
    rho: float
    delta_selection: float
    epsilon: float
    delta: float

    def sentence(self) -> str:
        """The year in one line of plain words."""
        quarters = ", ".join(f"{q} ({n} weeks)" for q, n in self.quarters) or "none"
        return (
            f"An installation present in every week from {self.first_week} to "
            f"{self.last_week} is in {self.weeks} week releases and in the quarters "
            f"{quarters}: in all ρ = {self.rho:.4g}, which implies ε = {self.epsilon:.4g} at "
            f"δ = {self.delta:.2g} (OpenDP's maps, composed)"
        )


@functools.lru_cache(maxsize=256)
def _costs(kind: str, stated: str, ids: int) -> tuple[tuple[float, float], ...]:
    settings = ReleaseSettings.model_validate(json.loads(stated))
    mechanism = week_mechanism(settings) if kind == "week" else window_mechanism(settings)
    return () if mechanism is None else tuple(mechanism.costs(ids))


def costs(period: Period, ids: int) -> tuple[tuple[float, float], ...]:
    """(ρ, δ) of each query of *period*'s release for an installation with *ids* ids in it."""
    stated = json.dumps(ReleaseSettings.of(period.document).stated(), sort_keys=True)
    return _costs(period.kind, stated, ids)


def year(periods: Sequence[Period]) -> Year | None:
    """The last 52 calendar weeks up to the newest released week (None before any)."""
    weekly = [p.period for p in periods if p.kind == "week"]
    if not weekly:
        return None
    last = max(weekly, key=week_start)
    span = set(calendar(shift_week(last, 1 - YEAR), last))
    counted = [
        (p, n) for p in periods if (n := len(span & set(calendar(p.first_week, p.last_week))))
    ]
    spent = [cost for p, n in counted for cost in costs(p, n)]
    total = compose(spent, sum(_delta(p, n) for p, n in counted))
    return Year(
        first_week=min(span, key=week_start),
        last_week=last,
        weeks=sum(p.kind == "week" for p, _ in counted),
        quarters=tuple((p.period, n) for p, n in counted if p.kind != "week"),
        **total,
    )


def _delta(period: Period, ids: int) -> float:
    """The release's own δ, its partition selection taken at *ids* weekly ids."""
    doc = period.document
    conversion = float(doc["delta"]) - float(doc["delta_selection"])
    return conversion + sum(delta for _, delta in costs(period, ids))


def ledger_lines(periods: Sequence[Period], meta: dict[str, str]) -> list[str]:
    """The ``ledger`` verb's report: the calendar, each period, the 52-week total."""
    start = meta.get("first_week")
    lines = [
        f"release calendar from {start} (ledger created on {meta.get('created_on')})"
        if start
        else "no release calendar yet (the first `aggregate` sets it)",
        f"{'period':9s} {'kind':7s} {'weeks':20s} {'released':10s} {'rho':>8s} "
        f"{'epsilon':>8s} {'delta':>8s}",
    ]
    for p in periods:
        doc = p.document
        covered = p.first_week if p.first_week == p.last_week else f"{p.first_week}..{p.last_week}"
        lines.append(
            f"{p.period:9s} {p.kind:7s} {covered:20s} {p.released_on:10s} "
            f"{doc['rho']:8.4g} {doc['epsilon']:8.4g} {doc['delta']:8.0e}"
        )
    summary = year(periods)
    lines.append("nothing released yet" if summary is None else summary.sentence())
    return lines


def ledger_report(raw: str | Path) -> list[str]:
    """The ``ledger`` verb: the ledger of the raw database *raw*, read only."""
    require_database(raw)
    engine = make_engine(raw)
    try:
        ledger = Ledger(engine, create=False)
        return ledger_lines(ledger.periods(), ledger.meta())
    finally:
        engine.dispose()
