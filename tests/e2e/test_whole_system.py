"""The whole system as a newcomer runs it: real processes, HTTP, napari and browser.

A collector process on a free port with a fresh SQLite file; napari under Xvfb with the plugin at
`full` (consent given by the CLI) ten days ago (``faketime``: a week is only released once it is
over); numpy, dask and zarr layers and two commands; `send --now` today; rows in the collector;
150 other installs of that week over HTTP (one session alone is never published: that is what
differential privacy is for); `aggregate`; `publish`; the dashboard in headless Chromium with
what they share and without what only this user did; `forget`; `disable`; and a
`DO_NOT_TRACK=1` session that makes no request at all.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry.schema import iso_week

from .e2e_support import Collector, IndexServer, dashboard_text, other_installs, require

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SESSION = ROOT / "scripts" / "demo_session.py"
INDEX_DIR = ROOT / "tests" / "napari_glue" / "data"  # a small copy of napari's public plugin index
DAYS_AGO = 10  # the session's week is over (and past its grace period) today
# libfaketime: without it Python's sleep fails with EINVAL under a shifted clock.
FAKETIME_ENV = {"FAKETIME_FORCE_MONOTONIC_FIX": "1"}

pytestmark = [pytest.mark.e2e, pytest.mark.napari, pytest.mark.gui, pytest.mark.slow]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    # Other installs of the week are posted from this one address: no rate limit in the way.
    index = INDEX_DIR / "extended_summary.json"
    with Collector(tmp_path / "collector", index, BIN, "--rate-limit", "100000") as running:
        yield running


@pytest.fixture(scope="module")
def index_url() -> Iterator[str]:
    with IndexServer(INDEX_DIR / "extended_summary.json") as url:
        yield url


@pytest.fixture
def client_env(tmp_path: Path, collector: Collector, index_url: str) -> dict[str, str]:
    """The environment of a user's napari: no test markers, so the plugin behaves as for real."""
    require(bool(os.environ.get("DISPLAY")), "no DISPLAY (run under Xvfb: scripts/dev.py test)")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "CI"}}
    env.update(
        NAPARI_TELEMETRY_DIR=str(tmp_path / "client"),
        NAPARI_TELEMETRY_URL=collector.url,
        NAPARI_TELEMETRY_INDEX_URL=index_url,
        LIBGL_ALWAYS_SOFTWARE="1",
    )
    env.pop("DO_NOT_TRACK", None)
    return env


def ago(days: int | None) -> list[str]:
    """A command prefix that runs a process with its clock *days* in the past (libfaketime)."""
    if days is None:
        return []
    require(shutil.which("faketime") is not None, "no faketime (Debian package faketime)")
    return ["faketime", "-f", f"-{days}d"]


