"""Neighbouring databases: raw data that differ by exactly one id-week, released many times.

Differential privacy covers the noisy counts; everything else a site publishes (file names,
release documents, period lists, weeks covered, table keys, badges, certificates) must not
depend on one installation's week at all. For each case, two worlds (without and with the one
id-week) are aggregated and published ``RUNS`` times each from the same starting state; a
published fact that is not a noisy count must never be in every run of one world and in no run
of the other. The crowd is large (``CROWD`` installs per week), so every value it reports clears
its threshold in every run and no fact is left to chance: a difference can only be a leak.

The one id-week is a counter user in every case (a plugin's counter, approved by a real signed
collection manifest, with labels the crowd never counts): every approved cell is released each
week whether or not anyone counted it, so which cells a site shows is the same in both worlds.

The control puts the old, data-driven calendar back (a week released only if a batch exists
for it) and must fail the same check, in every case but the crowd; a second control releases
only the counters' cells somebody counted (partition selection by the data) and must fail too.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry_server.demo import COUNTER_PLUGIN, make_batch, sign_demo_collection
from napari_telemetry_server.public import _aggregate
from napari_telemetry_server.public._aggregate import aggregate
from napari_telemetry_server.public._aggregate_weeks import quarter_weeks, week_end
from napari_telemetry_server.public._certify import load_or_create_key, public_pem, statement
from napari_telemetry_server.public._publish import publish
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.public.ledger import Due
from napari_telemetry_server.storage import Storage, make_engine
from tests.public.test_aggregate import install

pytestmark = pytest.mark.slow

QUARTER = "2026-Q3"
W1, W2, W3 = quarter_weeks(QUARTER)[-3:]  # the calendar: the quarter's last three weeks
CALENDAR = ReleaseSettings(first_week=W1)
RUNS = 4  # per world and case
CONTROL_RUNS = 2  # the control's failure is deterministic
CROWD = 100  # every value it reports clears its weekly threshold (about 60) in every run
NOISY = {"active_installs", "new_installs", "installs", "users", "calls", "install_weeks",
         "mean_installs", "at_least", "released_install_weeks"}  # fmt: skip


def day_of(week: str) -> date:
    return week_end(week) + timedelta(days=3)


def counted(name: str, label: str = "") -> dict[str, Any]:
    return {"type": "counter", "plugin": COUNTER_PLUGIN, "counter": name, "label": label,
            "count": 2}  # fmt: skip


def crowd(raw: Path, *weeks: str) -> None:
    engine = make_engine(raw)
    storage = Storage(engine)
    for week in weeks:
        for _ in range(CROWD):
            user = install(storage, week, ["napari-svg", "napari-animation"])
            storage.insert_batch(make_batch("full", user, week, [counted("models", "cyto")]))
    engine.dispose()


def one_install(raw: Path, week: str) -> None:
    """The id-week the two worlds differ by: a plugin, a version, a command of its own, and
    counts of a plugin's counter with labels nobody else counts."""
    engine = make_engine(raw)
    storage = Storage(engine)
    user = install(storage, week, ["napari-secret-lab"], napari="0.7.0rc9", os_name="Windows")
    records = [counted("models", "tissue"), counted("segmentations")]
    storage.insert_batch(make_batch("full", user, week, records))
    engine.dispose()


@dataclass(frozen=True)
class Case:
    """A starting state, the id-week, and the daily jobs the collector runs."""

    name: str
    crowd: tuple[str, ...]  # weeks of the crowd, in both worlds
    early: str | None  # the id-week's week, there from the start (world B)
    late: str | None  # the id-week's week, arriving after that week's release (world B)
    lose_file: bool = False  # the aggregate file is lost before the second job
    lowered: bool = False  # the plugin bound is lowered from 50 to 10 before the second job


CASES = (
    Case("alone in its week", (W1, W3), early=W2, late=None),
    Case("in a crowd", (W1, W2, W3), early=W2, late=None),
    Case("late, after its week was released", (W1, W3), early=None, late=W2),
    Case("aggregate file lost and rebuilt", (W1, W3), early=None, late=W2, lose_file=True),
    Case("a bound lowered mid-quarter", (W2, W3), early=W1, late=None, lowered=True),
)


def run(case: Case, start: Path, with_it: bool, folder: Path, key: Path) -> set[str]:
    """One run of the collector's jobs from *start*; the facts its site publishes."""
    folder.mkdir()
    raw, out, site = folder / "raw.sqlite", folder / "agg.sqlite", folder / "site"
    shutil.copy(start, raw)
    collection = key.parent / "operators" / "collection"  # signed once, by ``starts``
    first = ReleaseSettings(first_week=W1, max_plugins=50) if case.lowered else CALENDAR
    aggregate(raw, out, settings=first, today=day_of(W2 if case.late else W1),
              collection=collection)  # fmt: skip
    if case.late and with_it:
        one_install(raw, case.late)
    if case.lose_file:
        publish(out, site)
        out.unlink()
    later = ReleaseSettings(max_plugins=10) if case.lowered else CALENDAR
    aggregate(raw, out, settings=later, today=day_of(W3), collection=collection)
    signing = load_or_create_key(key)[0]
    certificates = [
        statement(out, "napari-svg", QUARTER, today=day_of(W3)),
        statement(out, COUNTER_PLUGIN, QUARTER, today=day_of(W3), counter="models", label="cyto"),
    ]
    publish(out, site, public_key=public_pem(signing))
    return facts(site, certificates)


