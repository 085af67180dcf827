"""Privacy budget against accuracy: the frontier in docs/privacy.md, and repeated releases.

    python benchmarks/bench_privacy.py [--repeat 300]

1. The frontier: for budgets of ρ = 0.1 … 2 per weekly id and week (split as the defaults
   split 0.5: 70 % for the week's tables, 30 % for the quarter's plugin install-weeks), the
   ε it implies, and what it buys at 300, 1,000 and 10,000 weekly ids: the 95 % accuracy of
   weekly active installs, the smallest plugin a week publishes, the smallest 13-week mean a
   quarter publishes, and the error of the 20th most used plugin over a quarter. Accuracy and
   thresholds come from OpenDP's own maps; plugin shares from the demo data.
2. Plugins' counters at the same budgets: the 95 % accuracy of one cell (plugin, counter,
   label) in a week and over a quarter, as a 13-week mean, and the smallest 13-week mean whose
   one-sided 95 % lower bound is above 0 (what a certificate can state).
3. Every table of the default releases: its ρ, 95 % accuracy and threshold (docs/privacy.md
   compares them with the split before counters).
4. Repeated releases: a quarter of demo data at 1,000 weekly ids goes through the real storage
   and the bounded reads once, then the quarter's release and one week's release are drawn
   --repeat times: how often the top 20 are all within ±10 %, how often every plugin with a mean
   of at least 5 is published, the 95th percentile of the active-installs error, and the demo
   plugin's counters: the 95th percentile of each label's error as a 13-week mean.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any

from napari_telemetry_server.demo import DemoShape, seed
from napari_telemetry_server.public._aggregate_weeks import quarter_weeks
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.public._release_dims import DIM_BY_NAME, WINDOW_DIM
from napari_telemetry_server.public._release_dp import Mechanism, lower_margin
from napari_telemetry_server.public._release_plan import describe, week_mechanism, window_mechanism
from napari_telemetry_server.public._release_read import read_bounded, read_counts
from napari_telemetry_server.public.counters import CELLS, WINDOW_CELLS
from napari_telemetry_server.storage import make_engine

QUARTER = "2026-Q3"
SIZES = (300, 1_000, 10_000)
BUDGETS = (0.1, 0.25, 0.5, 1.0, 2.0)


Quarter = tuple[Counter[str], Counter[str], dict[str, int], Counter[str]]


def demo_quarter(folder: Path, ids: int) -> Quarter:
    """Exact and bounded install-weeks per plugin over the quarter, active ids per week, and
    the bounded install-weeks of the demo plugin's counter cells."""
    raw = folder / "raw.sqlite"
    weeks = quarter_weeks(QUARTER)
    shape = DemoShape(weeks=len(weeks), first_week_users=ids, last_week_users=ids)
    seed(raw, shape, seed=8, last_week=weeks[-1])
    with closing(sqlite3.connect(raw)) as conn:
        sql = "SELECT name, count(DISTINCT week || user_id) FROM plugin_records GROUP BY name"
        exact = Counter(dict(conn.execute(sql)))
        active = dict(conn.execute("SELECT week, count(DISTINCT user_id) FROM batches "
                                   "WHERE level = 'basic' GROUP BY week"))  # fmt: skip
    engine = make_engine(raw)
    settings = ReleaseSettings()
    with engine.connect() as conn:
        per_week, _ = read_bounded(conn, DIM_BY_NAME["plugins.plugin"], weeks,
                                   settings.max_plugins, None)  # fmt: skip
        plan = {CELLS: (settings.max_counters, settings.max_counter_labels)}
        cell_weeks, _ = read_counts(conn, weeks, plan)
    engine.dispose()
    bounded: Counter[str] = Counter()
    for counts in per_week.values():
        bounded.update(counts.ids)
    cells: Counter[str] = Counter()
    for by_name in cell_weeks.values():
        cells.update(by_name[CELLS].ids)
    return exact, bounded, active, cells


