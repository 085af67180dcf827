"""Aggregation: the calendar's weeks of raw data through the real storage in, DP releases out.

Released numbers are noisy, so checks on them are bounds: a count is within 7 noise scales of
the exact one (a miss has probability below 1e-11), a value one install reported never clears
its threshold (probability below δ). Exact checks are made on what is exact: the bounded counts
before noise, which weeks are released, and that released rows never change. The calendar of
these tests starts at OLD (``FROM_OLD``); test_ledger.py is about the calendar and the ledger.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry.schema import PUBLICATION, shift_week
from napari_telemetry_server._cli import main
from napari_telemetry_server.demo import make_batch
from napari_telemetry_server.public._aggregate import aggregate
from napari_telemetry_server.public._aggregate_rules import Denylist
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.public._release_dp import Mechanism
from napari_telemetry_server.public._release_plan import week_mechanism, window_mechanism
from napari_telemetry_server.storage import Storage, make_engine

OLD, WEEK, NOW = "2026-W47", "2026-W48", "2026-W49"  # NOW is the current week on 2026-12-03
TODAY = date(2026, 12, 3)  # a Thursday: 2026-W48 ended on Monday, its 3-day grace is over
SIGMAS = 7
FROM_OLD = ReleaseSettings(first_week=OLD)  # the release calendar starts at OLD


def uid() -> str:
    return uuid.uuid4().hex


def session(
    napari: str = "0.6.4", os_name: str = "Linux", python: str = "3.12.4"
) -> dict[str, Any]:
    return {
        "type": "session", "napari_version": napari, "python_version": python,
        "os_name": os_name, "os_version": "ubuntu-24", "arch": "x86_64", "launches": 3,
    }  # fmt: skip


def plugin(name: str, version: str = "1.0.0") -> dict[str, Any]:
    return {"type": "plugin", "name": name, "version": version}


def command(cid: str, owner: str, count: int = 2) -> dict[str, Any]:
    return {"type": "command", "command_id": cid, "plugin": owner, "count": count}


def install(storage: Storage, week: str, plugins: list[str], **kw: Any) -> str:
    """One weekly id's batches of *week*: basic on two days, middle, full."""
    user = uid()
    first = kw.pop("first_report", False)
    group = [
        make_batch("basic", user, week, [session(**kw)], first_report=first),
        make_batch("basic", user, week, [session(**kw)]),  # a second day: counted once
        make_batch("middle", user, week, [plugin(p) for p in plugins]),
        make_batch("full", user, week, [command("napari:layer:duplicate", "napari", 4)]),
    ]
    storage.insert_batches(group)
    return user


def seed_scenario(storage: Storage) -> dict[str, Any]:
    """300 installs in WEEK and in OLD (a few rare plugins), 40 in the current week NOW."""
    ids = []
    for week in (OLD, WEEK):
        for i in range(300):
            extra = ["napari-rare-two"] if i < 2 else []
            extra += ["napari-secret-lab"] if i == 0 else []
            ids.append(install(storage, week, ["napari-svg", *extra], first_report=i < 30,
                               os_name="macOS" if i < 100 else "Linux"))  # fmt: skip
    ids += [install(storage, NOW, ["napari-svg"]) for _ in range(40)]
    return {"ids": ids}


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def scale(path: Path, week: str, query: str) -> float:
    (doc,) = rows(path, f"SELECT document FROM releases WHERE period = '{week}'")[0]
    return float(json.loads(doc)["tables"][query]["noise_scale"])


def near(value: int, exact: int, sigma: float) -> bool:
    return abs(value - exact) <= SIGMAS * sigma + 1


@pytest.fixture
def scenario(storage: Storage, db_url: str, tmp_path: Path) -> dict[str, Any]:
    info = seed_scenario(storage)
    out = tmp_path / "aggregates.sqlite"
    info["report"] = aggregate(db_url, out, settings=FROM_OLD, today=TODAY)
    info.update(out=out, db_url=db_url)
    return info


def test_finished_weeks_are_released_and_the_current_week_never(
    scenario: dict[str, Any],
) -> None:
    out = scenario["out"]
    assert rows(out, "SELECT period, kind FROM releases ORDER BY 1") == [
        (OLD, "week"), (WEEK, "week")]  # fmt: skip
    assert scenario["report"].released == [OLD, WEEK]
    assert scenario["report"].waiting == [NOW]
    blob = out.read_bytes()
    assert NOW.encode() not in blob
    (active,) = rows(out, f"SELECT active_installs FROM weeks WHERE week = '{WEEK}'")[0]
    assert near(active, 300, scale(out, WEEK, "installs.active"))
    assert rows(out, "PRAGMA journal_mode") == [("delete",)]


