"""Aggregation: raw batches through the real storage in, thresholded weekly tables out."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry_server._aggregate import aggregate
from napari_telemetry_server._aggregate_rules import Denylist
from napari_telemetry_server._cli import main
from napari_telemetry_server._demo_data import make_batch
from napari_telemetry_server._storage import Storage, make_engine

WEEK, QUIET = "2026-W48", "2026-W47"


def uid() -> str:
    return uuid.uuid4().hex


def session(
    napari: str = "0.6.4", python: str = "3.12.4", os_name: str = "Linux"
) -> dict[str, Any]:
    return {
        "type": "session", "napari_version": napari, "python_version": python,
        "os_name": os_name, "os_version": "ubuntu-24", "arch": "x86_64", "launches": 3,
    }  # fmt: skip


def plugin(name: str, version: str = "1.0.0") -> dict[str, Any]:
    return {"type": "plugin", "name": name, "version": version}


def command(cid: str, owner: str, count: int = 2) -> dict[str, Any]:
    return {"type": "command", "command_id": cid, "plugin": owner, "count": count}


def seed_scenario(storage: Storage) -> dict[str, Any]:
    """Week 48: 12 installs; week 47: 3 installs (below k=5). Returns the ids used."""
    ids = [uid() for _ in range(12)]
    for i, user in enumerate(ids):
        napari = "0.5.6" if i == 0 else ("0.7.0" if i < 4 else "0.6.4")
        python = "3.12.8" if i % 2 else "3.12.4"  # both count as 3.12
        age = "week" if i < 5 else "older"
        first = make_batch("basic", user, WEEK, [session(napari, python)], first_report=i < 5,
                           install_age=age)  # fmt: skip
        storage.insert_batch(first)
        # A second day of the same week: the same id, counted once.
        storage.insert_batch(make_batch("basic", user, WEEK, [session(napari, python)]))
        plugins = [plugin("napari-svg", "1.0.0" if i < 8 else "1.1.0")]
        if i < 2:
            plugins.append(plugin("napari-rare-two"))
        if i == 0:
            plugins.append(plugin("napari-secret-lab"))
        if i in (2, 3, 4):
            plugins.append(plugin("napari-three"))
        storage.insert_batch(make_batch("middle", user, WEEK, plugins))
        records = [command("napari:window:file:open_files_dialog", "napari", 4)]
        if i < 3:
            records.append(command("napari:layer:duplicate", "napari", 1))
        storage.insert_batch(make_batch("full", user, WEEK, records))
    quiet = [uid() for _ in range(3)]
    for user in quiet:
        storage.insert_batch(make_batch("basic", user, QUIET, [session()]))
        storage.insert_batch(make_batch("middle", user, QUIET, [plugin("napari-svg")]))
    return {"ids": ids + quiet}


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def scenario(storage: Storage, db_url: str, tmp_path: Path) -> dict[str, Any]:
    info = seed_scenario(storage)
    out = tmp_path / "aggregates.sqlite"
    info["report"] = aggregate(db_url, out)
    info["out"] = out
    info["db_url"] = db_url
    return info


def test_weekly_installs_new_installs_and_the_week_below_k(scenario: dict[str, Any]) -> None:
    weeks = rows(scenario["out"], "SELECT week, status, active_installs, new_installs FROM weeks")
    assert sorted(weeks) == [(QUIET, "below_threshold", None, None), (WEEK, "published", 12, 5)]
    for table in ("environment", "plugins", "plugin_versions", "commands", "layers"):
        assert rows(scenario["out"], f"SELECT * FROM {table} WHERE week = '{QUIET}'") == []
    assert scenario["report"].below_threshold == [QUIET]


def test_environment_folds_rare_values_and_counts_python_minor(scenario: dict[str, Any]) -> None:
    env = rows(scenario["out"], "SELECT dimension, value, installs FROM environment ORDER BY 1, 2")
    assert ("napari_version", "0.6.4", 8) in env
    # 0.5.6 (1 install) and 0.7.0 (3) are each below k; together they are 4, still below: gone.
    assert not [r for r in env if r[0] == "napari_version" and r[1] in ("0.5.6", "0.7.0", "other")]
    assert ("python_version", "3.12", 12) in env
    assert ("install_age", "week", 5) in env
    assert ("install_age", "older", 7) in env


def test_rare_plugins_fold_into_other_counted_by_distinct_ids(scenario: dict[str, Any]) -> None:
    plugins = dict(rows(scenario["out"], "SELECT plugin, installs FROM plugins"))
    # rare-two (ids 0, 1), secret-lab (id 0), three (ids 2, 3, 4): 5 distinct ids, not 6.
    assert plugins == {"napari-svg": 12, "other": 5}
    versions = rows(scenario["out"], "SELECT plugin, version, installs FROM plugin_versions")
    assert sorted(versions) == [("napari-svg", "1.0.0", 8)]  # 1.1.0 has 4: suppressed


def test_commands_per_owning_plugin(scenario: dict[str, Any]) -> None:
    cmds = rows(scenario["out"], "SELECT plugin, command_id, users, calls FROM commands")
    assert cmds == [("napari", "napari:window:file:open_files_dialog", 12, 48)]


def test_raw_ids_never_reach_the_aggregate_file(scenario: dict[str, Any]) -> None:
    blob = scenario["out"].read_bytes()
    assert all(i.encode() not in blob for i in scenario["ids"])
    assert b"napari-secret-lab" not in blob
    assert rows(scenario["out"], "PRAGMA journal_mode") == [("delete",)]


def test_idempotent_per_week_and_old_weeks_are_kept(
    scenario: dict[str, Any], storage: Storage
) -> None:
    out, url = scenario["out"], scenario["db_url"]
    before = rows(out, "SELECT * FROM plugins ORDER BY 1, 2")
    aggregate(url, out, today=date(2026, 11, 28))
    assert rows(out, "SELECT * FROM plugins ORDER BY 1, 2") == before
    for _ in range(3):  # week 47 now has 6 installs: republished as a whole
        user = uid()
        storage.insert_batch(make_batch("basic", user, QUIET, [session()]))
        storage.insert_batch(make_batch("middle", user, QUIET, [plugin("napari-svg")]))
    storage.forget(scenario["ids"][:12])  # week 48 has left the raw database
    aggregate(url, out, today=date(2026, 11, 28))
    assert rows(out, f"SELECT status, active_installs FROM weeks WHERE week='{QUIET}'") == [
        ("published", 6)
    ]
    assert rows(
        out, f"SELECT installs FROM plugins WHERE week='{WEEK}' AND plugin='napari-svg'"
    ) == [(12,)]


def test_weeks_past_raw_retention_are_kept_unless_named(scenario: dict[str, Any]) -> None:
    out, url = scenario["out"], scenario["db_url"]
    engine = make_engine(url)
    Storage(engine).forget(scenario["ids"][:6])  # as if purge had taken part of week 48
    engine.dispose()
    later = date(2027, 3, 1)  # week 48 of 2026 began more than 60 days before
    report = aggregate(url, out, today=later)
    assert report.kept == [QUIET, WEEK]
    assert "weeks kept as they were" in "\n".join(report.lines())
    assert rows(out, f"SELECT active_installs FROM weeks WHERE week='{WEEK}'") == [(12,)]
    aggregate(url, out, today=later, weeks=[WEEK])  # the operator insists
    assert rows(out, f"SELECT active_installs FROM weeks WHERE week='{WEEK}'") == [(6,)]


def test_rolling_means_cover_known_weeks(scenario: dict[str, Any]) -> None:
    means = rows(
        scenario["out"],
        "SELECT window, mean_installs, weeks_covered FROM rolling_installs "
        f"WHERE week='{WEEK}' ORDER BY 1",
    )
    assert means == [(4, 6.0, 2), (13, 6.0, 2), (52, 6.0, 2)]  # (12 + 0 below k) / 2


def test_denylist_keeps_a_value_out_of_every_table(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    seed_scenario(storage)
    out = tmp_path / "agg.sqlite"
    aggregate(db_url, out, deny=Denylist(frozenset({"napari-svg", "0.6.4"})))
    blob = out.read_bytes()
    assert b"napari-svg" not in blob
    assert b"0.6.4" not in blob


def test_empty_raw_database_completes(tmp_path: Path) -> None:
    raw = tmp_path / "raw.sqlite"
    Storage(make_engine(raw)).engine.dispose()
    report = aggregate(raw, tmp_path / "agg.sqlite")
    assert report.published == []
    assert report.skipped_tables == {}
    assert report.cells == 0


def test_partially_corrupt_raw_database_reports_what_it_skipped(tmp_path: Path) -> None:
    raw = tmp_path / "raw.sqlite"
    engine = make_engine(raw)
    seed_scenario(Storage(engine))
    engine.dispose()
    with closing(sqlite3.connect(raw)) as conn, conn:
        conn.execute("DROP TABLE command_records")
        conn.execute("UPDATE session_records SET week = 'garbage' WHERE rowid IN "
                     "(SELECT rowid FROM session_records LIMIT 2)")  # fmt: skip
    report = aggregate(raw, tmp_path / "agg.sqlite")
    assert report.published == [WEEK]
    assert "command_records" in report.skipped_tables
    assert report.skipped_rows == {"session_records": 2}
    text = "\n".join(report.lines())
    assert "skipped 2 malformed rows in session_records" in text
    assert "skipped table command_records" in text
    assert rows(tmp_path / "agg.sqlite", "SELECT installs FROM plugins WHERE plugin='napari-svg'")


@pytest.mark.parametrize("week", ["2025-W53", "0000-W01", "0001-W01"])
def test_a_week_that_does_not_exist_is_a_malformed_row(
    storage: Storage, db_url: str, tmp_path: Path, week: str
) -> None:
    """The wire pattern admits week 53 of a 52-week year: one such batch must not stop a run."""
    seed_scenario(storage)
    for _ in range(5):
        user = uid()
        storage.insert_batch(make_batch("basic", user, week, [session()]))
        storage.insert_batch(make_batch("middle", user, week, [plugin("napari-svg")]))
    report = aggregate(db_url, tmp_path / "agg.sqlite")
    assert report.published == [WEEK]
    assert report.skipped_rows == {"batches": 5, "session_records": 5, "plugin_records": 5}
    assert week not in {w for (w,) in rows(tmp_path / "agg.sqlite", "SELECT week FROM weeks")}


def test_cli_k_option_and_a_missing_database(
    storage: Storage, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_scenario(storage)
    out = tmp_path / "agg.sqlite"
    assert main(["aggregate", "--db", db_url, "--out", str(out), "--k", "13"]) == 0
    assert rows(out, "SELECT status FROM weeks") == [("below_threshold",), ("below_threshold",)]
    assert "weeks below the threshold" in capsys.readouterr().out
    assert main(["aggregate", "--db", str(tmp_path / "nope.sqlite"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["aggregate", "--db", db_url, "--out", str(out), "--k", "0"]) == 2
    assert "k must be at least 1" in capsys.readouterr().err
    assert main(["aggregate", "--db", db_url, "--out", str(out), "--k", "1"]) == 0
    assert "local tests only" in capsys.readouterr().out
    assert ("napari-secret-lab", 1) in rows(out, "SELECT plugin, installs FROM plugins")


def test_pure_rules_fold_recount_and_buckets() -> None:
    from napari_telemetry_server._aggregate_rules import (
        Cell,
        bucket_range,
        count_folded,
        finish,
        plan_fold,
    )

    cells = [Cell(WEEK, "a", "", 9, 9), Cell(WEEK, "b", "", 3, 3), Cell(WEEK, "c", "", 3, 3),
             Cell(WEEK, "other", "", 1, 1)]  # fmt: skip
    plan = plan_fold(cells, k=5, deny=Denylist(frozenset({"A"})))
    assert plan.kept == []  # "a" is denied: folded although large
    rows = [(WEEK, "a", "", f"id{i}", 1) for i in range(9)]
    rows += [(WEEK, "b", "", "id0", 1), (WEEK, "c", "", "id0", 1), (WEEK, "other", "", "x", 1)]
    folded = count_folded(rows, plan.fold)
    assert folded == [Cell(WEEK, "other", "", 10, 12)]  # id0 counted once
    assert finish(plan, folded, k=11) == []
    assert Denylist(frozenset({"napari-foo"})).denies("napari-foo.run")
    assert not Denylist(frozenset({"napari-foo"})).denies("napari-foobar")
    assert [bucket_range(v) for v in (0, 4.9, 5, 99.9, 100, 2e6)] == [
        (0, 5), (0, 5), (5, 10), (30, 100), (100, 300), (1_000_000, None)]  # fmt: skip


def test_rolling_means_are_lower_bounds_over_known_weeks() -> None:
    from napari_telemetry_server._aggregate_weeks import rolling_means, shift

    weeks = [shift(WEEK, -i) for i in range(6)]
    series = {w: 10 for w in weeks if w != shift(WEEK, -1)}  # one week below k
    means = {(w, n): (m, c) for w, n, m, c in rolling_means(series, weeks)}
    assert means[(WEEK, 4)] == (7.5, 4)
    assert means[(WEEK, 13)] == (8.33, 6)
    assert means[(shift(WEEK, -5), 52)] == (10.0, 1)
    assert shift("2026-W01", -1) == "2025-W52"
    assert shift("2026-W52", 1) == "2026-W53"


def test_every_plugin_cell_matches_a_brute_force_count(tmp_path: Path) -> None:
    from napari_telemetry_server._demo import seed
    from napari_telemetry_server._demo_data import DemoShape

    raw, out = tmp_path / "raw.sqlite", tmp_path / "agg.sqlite"
    seed(raw, DemoShape(weeks=3, first_week_users=60, last_week_users=120), last_week=WEEK)
    aggregate(raw, out)
    ids: dict[tuple[str, str], set[str]] = {}
    for week, name, user in rows(raw, "SELECT week, name, user_id FROM plugin_records"):
        ids.setdefault((week, name), set()).add(user)
    published = rows(out, "SELECT week, plugin, installs FROM plugins")
    shown = {(w, p) for w, p, _ in published}
    for week, plugin, installs in published:
        if plugin == "other":
            rare = set().union(
                *(u for (w, p), u in ids.items() if w == week and (w, p) not in shown)
            )
            assert installs == len(rare) >= 5
        else:
            assert installs == len(ids[(week, plugin)]) >= 5
    assert {w for w, _ in ids} == {w for w, _ in shown}
    assert any(p == "other" for _, p in shown)


@pytest.mark.parametrize(
    ("table", "raw_sql"),
    [
        ("plugin_versions", "SELECT week, name, version, user_id FROM plugin_records"),
        ("commands", "SELECT week, plugin, command_id, user_id FROM command_records"),
    ],
)
def test_two_dimensional_cells_match_a_brute_force_count(
    tmp_path: Path, table: str, raw_sql: str
) -> None:
    from napari_telemetry_server._demo import seed
    from napari_telemetry_server._demo_data import DemoShape

    raw, out = tmp_path / "raw.sqlite", tmp_path / "agg.sqlite"
    seed(raw, DemoShape(weeks=2, first_week_users=150, last_week_users=200), last_week=WEEK)
    aggregate(raw, out)
    ids: dict[tuple[str, str, str], set[str]] = {}
    for week, a, b, user in rows(raw, raw_sql):
        ids.setdefault((week, a, b), set()).add(user)
    second, count = (
        ("version", "installs") if table == "plugin_versions" else ("command_id", "users")
    )
    published = rows(out, f"SELECT week, plugin, {second}, {count} FROM {table}")
    shown = {(w, a, b) for w, a, b, _ in published}
    folded = 0
    for week, a, b, users in published:
        if b == "other":
            folded += 1
            rest = [
                u for (w, x, y), u in ids.items() if (w, x) == (week, a) and (w, x, y) not in shown
            ]
            assert users == len(set().union(*rest)) >= 5
        else:
            assert users == len(ids[(week, a, b)]) >= 5
    assert folded > 0