def facts(site: Path, certificates: list[dict[str, Any]]) -> set[str]:
    """Every published fact that is not a noisy count, as text."""
    found = {f"file {p.relative_to(site)}" for p in site.rglob("*") if p.is_file()}
    doc = json.loads((site / "aggregates.json").read_text())
    found |= {f"{k} {json.dumps(v, sort_keys=True)}" for k, v in doc.items() if k != "tables"}
    found |= {"release " + json.dumps(r, sort_keys=True) for r in doc["releases"]}
    for name, rows in doc["tables"].items():
        for row in rows:
            exact = {k: v for k, v in row.items() if k not in NOISY}
            found.add(f"{name} {json.dumps(exact, sort_keys=True)}")
    for certificate in certificates:
        exact = {k: v for k, v in certificate.items() if k not in NOISY}
        found.add("certificate " + json.dumps(exact, sort_keys=True))
    return found


def starts(case: Case, root: Path) -> dict[bool, Path]:
    """The raw database each world starts from."""
    without, with_it = root / "without.sqlite", root / "with.sqlite"
    sign_demo_collection(root / "operators", date(2026, 6, 29), day_of(W3))
    Storage(make_engine(without)).engine.dispose()
    crowd(without, *case.crowd)
    shutil.copy(without, with_it)
    if case.early:
        one_install(with_it, case.early)
    return {False: without, True: with_it}


def leaks(case: Case, root: Path, runs: int) -> tuple[set[str], int]:
    """Facts in every run of one world and in no run of the other; and the facts compared."""
    worlds = starts(case, root)
    seen: dict[bool, list[set[str]]] = {False: [], True: []}
    for i in range(runs):
        for world, start in worlds.items():
            seen[world].append(run(case, start, world, root / f"run-{world}-{i}", root / "k.pem"))
    always = {w: set.intersection(*seen[w]) for w in seen}
    ever = {w: set.union(*seen[w]) for w in seen}
    leaked = (always[False] - ever[True]) | (always[True] - ever[False])
    return leaked, len(ever[False] | ever[True])


@pytest.fixture
def data_driven(monkeypatch: pytest.MonkeyPatch) -> None:
    """The calendar before the ledger: a week is released only if some batch exists for it."""
    real_due, real_engine = _aggregate.due_weeks, _aggregate.make_engine
    raws: list[str] = []

    def make_engine(raw: str, **kw: Any) -> Any:
        raws.append(str(raw))  # the raw database this run reads
        return real_engine(raw, **kw)

    def due_weeks(periods: Any, first: str, today: date, settings: Any, *a: Any) -> Due:
        due = real_due(periods, first, today, settings, *a)
        with closing(sqlite3.connect(raws[-1])) as conn:
            found = {w for (w,) in conn.execute("SELECT DISTINCT week FROM batches")}
        due.weeks = [(w, s) for w, s in due.weeks if w in found]
        return due

    monkeypatch.setattr(_aggregate, "make_engine", make_engine)
    monkeypatch.setattr(_aggregate, "due_weeks", due_weeks)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_one_id_week_changes_no_published_fact_but_noisy_counts(
    case: Case, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    leaked, compared = leaks(case, tmp_path, RUNS)
    record_property("facts_compared", compared)
    assert compared > 200
    assert leaked == set()


@pytest.mark.parametrize("case", [c for c in CASES if c.early != W2 or c.crowd != (W1, W2, W3)],
                         ids=lambda c: c.name)  # fmt: skip
def test_the_check_fails_with_the_data_driven_calendar(
    case: Case, tmp_path: Path, data_driven: None
) -> None:
    leaked, _ = leaks(case, tmp_path, CONTROL_RUNS)
    assert any(fact.startswith("release ") for fact in leaked), leaked


@pytest.fixture
def cells_from_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counters' cells chosen by the data: only those some raw row of the week counted."""
    real_listed, real_engine = _aggregate.listed, _aggregate.make_engine
    raws: list[str] = []

    def make_engine(raw: str, **kw: Any) -> Any:
        raws.append(str(raw))
        return real_engine(raw, **kw)

    def listed(approvals: Any, week: str) -> list[str]:
        with closing(sqlite3.connect(raws[-1])) as conn:
            sql = "SELECT DISTINCT plugin, counter, label FROM counter_records WHERE week = ?"
            found = {" ".join(cell) for cell in conn.execute(sql, (week,))}
        return [c for c in real_listed(approvals, week) if c in found]

    monkeypatch.setattr(_aggregate, "make_engine", make_engine)
    monkeypatch.setattr(_aggregate, "listed", listed)


def test_the_check_fails_when_the_data_picks_the_counters_cells(
    tmp_path: Path, cells_from_the_data: None
) -> None:
    leaked, _ = leaks(CASES[1], tmp_path, CONTROL_RUNS)  # in a crowd: its labels are its own
    assert any(fact.startswith("counters ") for fact in leaked), leaked