def test_a_week_waits_for_its_grace_period(storage: Storage, db_url: str, tmp_path: Path) -> None:
    seed_scenario(storage)
    out = tmp_path / "agg.sqlite"
    report = aggregate(db_url, out, settings=FROM_OLD, today=date(2026, 12, 2))  # a day short
    assert report.released == [OLD]
    assert report.waiting == [WEEK, NOW]
    # A shorter grace is a settings change: 2026-Q4 keeps the grace of its first week.
    loose = ReleaseSettings(first_week=OLD, grace_days=0)
    report = aggregate(db_url, out, today=date(2026, 12, 2), settings=loose)
    assert report.released == []
    assert report.waiting == [WEEK, NOW]
    assert "2026-Q4 keeps those of its first released week" in "\n".join(report.lines())
    assert aggregate(db_url, out, today=TODAY, settings=loose).released == [WEEK]


def test_a_released_week_is_frozen_whatever_arrives_later(
    scenario: dict[str, Any], storage: Storage
) -> None:
    out, url = scenario["out"], scenario["db_url"]
    tables = ("releases", "weeks", "environment", "plugins", "plugin_versions", "commands",
              "layers")  # fmt: skip
    before = {t: rows(out, f"SELECT * FROM {t} ORDER BY 1, 2, 3") for t in tables}
    for _ in range(150):  # late batches for a released week: kept raw, never released
        install(storage, WEEK, ["napari-late-plugin"])
    report = aggregate(url, out, settings=FROM_OLD, today=date(2026, 12, 10))
    assert report.released == [NOW]
    after = {t: [r for r in rows(out, f"SELECT * FROM {t} ORDER BY 1, 2, 3") if NOW not in r]
             for t in tables}  # fmt: skip
    assert after == before
    assert b"napari-late-plugin" not in out.read_bytes()
    assert storage.counts()["batches"] == 4 * (600 + 40 + 150)


def test_closed_sets_release_every_value_and_open_sets_only_common_ones(
    scenario: dict[str, Any],
) -> None:
    out = scenario["out"]
    oses = dict(rows(out, f"SELECT value, installs FROM environment WHERE week = '{WEEK}' "
                          "AND dimension = 'os'"))  # fmt: skip
    assert set(oses) == {"Linux", "macOS", "Windows", "other"}  # noise on every value
    sigma = scale(out, WEEK, "environment.os")
    assert near(oses["Linux"], 200, sigma)
    assert near(oses["macOS"], 100, sigma)
    assert near(oses["Windows"], 0, sigma)
    ages = {v for (v,) in rows(out, "SELECT value FROM environment WHERE dimension = "
                                    "'install_age'")}  # fmt: skip
    assert ages == {"week", "month", "half_year", "older"}
    plugins = dict(rows(out, f"SELECT plugin, installs FROM plugins WHERE week = '{WEEK}'"))
    assert set(plugins) == {"napari-svg"}  # one or two installs never clear the threshold
    assert near(plugins["napari-svg"], 300, scale(out, WEEK, "plugins.plugin"))
    ((cid, users, calls),) = rows(out, f"SELECT command_id, users, calls FROM commands "
                                       f"WHERE week = '{WEEK}'")  # fmt: skip
    assert cid == "napari:layer:duplicate"
    assert near(users, 300, scale(out, WEEK, "commands.command"))
    assert near(calls, 1200, scale(out, WEEK, "commands.command.calls"))


def test_raw_ids_and_rare_values_never_reach_the_aggregate_file(
    scenario: dict[str, Any],
) -> None:
    blob = scenario["out"].read_bytes()
    assert all(i.encode() not in blob for i in scenario["ids"])
    assert b"napari-secret-lab" not in blob
    assert b"napari-rare-two" not in blob


def test_each_release_states_its_budget(scenario: dict[str, Any]) -> None:
    (doc,) = rows(scenario["out"], f"SELECT document FROM releases WHERE period = '{WEEK}'")[0]
    release = json.loads(doc)
    assert release["unit"] == "one weekly id in one week"
    assert release["rho"] == pytest.approx(0.35)
    assert 0 < release["epsilon"] < 10
    assert release["delta"] == 1e-7
    assert release["opendp"].startswith("0.16")
    assert sum(t["rho"] for t in release["tables"].values()) == pytest.approx(0.35, abs=1e-4)
    assert release["tables"]["plugins.plugin"]["values_per_id"] == 10
    assert release["settings"]["grace_days"] == 3


