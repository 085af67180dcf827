"""The release's parts: contribution bounds, the raw reads behind them, OpenDP's accounting."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry_server.demo import DemoShape, seed
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.public._release_dims import DIM_BY_NAME, DIMS, bound
from napari_telemetry_server.public._release_dp import Mechanism, Query
from napari_telemetry_server.public._release_plan import describe, week_mechanism, window_mechanism
from napari_telemetry_server.public._release_read import PICKS, read_bounded
from napari_telemetry_server.public.counters import CELLS
from napari_telemetry_server.storage import make_engine

WEEK = "2026-W48"


def test_every_released_dimension_has_a_raw_source() -> None:
    assert set(PICKS) == {d.name for d in DIMS} | {CELLS}


def test_an_id_counts_at_most_per_id_values_the_heaviest_first() -> None:
    dim = DIM_BY_NAME["plugins.plugin"]
    heavy = [("heavy", f"napari-p{i}", 1) for i in range(50)] + [("heavy", "napari-top", 7)]
    light = [("light", "napari-p1", 1), ("light", "napari-p1", 1)]  # two days: one value
    out = bound([*heavy, *light], dim, per_id=10)
    assert sum(out.ids.values()) == 10 + 1
    assert out.ids["napari-top"] == 1
    assert out.ids["napari-p1"] >= 1
    assert out.clipped_ids == 1
    again = bound([*reversed(heavy), *light], dim, per_id=10)
    assert again.ids == out.ids  # the choice does not depend on row order


def test_which_values_a_heavy_id_keeps_is_not_the_same_for_every_id() -> None:
    dim = DIM_BY_NAME["plugins.plugin"]
    rows = [(f"id{u}", f"napari-p{i:02d}", 1) for u in range(200) for i in range(20)]
    kept = bound(rows, dim, per_id=10).ids
    assert len(kept) == 20
    assert sum(kept.values()) == 2000
    assert min(kept.values()) > 50  # a keyed digest, not alphabetical order


def test_sums_are_clipped_per_id_and_value() -> None:
    dim = DIM_BY_NAME["commands.command"]
    rows = [("a", "napari napari:x", 10**6), ("b", "napari napari:x", 3)]
    out = bound(rows, dim, per_id=20, clip=10)
    assert out.ids["napari napari:x"] == 2
    assert out.sums["napari napari:x"] == 13


def test_closed_sets_map_unknown_values_to_other() -> None:
    rows = [("a", "3.12", 1), ("b", "2.7", 1), ("c", "3.99", 1)]
    out = bound(rows, DIM_BY_NAME["environment.python_version"], per_id=1)
    assert out.ids == Counter({"3.12": 1, "other": 2})
    sizes = bound([("a", "19", 1), ("b", "-1", 1), ("c", "70", 1)],
                  DIM_BY_NAME["layers.size_bucket"], per_id=1)  # fmt: skip
    assert sizes.ids == Counter({"20": 1, "-1": 1, "other": 1})


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("release") / "raw.sqlite"
    seed(raw, DemoShape(weeks=2, first_week_users=150, last_week_users=200), last_week=WEEK)
    return raw


@pytest.mark.parametrize(
    "name",
    ["plugins.plugin", "environment.napari_version", "commands.command", "layers.dtype",
     "installs.active"],
)  # fmt: skip
def test_bounded_reads_match_a_brute_force_count(demo_raw: Path, name: str) -> None:
    """The grouped SQL plus ``bound`` count exactly what counting raw rows by hand gives."""
    import sqlite3
    from contextlib import closing

    dim, per_id = DIM_BY_NAME[name], 10_000  # a bound nobody reaches: plain distinct counts
    engine = make_engine(demo_raw)
    with engine.connect() as conn:
        got, skipped = read_bounded(conn, dim, [WEEK], per_id, None)
    engine.dispose()
    sql = {
        "plugins.plugin": "SELECT user_id, name FROM plugin_records WHERE week = ?",
        "environment.napari_version": "SELECT user_id, napari_version FROM session_records "
                                      "WHERE week = ?",
        "commands.command": "SELECT user_id, plugin || ' ' || command_id FROM command_records "
                            "WHERE week = ?",
        "layers.dtype": "SELECT user_id, dtype FROM layer_records WHERE week = ?",
        "installs.active": "SELECT user_id, 'active' FROM batches WHERE week = ? "
                           "AND level = 'basic'",
    }[name]  # fmt: skip
    with closing(sqlite3.connect(demo_raw)) as conn:
        pairs = {(u, dim.canonical(v)) for u, v in conn.execute(sql, (WEEK,))}
    assert skipped == 0
    assert got[WEEK].ids == Counter(v for _, v in pairs)


def test_the_week_release_spends_exactly_its_budget() -> None:
    settings = ReleaseSettings()
    mechanism = week_mechanism(settings)
    privacy = mechanism.privacy()
    assert privacy["rho"] == pytest.approx(settings.rho_week, rel=1e-9)
    assert privacy["rho"] <= settings.rho_week + 1e-12
    assert privacy["delta_selection"] <= settings.delta / 2
    assert privacy["delta"] == settings.delta
    names = {q.name for q in mechanism.queries}
    assert names == {d.name for d in DIMS} | {"commands.command.calls", CELLS}
    for query in mechanism.queries:
        if query.open:
            assert query.threshold is not None
            assert query.cost()[1] <= query.delta


def test_the_default_budget_is_no_weaker_than_rho_one_half_per_unit() -> None:
    settings = ReleaseSettings()
    week, window = week_mechanism(settings), window_mechanism(settings)
    assert window is not None
    both = Mechanism(week.queries + window.queries, 2 * settings.delta)
    assert both.privacy()["rho"] <= 0.5 + 1e-12


def test_a_query_costs_what_its_noise_scale_says() -> None:
    """zCDP of the Gaussian: ρ = Δ₂² / (2σ²), with Δ₂ = √(values per id) · per-value bound."""
    query = Query("plugins.plugin", 10, 0.06, delta=1e-9)
    assert query.cost()[0] == pytest.approx(10 / (2 * query.scale**2), rel=1e-6)
    calls = Query("x.calls", 20, 0.03, linf=10, keys_from="x")
    assert calls.cost()[0] == pytest.approx((math.sqrt(20) * 10) ** 2 / (2 * calls.scale**2))


def test_describe_publishes_mechanism_bounds_and_accuracy() -> None:
    settings = ReleaseSettings()
    doc = describe(week_mechanism(settings), settings, "week")
    assert "OpenDP" in doc["mechanism"]
    assert doc["opendp"]
    entry = doc["tables"]["plugins.plugin"]
    assert entry["kind"] == "open"
    assert entry["threshold"] > entry["accuracy95"] > 0
    assert doc["tables"]["environment.os"]["kind"] == "closed"
    assert doc["settings"]["max_plugins"] == settings.max_plugins


def test_a_release_outputs_every_closed_value_and_no_negative_count() -> None:
    query = Query("environment.os", 1, 0.015, categories=("Linux", "macOS", "Windows", "other"))
    mechanism = Mechanism((query,), 1e-7)
    for _ in range(20):
        out = mechanism.release({"environment.os": Counter({"Linux": 3})})["environment.os"]
        assert set(out) == {"Linux", "macOS", "Windows", "other"}
        assert min(out.values()) >= 0


def _ids(n: int) -> list[str]:
    return [uuid.uuid4().hex for _ in range(n)]


def test_an_open_value_of_one_install_is_never_released() -> None:
    settings = ReleaseSettings()
    mechanism = week_mechanism(settings)
    data: dict[str, Any] = {d.name: Counter() for d in DIMS}
    data["commands.command.calls"] = Counter()
    data["plugins.plugin"] = Counter({"napari-unique": 1, "napari-svg": 500})
    for _ in range(200):
        out = mechanism.release(data)["plugins.plugin"]
        assert "napari-unique" not in out
        assert "napari-svg" in out