def frontier(exact: Counter[str], ids: int) -> None:
    weeks = len(quarter_weeks(QUARTER))
    twentieth = sorted(exact.values(), reverse=True)[19] / (ids * weeks)  # share of id-weeks
    print(
        "\n| ρ per unit | ε per unit (δ 2e-7) | ids | active installs ±95 % | smallest plugin a "
        "week shows | smallest 13-week mean a quarter shows | 20th plugin's quarter error |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for rho in BUDGETS:
        settings = ReleaseSettings(rho_week=0.7 * rho, rho_window=0.3 * rho)
        week, window = week_mechanism(settings), window_mechanism(settings)
        assert window is not None
        both = Mechanism(week.queries + window.queries, 2 * settings.delta).privacy()
        by_name = {q.name: q for q in week.queries}
        active, plugin, quarter = (by_name["installs.active"], by_name["plugins.plugin"],
                                   window.queries[0])  # fmt: skip
        assert plugin.threshold is not None
        assert quarter.threshold is not None
        for n in SIZES:
            twentieth_n = twentieth * n * weeks
            print(f"| {rho:g} | {both['epsilon']:.2f} | {n:,} | ±{active.accuracy:g} "
                  f"({100 * active.accuracy / n:.1f} %) | {plugin.threshold} installs "
                  f"({100 * plugin.threshold / n:.1f} % of ids) | "
                  f"{quarter.threshold / weeks:.1f} | "
                  f"±{100 * quarter.accuracy / twentieth_n:.1f} % |")  # fmt: skip


def counters_frontier() -> None:
    weeks = len(quarter_weeks(QUARTER))
    print(
        "\n| ρ per unit | counters' ρ, week / quarter | one cell a week, ±95 % | a quarter's "
        "install-weeks, ±95 % | as a 13-week mean | smallest 13-week mean above 0 (95 %) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for rho in BUDGETS:
        settings = ReleaseSettings(rho_week=0.7 * rho, rho_window=0.3 * rho)
        week, window = (
            _query(week_mechanism(settings), CELLS),
            _query(window_mechanism(settings), WINDOW_CELLS),
        )
        low = lower_margin(window.scale, 0.95) / weeks
        print(f"| {rho:g} | {week.rho:.4g} / {window.rho:.4g} | ±{week.accuracy:g} | "
              f"±{window.accuracy:g} | ±{window.accuracy / weeks:.2f} | {low:.2f} |")  # fmt: skip


def _query(mechanism: Mechanism | None, name: str) -> Any:
    assert mechanism is not None
    return next(q for q in mechanism.queries if q.name == name)


def tables() -> None:
    settings = ReleaseSettings()
    print("\n| release | table | kind | ρ | 95 % accuracy | threshold |")
    print("|---|---|---|---:|---:|---:|")
    for kind, mechanism in (("week", week_mechanism(settings)),
                            ("quarter", window_mechanism(settings))):  # fmt: skip
        assert mechanism is not None
        for name, t in describe(mechanism, settings, kind)["tables"].items():
            print(f"| {kind} | {name} | {t['kind']} | {t['rho']:.4f} | ±{t['accuracy95']:g} | "
                  f"{t.get('threshold', '–')} |")  # fmt: skip


def counters_repeated(cells: Counter[str], n: int) -> None:
    window = window_mechanism(ReleaseSettings())
    assert window is not None
    weeks = len(quarter_weeks(QUARTER))
    listed = sorted(cells)
    errors: dict[str, list[float]] = {c: [] for c in listed}
    for _ in range(n):
        out = window.release({WINDOW_DIM.name: Counter(), WINDOW_CELLS: cells},
                             {WINDOW_CELLS: listed})[WINDOW_CELLS]  # fmt: skip
        for cell in listed:
            errors[cell].append(abs(out[cell] - cells[cell]) / weeks)
    print(
        f"  the demo plugin's counters over {QUARTER}, error of the 13-week mean "
        "(95th percentile):"
    )
    for cell in listed:
        errs = sorted(errors[cell])
        print(f"    {cell}: mean {cells[cell] / weeks:.1f}, ±{errs[int(0.95 * n) - 1]:.2f}")


def repeated(exact: Counter[str], bounded: Counter[str], active: dict[str, int], n: int) -> None:
    settings = ReleaseSettings()
    window = window_mechanism(settings)
    assert window is not None
    weeks = len(quarter_weeks(QUARTER))
    top = sorted(exact, key=lambda p: -exact[p])[:20]
    common = [p for p, c in exact.items() if c >= 5 * weeks]
    top_ok = all_published = 0
    worst_top: list[float] = []
    for _ in range(n):
        out = window.release({WINDOW_DIM.name: bounded})[WINDOW_DIM.name]
        errors = [abs(out.get(p, 0) - exact[p]) / exact[p] for p in top]
        worst_top.append(max(errors))
        top_ok += max(errors) <= 0.10
        all_published += all(p in out for p in common)
    week = week_mechanism(settings)
    one = Mechanism(tuple(q for q in week.queries if q.name == "installs.active"), week.delta)
    some_week, ids = next(iter(active.items()))
    errs = sorted(
        abs(one.release({"installs.active": Counter({"active": ids})})["installs.active"]
            ["active"] - ids) / ids for _ in range(n)
    )  # fmt: skip
    worst_top.sort()
    print(f"\nrepeated releases at {ids:,} weekly ids ({some_week}), {n} draws each:")
    print(
        f"  top 20 plugins all within ±10 % over {QUARTER}: {top_ok}/{n} "
        f"(95th percentile of the worst error {100 * worst_top[int(0.95 * n) - 1]:.1f} %)"
    )
    print(
        f"  every plugin with a 13-week mean >= 5 ({len(common)} plugins) published: "
        f"{all_published}/{n}"
    )
    print(f"  weekly active installs, 95th percentile of the error: "
          f"{100 * errs[int(0.95 * n) - 1]:.2f} % (target 2 %)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        exact, bounded, active, cells = demo_quarter(Path(tmp), 1_000)
    print(f"demo quarter: {len(exact)} plugins, {sum(exact.values()):,} install-weeks; the bound "
          f"of {ReleaseSettings().max_plugins} plugins per id keeps "
          f"{100 * sum(bounded.values()) / sum(exact.values()):.1f} % of them")  # fmt: skip
    frontier(exact, 1_000)
    counters_frontier()
    tables()
    repeated(exact, bounded, active, args.repeat)
    counters_repeated(cells, args.repeat)


if __name__ == "__main__":
    main()
