"""The release calendar and the ledger: what is released, and when, never depends on the data,
and nothing released is ever released again (SQLite and PostgreSQL alike).

The raw data of these tests is small: the calendar, the ledger and the aggregate file are what is
checked, exactly; noisy numbers only within 7 noise scales.
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry_server._cli import main
from napari_telemetry_server.public._aggregate import aggregate
from napari_telemetry_server.public._aggregate_weeks import quarter_weeks, week_end
from napari_telemetry_server.public._publish import publish
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.storage import (
    AlreadyReleased,
    Ledger,
    Storage,
    make_engine,
)
from tests.public.test_aggregate import install

W1, W2, W3, W4 = "2026-W45", "2026-W46", "2026-W47", "2026-W48"
CALENDAR = ReleaseSettings(first_week=W1)


def day_of(week: str) -> date:
    """The day a week is released by the daily job: its Monday after, plus the 3-day grace."""
    return week_end(week) + timedelta(days=3)


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def ledger_of(db_url: str) -> list[Any]:
    engine = make_engine(db_url)
    try:
        return Ledger(engine).periods()
    finally:
        engine.dispose()


def test_an_empty_week_is_released_on_its_day_as_noisy_zeros(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    for _ in range(40):
        install(storage, W1, ["napari-svg"])
    out = tmp_path / "agg.sqlite"
    report = aggregate(db_url, out, settings=CALENDAR, today=day_of(W2))
    assert report.released == [W1, W2]  # W2 has no batch at all
    ((active, doc),) = rows(out, f"SELECT active_installs, document FROM weeks JOIN releases "
                                 f"ON period = week WHERE week = '{W2}'")  # fmt: skip
    sigma = json.loads(doc)["tables"]["installs.active"]["noise_scale"]
    assert 0 <= active <= 7 * sigma
    oses = {v for (v,) in rows(out, f"SELECT value FROM environment WHERE week = '{W2}' "
                                    "AND dimension = 'os'")}  # fmt: skip
    assert oses == {"Linux", "macOS", "Windows", "other"}  # closed sets: every value, noised
    assert rows(out, f"SELECT * FROM plugins WHERE week = '{W2}'") == []
    covered = dict(rows(out, f"SELECT window, weeks_covered FROM rolling_installs "
                             f"WHERE week = '{W2}'"))  # fmt: skip
    assert covered == {4: 2, 13: 2, 52: 2}  # calendar weeks since the first: dates decide


def test_a_late_batch_changes_no_published_byte_of_an_earlier_period(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    """W2 is released empty; three weeks later one install uploads for it; nothing moves."""
    for week in (W1, W3, W4):
        for _ in range(30):
            install(storage, week, ["napari-svg"])
    out, site = tmp_path / "agg.sqlite", tmp_path / "site"
    aggregate(db_url, out, settings=CALENDAR, today=day_of(W2))
    publish(out, site)
    before = json.loads((site / "aggregates.json").read_text())
    install(storage, W2, ["napari-svg"])  # late, after W2's release
    report = aggregate(db_url, out, settings=CALENDAR, today=day_of(W4))
    assert report.released == [W3, W4]
    publish(out, site)
    after = json.loads((site / "aggregates.json").read_text())

    def early(document: dict[str, Any]) -> dict[str, Any]:
        tables = {
            name: [r for r in table if r.get("week") in (W1, W2)]
            for name, table in document["tables"].items()
        }
        return {"releases": [r for r in document["releases"] if r["period"] in (W1, W2)],
                "tables": tables}  # fmt: skip

    assert early(after) == early(before)  # the rolling means of W1 and W2 included


def test_a_lost_or_restored_aggregate_file_is_rebuilt_from_the_ledger_byte_for_byte(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    for week in (W1, W2, W3):
        for _ in range(30):
            install(storage, week, ["napari-svg", "napari-animation"])
    out = tmp_path / "agg.sqlite"
    aggregate(db_url, out, settings=CALENDAR, today=day_of(W1))
    backup = tmp_path / "backup.sqlite"
    shutil.copy(out, backup)  # a backup taken before later releases
    for week in (W2, W3):
        aggregate(db_url, out, settings=CALENDAR, today=day_of(week))
    published, ledger = out.read_bytes(), ledger_of(db_url)
    for _ in range(50):  # late data for every released week, which a re-release would show
        install(storage, W2, ["napari-late"])
    out.unlink()  # a lost disk
    assert aggregate(db_url, out, settings=CALENDAR, today=day_of(W3)).released == []
    assert out.read_bytes() == published
    shutil.copy(backup, out)  # a restored backup
    assert aggregate(db_url, out, settings=CALENDAR, today=day_of(W3)).released == []
    assert out.read_bytes() == published
    assert ledger_of(db_url) == ledger
    assert b"napari-late" not in published


def test_an_aggregate_file_that_disagrees_with_the_ledger_names_the_period(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    for _ in range(30):
        install(storage, W1, ["napari-svg"])
    out = tmp_path / "agg.sqlite"
    aggregate(db_url, out, settings=CALENDAR, today=day_of(W1))
    with closing(sqlite3.connect(out)) as conn, conn:
        conn.execute(f"UPDATE weeks SET active_installs = active_installs + 1 WHERE week = '{W1}'")
    with pytest.raises(ValueError, match=rf"on {W1} \(its numbers in weeks\); nothing was rel"):
        aggregate(db_url, out, settings=CALENDAR, today=day_of(W2))
    with closing(sqlite3.connect(out)) as conn, conn:
        conn.execute(f"UPDATE weeks SET active_installs = active_installs - 1 WHERE week = '{W1}'")
        conn.execute("UPDATE releases SET document = replace(document, '\"rho\"', '\"rh0\"')")
    with pytest.raises(ValueError, match=rf"on {W1} \(its document\)"):
        aggregate(db_url, out, settings=CALENDAR, today=day_of(W2))
    assert [p.period for p in ledger_of(db_url)] == [W1]  # W2 was due, and was not released
    out.unlink()
    assert aggregate(db_url, out, settings=CALENDAR, today=day_of(W2)).released == [W2]


def test_releases_the_ledger_lacks_are_refused_until_adopted(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    """A file made before the ledger existed (or a raw database restored from an old backup)."""
    for _ in range(30):
        install(storage, W1, ["napari-svg"])
    out = tmp_path / "agg.sqlite"
    other = tmp_path / "other-raw.sqlite"
    Storage(make_engine(other)).engine.dispose()
    aggregate(other, out, settings=CALENDAR, today=day_of(W2))  # another ledger's W1 and W2
    with closing(sqlite3.connect(out)) as conn, conn:  # as a file of the version before
        conn.execute("DELETE FROM meta WHERE key = 'first_week'")
    published = rows(out, "SELECT * FROM releases ORDER BY period")
    with pytest.raises(ValueError, match=rf"holds {W1} and 1 more, which the ledger .* --adopt"):
        aggregate(db_url, out, today=day_of(W3))
    report = aggregate(db_url, out, today=day_of(W3), adopt=True)
    assert "adopted 2 releases and 0 public keys" in "\n".join(report.lines())
    assert report.released == [W3]  # the calendar goes on after them: W1, W2 never again
    assert rows(out, f"SELECT * FROM releases WHERE period != '{W3}' ORDER BY period") == published
    assert [p.period for p in ledger_of(db_url)] == [W1, W2, W3]


def test_the_calendar_never_moves(storage: Storage, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "agg.sqlite"
    aggregate(db_url, out, settings=CALENDAR, today=day_of(W1))
    moved = ReleaseSettings(first_week=W3)
    with pytest.raises(ValueError, match=rf"starts at {W1}, but the setting FIRST_WEEK says {W3}"):
        aggregate(db_url, out, settings=moved, today=day_of(W2))
    # Without the setting the ledger's calendar goes on; by default it starts the week it is made.
    assert aggregate(db_url, out, today=day_of(W2)).released == [W2]
    fresh = tmp_path / "fresh.sqlite"
    Storage(make_engine(fresh)).engine.dispose()
    report = aggregate(fresh, tmp_path / "fresh-agg.sqlite", today=day_of(W2))
    assert (report.released, report.waiting) == ([], [W3])


def test_purge_and_forget_never_touch_the_ledger(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    users = [install(storage, W1, ["napari-svg"]) for _ in range(30)]
    aggregate(db_url, tmp_path / "agg.sqlite", settings=CALENDAR, today=day_of(W1))
    engine = make_engine(db_url)
    ledger = Ledger(engine)
    kept = (ledger.periods(), ledger.keys(), ledger.meta(), ledger.partials("2026-Q4"))
    storage.forget(users[:5])
    storage.purge(day_of(W1) + timedelta(days=400))  # every raw batch is gone
    assert storage.counts()["batches"] == 0
    assert (ledger.periods(), ledger.keys(), ledger.meta(), ledger.partials("2026-Q4")) == kept
    engine.dispose()


def test_a_period_is_written_once(storage: Storage, db_url: str, tmp_path: Path) -> None:
    """Two runs at once compute the same week: the second's release is refused, not kept."""
    aggregate(db_url, tmp_path / "agg.sqlite", settings=CALENDAR, today=day_of(W1))
    engine = make_engine(db_url)
    ledger = Ledger(engine)
    (period,) = ledger.periods()
    with pytest.raises(AlreadyReleased, match=f"already holds {W1}"):
        ledger.record(period)
    assert ledger.periods() == [period]
    engine.dispose()