def cli(
    env: dict[str, str], *args: str, tool: str = "napari-telemetry", days_ago: int | None = None
) -> str:
    out = subprocess.run(
        [*ago(days_ago), str(BIN / tool), *args], env={**env, **FAKETIME_ENV},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, f"{tool} {' '.join(args)}: {out.stdout}{out.stderr}"
    return out.stdout


def napari_session(env: dict[str, str], days_ago: int | None = None) -> None:
    out = subprocess.run(
        [*ago(days_ago), sys.executable, str(SESSION)], env={**env, **FAKETIME_ENV},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def pending_records(env: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    batches = json.loads(cli(env, "preview", "--json"))
    by_level: dict[str, list[dict[str, Any]]] = {}
    for batch in batches:
        by_level.setdefault(batch["level"], []).extend(batch["records"])
    return by_level


def test_whole_system(
    tmp_path: Path, collector: Collector, client_env: dict[str, str], index_url: str
) -> None:
    env = client_env
    cli(env, "enable", "--level", "full", "--days", "30", days_ago=DAYS_AGO)
    napari_session(env, days_ago=DAYS_AGO)
    week = iso_week(date.today() - timedelta(days=DAYS_AGO))

    pending = pending_records(env)
    assert sorted(pending) == ["basic", "full", "middle"]
    assert [r["type"] for r in pending["basic"]] == ["session"]
    assert {(r["name"], r["version"]) for r in pending["middle"]} >= {("napari-svg", "0.2.1")}
    commands = {(r["command_id"], r["plugin"]) for r in pending["full"] if r["type"] == "command"}
    assert commands == {
        ("napari.canvas.toggle_scale_bar", "napari"),
        ("napari-svg.svg_writer", "napari-svg"),
    }
    data_types = {r["data_type"] for r in pending["full"] if r["type"] == "layer"}
    assert data_types == {"numpy.ndarray", "dask.Array", "zarr.Array"}

    cli(env, "send", "--now")
    db = collector.db
    assert rows(db, "SELECT DISTINCT week FROM batches") == [(week,)]
    assert rows(db, "SELECT level FROM batches ORDER BY level") == [
        ("basic",),
        ("full",),
        ("middle",),
    ]
    assert rows(db, "SELECT launches FROM session_records") == [(1,)]
    assert ("napari-svg",) in rows(db, "SELECT name FROM plugin_records")
    assert rows(db, "SELECT plugin, count FROM command_records ORDER BY plugin") == [
        ("napari", 1),
        ("napari-svg", 1),
    ]
    assert pending_records(env) == {}

    site = tmp_path / "site"
    aggregates = tmp_path / "aggregates.db"
    server = "napari-telemetry-server"
    session = {
        "type": "session", "napari_version": "0.9.2", "python_version": "3.12.4",
        "os_name": "Linux", "os_version": "ubuntu-24", "arch": "x86_64", "launches": 2,
    }  # fmt: skip
    layers = [{"type": "layer", "layer_type": "Image", "data_type": t, "ndim": 3,
               "dtype": "uint8", "multiscale": False, "levels": 1, "size_bucket": 20,
               "count": 1} for t in ("numpy.ndarray", "dask.Array", "zarr.Array")]  # fmt: skip
    toggle = {"type": "command", "command_id": "napari.canvas.toggle_scale_bar",
              "plugin": "napari", "count": 2}  # fmt: skip
    svg = {"type": "plugin", "name": "napari-svg", "version": "0.2.1"}
    other_installs(collector, week, 150,
                   {"basic": [session], "middle": [svg], "full": [toggle, *layers]})  # fmt: skip
    # The release calendar starts at the week of this session (ten days ago), not at today's,
    # the week a new ledger would otherwise start from.
    calendar = {**env, "NAPARI_TELEMETRY_SERVER_RELEASE_FIRST_WEEK": week}
    released = cli(calendar, "aggregate", "--db", str(db), "--out", str(aggregates), tool=server)
    assert f"weeks released: 1 ({week} to {week})" in released
    cli(env, "publish", "--aggregates", str(aggregates), "--out", str(site), tool=server)
    page_text = dashboard_text(site / "index.html")
    for shown in (week, "napari-svg", "napari.canvas.toggle_scale_bar", "dask.Array",
                  "zarr.Array"):  # fmt: skip
        assert shown in page_text, shown
    assert "napari-svg.svg_writer" not in page_text  # only this user ran it: never published

    assert_nothing_private(tmp_path, collector)

    ids = [line.split()[-1] for line in cli(env, "ids").splitlines() if "W" in line]
    assert any(
        rows(db, f"SELECT 1 FROM batches WHERE user_id = '{i}'") for i in ids if len(i) == 32
    )
    cli(env, "forget")
    mine = ", ".join(f"'{i}'" for i in ids if len(i) == 32)
    assert rows(db, f"SELECT COUNT(*) FROM batches WHERE user_id IN ({mine})") == [(0,)]
    assert rows(db, "SELECT COUNT(*) FROM batches") == [(3 * 150,)]  # the others' stay
    assert rows(db, "SELECT COUNT(*) FROM command_records WHERE plugin = 'napari-svg'") == [(0,)]

    napari_session(env)  # a second launch, then the user switches it all off
    assert pending_records(env) != {}
    cli(env, "disable")
    assert pending_records(env) == {}
    assert "none" in cli(env, "status").lower()


def test_do_not_track_session_makes_no_request(
    collector: Collector, client_env: dict[str, str]
) -> None:
    env = client_env
    cli(env, "enable", "--level", "full")
    env["DO_NOT_TRACK"] = "1"
    before = collector.requests()
    napari_session(env)
    sent = subprocess.run([str(BIN / "napari-telemetry"), "send", "--now"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert sent.returncode == 1, sent.stdout  # asked to send, and nothing may be: not done
    assert "telemetry is off: DO_NOT_TRACK is set" in sent.stdout
    assert "DO_NOT_TRACK" in cli(env, "status")
    assert collector.requests() == before
    assert rows(collector.db, "SELECT COUNT(*) FROM batches") == [(0,)]


def assert_nothing_private(tmp_path: Path, collector: Collector) -> None:
    """No layer or file name, path, host name or IP address in any file either side wrote."""
    secrets = ["patient-0042", "confidential-stack", str(tmp_path)]
    if len(socket.gethostname()) >= 6:  # a short name ("vm") is found in any minified script
        secrets.append(socket.gethostname())
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" or p.parent.name in {"basic", "full"} for p in written)
    for path in written:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret!r} in {path.name}"
        if collector.db.parent in path.parents:
            assert b"127.0.0.1" not in data, f"an IP address in the collector's {path.name}"
