"""Plugins' counters released with differential privacy: every approved cell of a week, zeros
included, each weekly id once in at most 4 counters and 2 labels of each; the quarter's
install-weeks per cell; the settings a quarter began under, for counters too.

The approved cells come from a real signed collection folder (the demo's manifest of
``napari-cellseg``). Noisy numbers are checked within 7 noise scales (a miss has probability
below 1e-11); which cells are released is checked exactly.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry_server.demo import COUNTER_PLUGIN, make_batch, sign_demo_collection
from napari_telemetry_server.public._aggregate import aggregate
from napari_telemetry_server.public._aggregate_weeks import quarter_weeks, week_end
from napari_telemetry_server.public._publish import publish
from napari_telemetry_server.public._release_config import DEFAULT_SPLIT, ReleaseSettings
from napari_telemetry_server.public._release_plan import describe, week_mechanism, window_mechanism
from napari_telemetry_server.public._release_read import read_counts
from napari_telemetry_server.public.counters import CELLS, WINDOW_CELLS, CellCounting, key
from napari_telemetry_server.public.ledger import costs
from napari_telemetry_server.storage import Ledger, Period, Storage, make_engine
from tests.public.test_aggregate import install, near

Q3, Q4 = quarter_weeks("2026-Q3"), quarter_weeks("2026-Q4")
APPROVED = {("segmentations", ""), ("models", "cyto"), ("models", "nuclei"), ("models", "tissue")}
# What a collector made before counters were released stated: no counters in its split.
BEFORE = {k: v for k, v in DEFAULT_SPLIT.items() if k != "counters"}
BEFORE["layers"] += DEFAULT_SPLIT["counters"]


def day_of(week: str) -> date:
    return week_end(week) + timedelta(days=3)


def counter(name: str, label: str = "", count: int = 1, plugin: str = COUNTER_PLUGIN) -> Any:
    return {"type": "counter", "plugin": plugin, "counter": name, "label": label, "count": count}


def counting(storage: Storage, week: str, records: list[dict[str, Any]]) -> str:
    """One weekly id's week with *records* in its full batch (stored as ingest would)."""
    user = install(storage, week, ["napari-svg"])
    storage.insert_batches([make_batch("full", user, week, records)])
    return user


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """The demo's signed manifest, in force over Q3 and Q4 of 2026."""
    return sign_demo_collection(tmp_path / "operators", date(2026, 6, 29), date(2027, 1, 10))


def test_an_id_counts_at_most_four_counters_and_two_labels_of_each() -> None:
    values = {key(f"napari-p{i}", "runs", ""): 10 + i for i in range(6)}
    values |= {key("napari-p0", "models", m): n for m, n in (("a", 50), ("b", 40), ("c", 30))}
    bounded = CellCounting(pairs=4, labels=2)
    bounded.add("u1", values)
    kept = bounded.out.ids
    assert sum(kept.values()) == 3 + 2  # the heaviest pairs: models (120), p5, p4, p3
    assert set(kept) == {key("napari-p0", "models", "a"), key("napari-p0", "models", "b"),
                         *(key(f"napari-p{i}", "runs", "") for i in (3, 4, 5))}  # fmt: skip
    assert bounded.out.clipped_ids == 1
    again = CellCounting(pairs=4, labels=2)
    again.add("u1", dict(reversed(list(values.items()))))
    assert again.out.ids == kept  # the choice does not depend on the order given
    bounded.add("u2", {key("napari-p0", "models", "a"): 10**6})
    assert kept[key("napari-p0", "models", "a")] == 2  # once per id, whatever its count


def test_the_raw_reads_count_each_id_once_per_cell(tmp_path: Path) -> None:
    raw = tmp_path / "raw.sqlite"
    engine = make_engine(raw)
    storage = Storage(engine)
    week = Q4[0]
    for i in range(12):
        records = [counter("models", "cyto", 5), counter("segmentations", count=i + 1)]
        if i % 3 == 0:
            records.append(counter("models", "nuclei"))
        user = counting(storage, week, records)
        if i < 2:  # a second day of the same id: still once
            storage.insert_batches([make_batch("full", user, week, [counter("models", "cyto")])])
    with engine.connect() as conn:
        counts, skipped = read_counts(conn, [week], {CELLS: (4, 2)})
    engine.dispose()
    assert skipped == {}
    assert counts[week][CELLS].ids == Counter(
        {key(COUNTER_PLUGIN, "models", "cyto"): 12, key(COUNTER_PLUGIN, "segmentations", ""): 12,
         key(COUNTER_PLUGIN, "models", "nuclei"): 4}
    )  # fmt: skip