def test_a_settings_change_takes_effect_at_the_next_quarter(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    seed_scenario(storage)
    out = tmp_path / "agg.sqlite"
    first = ReleaseSettings(first_week=OLD, rho_week=0.2)
    aggregate(db_url, out, today=date(2026, 12, 2), settings=first)
    later = ReleaseSettings(first_week=OLD, rho_week=0.1)
    report = aggregate(db_url, out, today=TODAY, settings=later)
    assert "take effect in 2027-Q1 (from 2027-W01)" in "\n".join(report.lines())
    aggregate(db_url, out, today=date(2027, 1, 14), settings=later)  # 2027-W01 is over
    weekly = rows(out, "SELECT period, document FROM releases WHERE kind = 'week'")
    budgets = {p: json.loads(d)["rho"] for p, d in weekly}
    q4 = [OLD, WEEK, NOW, "2026-W50", "2026-W51", "2026-W52", "2026-W53"]
    assert budgets == {**dict.fromkeys(q4, pytest.approx(0.2)), "2027-W01": pytest.approx(0.1)}
    (q4_doc,) = rows(out, "SELECT document FROM releases WHERE period = '2026-Q4'")[0]
    assert json.loads(q4_doc)["settings"]["rho_week"] == 0.2  # the quarter's own bounds


def test_denylist_keeps_a_value_out_of_every_table(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    seed_scenario(storage)
    out = tmp_path / "agg.sqlite"
    deny = Denylist(frozenset({"napari-svg", "0.6.4"}))
    aggregate(db_url, out, settings=FROM_OLD, today=TODAY, deny=deny)
    blob = out.read_bytes()
    assert b"napari-svg" not in blob
    assert b"0.6.4" not in blob


def test_empty_raw_database_completes(tmp_path: Path) -> None:
    raw = tmp_path / "raw.sqlite"
    Storage(make_engine(raw)).engine.dispose()
    report = aggregate(raw, tmp_path / "agg.sqlite", today=TODAY)  # the calendar starts now
    assert report.released == []
    assert report.windows == []
    assert report.cells == 0
    assert report.waiting == [NOW]


def test_weeks_past_raw_retention_are_never_released(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    """A purge may have taken part of them: released late, they would be undercounts."""
    seed_scenario(storage)
    report = aggregate(db_url, tmp_path / "agg.sqlite", settings=FROM_OLD, today=date(2027, 1, 25))
    assert report.released[0] == NOW
    assert report.past_retention == [OLD, WEEK]
    assert "raw data partly past retention" in "\n".join(report.lines())


@pytest.mark.parametrize("week", ["2025-W53", "0000-W01"])
def test_a_week_that_does_not_exist_is_never_read(
    storage: Storage, db_url: str, tmp_path: Path, week: str
) -> None:
    """The wire pattern admits week 53 of a 52-week year: the calendar never names one."""
    seed_scenario(storage)
    for _ in range(5):
        install(storage, week, ["napari-svg"])
    report = aggregate(db_url, tmp_path / "agg.sqlite", settings=FROM_OLD, today=TODAY)
    assert report.released == [OLD, WEEK]
    assert report.skipped_rows == {}
    assert week.encode() not in (tmp_path / "agg.sqlite").read_bytes()


def test_an_aggregate_file_of_the_k_anonymous_format_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "agg.sqlite"
    with closing(sqlite3.connect(old)) as conn, conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('format', '1'), ('k', '5')")
    raw = tmp_path / "raw.sqlite"
    Storage(make_engine(raw)).engine.dispose()
    with pytest.raises(ValueError, match=r"format 1.*move it away"):
        aggregate(raw, old, today=TODAY)


def test_cli_aggregate_dry_run_and_a_missing_database(
    storage: Storage, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_scenario(storage)
    out = tmp_path / "agg.sqlite"
    assert main(["aggregate", "--db", db_url, "--out", str(out), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "nothing is released" in text
    assert "installs.active" in text
    assert "epsilon=" in text
    assert not out.exists()
    assert main(["aggregate", "--db", db_url, "--out", str(out)]) == 0
    assert "weeks released:" in capsys.readouterr().out
    assert main(["aggregate", "--db", str(tmp_path / "nope.sqlite"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_release_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="add up to 1"):
        ReleaseSettings(split={**ReleaseSettings().split, "layers": 0.5})
    with pytest.raises(ValueError, match=r"less than or equal to 2"):
        ReleaseSettings(rho_week=2.5)
    assert ReleaseSettings().rho_per_unit <= 0.5
    assert not ReleaseSettings().weaker_than_default
    assert ReleaseSettings(rho_week=0.8).weaker_than_default
    assert ReleaseSettings(window="none").rho_per_unit == ReleaseSettings().rho_week


def test_release_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAPARI_TELEMETRY_SERVER_RELEASE_MAX_PLUGINS", "7")
    monkeypatch.setenv("NAPARI_TELEMETRY_SERVER_RELEASE_GRACE_DAYS", "5")
    settings = ReleaseSettings()
    assert (settings.max_plugins, settings.grace_days) == (7, 5)


def test_rolling_means_are_lower_bounds_over_calendar_weeks() -> None:
    from napari_telemetry.schema import shift_week as shift
    from napari_telemetry_server.public._aggregate_weeks import rolling_means

    weeks = [shift(WEEK, -i) for i in range(6)]
    series = {w: 10 for w in weeks if w != shift(WEEK, -1)}  # one week without the value
    means = {(w, n): (m, c) for w, n, m, c in rolling_means(series, weeks, weeks[-1])}
    assert means[(WEEK, 4)] == (7.5, 4)
    assert means[(WEEK, 13)] == (8.33, 6)  # the calendar started 6 weeks ago
    assert means[(shift(WEEK, -5), 52)] == (10.0, 1)
    # A calendar week with no release at all counts as 0 and as a week: only dates decide.
    gap = {(w, n): (m, c) for w, n, m, c in rolling_means(series, [WEEK], weeks[-1])}
    assert gap[(WEEK, 4)] == (7.5, 4)
    assert shift("2026-W01", -1) == "2025-W52"
    assert shift("2026-W52", 1) == "2026-W53"


def test_denylist_and_badge_buckets() -> None:
    from napari_telemetry_server.public._aggregate_rules import bucket_range

    assert Denylist(frozenset({"napari-foo"})).denies("napari-foo.run")
    assert not Denylist(frozenset({"napari-foo"})).denies("napari-foobar")
    assert [bucket_range(v) for v in (0, 4.9, 5, 99.9, 100, 2e6)] == [
        (0, 5), (0, 5), (5, 10), (30, 100), (100, 300), (1_000_000, None)]  # fmt: skip


def test_the_publication_people_are_told_is_the_default_release() -> None:
    """What people are told (schema.PUBLICATION) is the default release, ε by OpenDP's map."""
    settings = ReleaseSettings()
    assert (settings.rho_week, settings.rho_window, settings.delta, settings.grace_days) == (
        PUBLICATION.rho_week,
        PUBLICATION.rho_window,
        PUBLICATION.delta,
        PUBLICATION.grace_days,
    )
    week, window = week_mechanism(settings), window_mechanism(settings)
    assert window is not None
    # One weekly id's week: its week's and its quarter's releases composed, at both δ's.
    unit = Mechanism(week.queries + window.queries, PUBLICATION.delta_unit).privacy()
    assert unit["rho"] == pytest.approx(PUBLICATION.rho_unit, rel=1e-6)
    assert unit["epsilon"] == pytest.approx(PUBLICATION.epsilon_unit, abs=0.005)


def test_the_yearly_figure_people_are_told_is_opendps_map_of_a_year() -> None:
    """52 week releases and four quarters of 13 weeks, for one installation present in all.

    Computed twice: here straight from OpenDP (each query's map at the installation's weekly
    ids in the release, OpenDP's composition and conversion), and by the ledger's own
    ``year`` over a year of released periods; both must be what schema.PUBLICATION says.
    """
    import opendp.prelude as dp

    from napari_telemetry_server.public._release_dp import _INPUT, _MEASURE, _UNITS
    from napari_telemetry_server.public._release_plan import describe
    from napari_telemetry_server.public.ledger import year
    from napari_telemetry_server.storage import Period

    settings = ReleaseSettings()
    week, window = week_mechanism(settings), window_mechanism(settings)
    assert window is not None
    spent = [q.measurement().map(1) for q in week.queries] * 52
    spent += [q.measurement().map(13) for q in window.queries] * 4
    composed = dp.c.make_adaptive_composition(_INPUT, _UNITS, _MEASURE, d_in=1, d_mids=spent)
    rho, selection = composed.map(1)
    # Each release's own δ, its partition selection taken at the installation's ids in it.
    conversion = [m.delta - m.privacy()["delta_selection"] for m in (week, window)]
    delta = selection + 52 * conversion[0] + 4 * conversion[1]
    epsilon, _ = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(composed), delta).map(1)
    assert rho == pytest.approx(PUBLICATION.rho_year, rel=1e-4)
    assert delta == pytest.approx(PUBLICATION.delta_year, abs=1e-4)
    assert epsilon == pytest.approx(PUBLICATION.epsilon_year, abs=0.05)

    weeks = [shift_week("2027-W01", i) for i in range(52)]
    doc = describe(week, settings, "week")
    periods = [Period(w, "week", w, w, "2027-12-31", doc, {}) for w in weeks]
    doc = describe(window, settings, "window")
    periods += [
        Period(f"q{i}", "window", weeks[13 * i], weeks[13 * i + 12], "2027-12-31", doc, {})
        for i in range(4)
    ]
    told = year(periods)
    assert told is not None
    assert (told.weeks, [n for _, n in told.quarters]) == (52, [13] * 4)
    assert (told.rho, told.delta, told.epsilon) == (
        pytest.approx(rho),
        pytest.approx(delta),
        pytest.approx(epsilon),
    )
