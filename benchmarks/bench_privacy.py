"""Privacy budget against accuracy: the frontier in docs/privacy.md, and repeated releases.

    python benchmarks/bench_privacy.py [--repeat 300]

1. The frontier: for budgets of ρ = 0.1 … 2 per weekly id and week (split as the defaults
   split 0.5: 70 % for the week's tables, 30 % for the quarter's plugin install-weeks), the
   ε it implies, and what it buys at 300, 1,000 and 10,000 weekly ids: the 95 % accuracy of
   weekly active installs, the smallest plugin a week publishes, the smallest 13-week mean a
   quarter publishes, and the error of the 20th most used plugin over a quarter. Accuracy and
   thresholds come from OpenDP's own maps; plugin shares from the demo data.
2. Repeated releases: a quarter of demo data at 1,000 weekly ids goes through the real storage
   and the bounded reads once, then the quarter's release and one week's release are drawn
   --repeat times: how often the top 20 are all within ±10 %, how often every plugin with a mean
   of at least 5 is published, the 95th percentile of the active-installs error.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from collections import Counter
from contextlib import closing
from pathlib import Path

from napari_telemetry_server.demo import DemoShape, seed
from napari_telemetry_server.public._aggregate_weeks import quarter_weeks
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.public._release_dims import DIM_BY_NAME, WINDOW_DIM
from napari_telemetry_server.public._release_dp import Mechanism
from napari_telemetry_server.public._release_plan import week_mechanism, window_mechanism
from napari_telemetry_server.public._release_read import read_bounded
from napari_telemetry_server.storage import make_engine

QUARTER = "2026-Q3"
SIZES = (300, 1_000, 10_000)
BUDGETS = (0.1, 0.25, 0.5, 1.0, 2.0)


def demo_quarter(folder: Path, ids: int) -> tuple[Counter[str], Counter[str], dict[str, int]]:
    """Exact and bounded install-weeks per plugin over the quarter, and active ids per week."""
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
    with engine.connect() as conn:
        per_week, _ = read_bounded(conn, DIM_BY_NAME["plugins.plugin"], weeks,
                                   ReleaseSettings().max_plugins, None)  # fmt: skip
    engine.dispose()
    bounded: Counter[str] = Counter()
    for counts in per_week.values():
        bounded.update(counts.ids)
    return exact, bounded, active


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
        exact, bounded, active = demo_quarter(Path(tmp), 1_000)
    print(f"demo quarter: {len(exact)} plugins, {sum(exact.values()):,} install-weeks; the bound "
          f"of {ReleaseSettings().max_plugins} plugins per id keeps "
          f"{100 * sum(bounded.values()) / sum(exact.values()):.1f} % of them")  # fmt: skip
    frontier(exact, 1_000)
    repeated(exact, bounded, active, args.repeat)


if __name__ == "__main__":
    main()