def test_every_listed_cell_is_released_with_noise_and_no_other() -> None:
    mechanism = week_mechanism(ReleaseSettings())
    listed = [key(COUNTER_PLUGIN, c, label) for c, label in sorted(APPROVED)]
    data: dict[str, Any] = {q.name: Counter() for q in mechanism.queries}
    data[CELLS] = Counter({listed[0]: 40, key("napari-rogue", "x", ""): 1000})
    for _ in range(10):
        out = mechanism.release(data, {CELLS: listed})[CELLS]
        assert sorted(out) == sorted(listed)  # zeros too, and nothing the list lacks
        assert min(out.values()) >= 0
    assert mechanism.release(data)[CELLS] == {}  # no manifest: no cell


def test_counters_spend_their_share_of_the_week_and_of_the_quarter() -> None:
    settings = ReleaseSettings()
    week, window = week_mechanism(settings), window_mechanism(settings)
    assert window is not None
    cost = {q.name: q.cost()[0] for q in (*week.queries, *window.queries)}
    assert cost[CELLS] == pytest.approx(settings.rho_week * 0.15, rel=1e-9)
    assert cost[WINDOW_CELLS] == pytest.approx(settings.rho_window * 0.2, rel=1e-9)
    assert cost["plugin_windows.plugin"] == pytest.approx(settings.rho_window * 0.8, rel=1e-9)
    assert week.privacy()["rho"] == pytest.approx(settings.rho_week, rel=1e-9)
    assert window.privacy()["rho"] == pytest.approx(settings.rho_window, rel=1e-9)
    entry = describe(week, settings, "week")["tables"][CELLS]
    assert (entry["kind"], entry["values_per_id"], entry["per_value_per_id"]) == ("listed", 8, 1)


def test_a_split_without_counters_releases_none_and_half_of_one_is_refused() -> None:
    off = ReleaseSettings(split=BEFORE, window_split={"plugins": 1.0})
    assert not off.counters
    assert CELLS not in {q.name for q in week_mechanism(off).queries}
    window = window_mechanism(off)
    assert window is not None
    assert [q.name for q in window.queries] == ["plugin_windows.plugin"]
    with pytest.raises(ValueError, match="in both split and window_split"):
        ReleaseSettings(split=BEFORE)
    # A release document of a collector before counters states no window split.
    stated = off.stated()
    del stated["window_split"], stated["max_counters"], stated["max_counter_labels"]
    assert ReleaseSettings.of({"settings": stated}).stated() == off.stated()


def test_a_week_releases_every_approved_cell_and_nothing_unapproved(
    storage: Storage, db_url: str, tmp_path: Path, collection: Path
) -> None:
    week = Q4[7]
    for i in range(80):
        records = [counter("models", "cyto", 3)] + [counter("segmentations")] * (i < 50)
        counting(storage, week, records)
    # Stored behind ingest's back (an older collector's row): no manifest approves it.
    counting(storage, week, [counter("models", "secret-lab")])
    out = tmp_path / "aggregates.sqlite"
    settings = ReleaseSettings(first_week=week)
    aggregate(db_url, out, settings=settings, today=day_of(week), collection=collection)
    got = {(c, label): n for c, label, n in rows(out, "SELECT counter, label, installs FROM "
                                                      "counters")}  # fmt: skip
    assert set(got) == APPROVED
    (doc,) = rows(out, f"SELECT document FROM releases WHERE period = '{week}'")[0]
    scale = json.loads(doc)["tables"][CELLS]["noise_scale"]
    assert near(got[("models", "cyto")], 80, scale)
    assert near(got[("segmentations", "")], 50, scale)
    assert near(got[("models", "nuclei")], 0, scale)
    assert b"secret-lab" not in out.read_bytes()
    empty = tmp_path / "no-manifest.sqlite"  # the same week, no manifest: no counter cell
    Storage(make_engine(tmp_path / "raw2.sqlite")).engine.dispose()
    aggregate(tmp_path / "raw2.sqlite", empty, settings=settings, today=day_of(week))
    assert rows(empty, "SELECT COUNT(*) FROM counters") == [(0,)]