def test_a_quarter_is_calibrated_to_the_bounds_its_weeks_were_counted_under(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    """Weeks counted at max_plugins = 50, the setting then lowered to 10 before the quarter.

    Each weekly id reports 60 plugins. The stored rows allow at most 50 per id and week; the
    quarter's document states that bound and the ρ that OpenDP's map gives at it.
    """
    import opendp.prelude as dp

    from napari_telemetry_server.public._release_dp import _COUNTS, _INPUT, _UNITS

    weeks = quarter_weeks("2026-Q3")[-3:]
    many = [f"napari-p{i:02d}" for i in range(60)]
    for week in weeks:
        for _ in range(20):
            install(storage, week, many)
    out = tmp_path / "agg.sqlite"
    wide = ReleaseSettings(first_week=weeks[0], max_plugins=50)
    aggregate(db_url, out, settings=wide, today=day_of(weeks[0]))
    narrow = ReleaseSettings(max_plugins=10)
    report = aggregate(db_url, out, settings=narrow, today=day_of(weeks[-1]))
    assert (report.released, report.windows) == (weeks[1:], ["2026-Q3"])
    docs = {p: json.loads(d) for p, d in rows(out, "SELECT period, document FROM releases")}
    bounds = {
        p: d["tables"].get("plugins.plugin", {}).get("values_per_id") for p, d in docs.items()
    }
    assert bounds == {**dict.fromkeys(weeks, 50), "2026-Q3": None}
    with (
        closing(sqlite3.connect(tmp_path / "raw.sqlite"))
        if "://" not in db_url
        else _pg(db_url) as conn
    ):
        found = conn.execute(
            "SELECT max(n) FROM (SELECT count(DISTINCT name) AS n FROM plugin_records "
            "GROUP BY user_id, week) AS per_id_week"
        ).fetchone()[0]
    largest = min(found, max(b for b in bounds.values() if b))  # what the stored rows allow
    assert largest == 50
    quarter = docs["2026-Q3"]["tables"]["plugin_windows.plugin"]
    assert quarter["values_per_id"] == largest
    counts = dp.t.make_user_transformation(
        _INPUT, _UNITS, _COUNTS, dp.l02inf_distance(dp.absolute_distance(T=dp.i64)),
        function=lambda data: data, stability_map=lambda d: (d * largest, d * largest, d),
    )  # fmt: skip
    measured = counts >> dp.m.then_gaussian_threshold(quarter["noise_scale"], quarter["threshold"])
    rho, delta = measured.map(1)
    assert rho == pytest.approx(quarter["rho"], rel=1e-3)
    tables = docs["2026-Q3"]["tables"].values()  # the quarter's: plugins' and counters'
    assert docs["2026-Q3"]["rho"] == pytest.approx(sum(t["rho"] for t in tables), rel=1e-3)
    assert delta <= quarter["delta"]
    assert not math.isclose(rho, 0.12 * 10 / 50, rel_tol=0.1)  # what "10" would have claimed


def _pg(url: str) -> Any:
    """A DBAPI connection to the PostgreSQL *url* (for the same SQL as on SQLite)."""
    engine = make_engine(url)
    raw = engine.raw_connection()

    class Closing:
        def __enter__(self) -> Any:
            return raw.cursor()

        def __exit__(self, *exc: object) -> None:
            raw.close()
            engine.dispose()

    return Closing()


def test_a_certificates_key_outlives_the_aggregate_file(
    storage: Storage, db_url: str, tmp_path: Path
) -> None:
    from napari_telemetry_server.public._certify import key_id, load_or_create_key, record_key

    out = tmp_path / "agg.sqlite"
    aggregate(db_url, out, settings=CALENDAR, today=day_of(W1))
    key = load_or_create_key(tmp_path / "signing.pem")[0].public_key()
    record_key(db_url, out, key, day_of(W1))
    assert rows(out, "SELECT key_id FROM public_keys") == [(key_id(key),)]
    out.unlink()
    aggregate(db_url, out, settings=CALENDAR, today=day_of(W2))
    assert rows(out, "SELECT key_id FROM public_keys") == [(key_id(key),)]


def test_the_ledger_verb_prints_each_period_and_a_year(
    storage: Storage, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weeks = quarter_weeks("2026-Q3")[-2:]
    for week in weeks:
        for _ in range(20):
            install(storage, week, ["napari-svg"])
    settings = ReleaseSettings(first_week=weeks[0])
    aggregate(db_url, tmp_path / "agg.sqlite", settings=settings, today=day_of(weeks[-1]))
    assert main(["ledger", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert f"release calendar from {weeks[0]}" in out
    for week in weeks:
        assert f"{week}  week    {week} " in out
        assert "0.35    4.711    1e-07" in out
    assert f"2026-Q3   window  {weeks[0]}..{weeks[1]}" in out
    assert "is in 2 week releases and in the quarters 2026-Q3 (2 weeks): in all ρ = " in out
    nothing = tmp_path / "not-a-ledger.sqlite"
    sqlite3.connect(nothing).close()
    assert main(["ledger", "--db", str(nothing)]) == 2
    assert "no ledger in this database" in capsys.readouterr().err