def test_a_quarter_releases_the_install_weeks_of_its_weeks_cells(
    storage: Storage, db_url: str, tmp_path: Path, collection: Path
) -> None:
    weeks = Q3[-2:]
    for week in weeks:
        for _ in range(60):
            counting(storage, week, [counter("models", "nuclei", 2)])
    out = tmp_path / "aggregates.sqlite"
    settings = ReleaseSettings(first_week=weeks[0])
    aggregate(db_url, out, settings=settings, today=day_of(weeks[-1]), collection=collection)
    got = rows(out, "SELECT period, counter, label, install_weeks, weeks, mean_installs "
                    "FROM counter_windows")  # fmt: skip
    assert {(c, label) for _, c, label, *_ in got} == APPROVED
    (doc,) = rows(out, "SELECT document FROM releases WHERE period = '2026-Q3'")[0]
    scale = json.loads(doc)["tables"][WINDOW_CELLS]["noise_scale"]
    for period, _, label, install_weeks, n, mean in got:
        assert (period, n, mean) == ("2026-Q3", 2, round(install_weeks / 2, 2))
        assert near(install_weeks, 120 if label == "nuclei" else 0, scale)
    engine = make_engine(db_url)
    try:
        assert Ledger(engine).cell_partials("2026-Q3") == Counter()  # taken by the release
    finally:
        engine.dispose()


def test_a_quarter_begun_before_counters_releases_none_until_the_next(
    storage: Storage, db_url: str, tmp_path: Path, collection: Path
) -> None:
    last, first = Q3[-1], Q4[0]
    for week in (Q3[-2], last, first):
        for _ in range(20):
            counting(storage, week, [counter("models", "cyto")])
    out = tmp_path / "aggregates.sqlite"
    before = ReleaseSettings(first_week=Q3[-2], split=BEFORE, window_split={"plugins": 1.0})
    aggregate(db_url, out, settings=before, today=day_of(Q3[-2]), collection=collection)
    report = aggregate(db_url, out, today=day_of(first), collection=collection)
    assert (report.released, report.windows) == ([last, first], ["2026-Q3"])
    released = {w for (w,) in rows(out, "SELECT DISTINCT week FROM counters")}
    assert released == {first}  # the quarter kept the settings of its first week
    assert rows(out, "SELECT COUNT(*) FROM counter_windows") == [(0,)]


def test_an_aggregate_file_from_before_counters_is_published_and_rebuilt(
    tmp_path: Path, collection: Path
) -> None:
    """A file without the tables ``counters`` and ``counter_windows`` held none of their rows."""
    week, raw, out = Q4[7], tmp_path / "raw.sqlite", tmp_path / "aggregates.sqlite"
    engine = make_engine(raw)
    storage = Storage(engine)
    for _ in range(10):
        counting(storage, week, [counter("models", "cyto")])
    engine.dispose()
    # Released before counters (no manifest), by a version whose file had no counters tables.
    aggregate(raw, out, settings=ReleaseSettings(first_week=week), today=day_of(week))
    with closing(sqlite3.connect(out)) as conn:
        conn.execute("DROP TABLE counters")
        conn.execute("DROP TABLE counter_windows")
        conn.commit()
    publish(out, tmp_path / "site")
    assert (tmp_path / "site" / "csv" / "counters.csv").read_text().startswith("week,plugin")
    report = aggregate(raw, out, today=day_of(Q4[8]), collection=collection)
    assert report.released == [Q4[8]]  # the file agreed with the ledger: rebuilt, not refused
    assert {w for (w,) in rows(out, "SELECT DISTINCT week FROM counters")} == {Q4[8]}


def test_the_ledgers_year_counts_the_counters_releases() -> None:
    """An installation present all quarter is in its counters' release 13 times: ρ = 13² ×
    0.03 by OpenDP's map (each id adds at most one to each of its cells)."""
    settings = ReleaseSettings()
    window = window_mechanism(settings)
    assert window is not None
    quarter = Period("2026-Q3", "window", Q3[0], Q3[-1], "2026-10-01",
                     describe(window, settings, "window"), {})  # fmt: skip
    spent = dict(zip([q.name for q in window.queries], costs(quarter, 13), strict=True))
    assert spent[WINDOW_CELLS] == (pytest.approx(169 * 0.03), 0.0)
    week = Period(Q3[0], "week", Q3[0], Q3[0], "2026-07-09",
                  describe(week_mechanism(settings), settings, "week"), {})  # fmt: skip
    assert costs(week, 1)[-1] == (pytest.approx(0.35 * 0.15), 0.0)  # the week's, listed last
