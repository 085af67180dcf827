"""Computers without internet: ``export FILE`` there, ``send --file FILE`` on a connected one, with
the real CLI in its own processes and the real collector. The exported file is exactly what
``preview --json`` showed, the batches leave the offline computer's queue, the courier needs no
napari and no consent of its own, and a file sent twice is stored once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest

from e2e.e2e_support import BIN, INDEX, Collector

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")


def _env(folder: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "CI"}}
    env.update(NAPARI_TELEMETRY_DIR=str(folder), NAPARI_TELEMETRY_URL=url,
               NAPARI_TELEMETRY_INDEX_URL="off")  # fmt: skip
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "napari-telemetry"), *args], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def _record(env: dict[str, str]) -> None:
    """A session and a command today, and a session of a finished day (three days ago)."""
    code = (
        "import datetime\n"
        "from napari_telemetry.core import telemetry, _paths\n"
        "r = telemetry.recorder()\n"
        f"r.count('session', {SESSION!r})\n"
        "r.flush(timeout=5)\n"
        "day = (datetime.date.today() - datetime.timedelta(days=3)).isoformat()\n"
        "for p in _paths.pending_dir().glob('*/*.jsonl'):\n"
        "    p.rename(p.with_name(day + '.jsonl'))\n"
        f"r.count('session', {SESSION!r})\n"
        "r.count('command', ('napari.layer.new', 'napari'), 3)\n"
        "r.flush(timeout=5)\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def _stored(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return sorted(r[0] for r in conn.execute("SELECT batch_id FROM batches"))


def test_export_there_send_here_once(tmp_path: Path) -> None:
    offline = _env(tmp_path / "offline", "http://127.0.0.1:9/{level}")  # no network at all
    assert cli(offline, "enable", "--level", "full").returncode == 0
    _record(offline)
    shown = json.loads(cli(offline, "preview", "--json").stdout)
    assert len(shown) == 3  # basic of the finished day; basic and full of today
    exported = tmp_path / "usb" / "telemetry.json"
    exported.parent.mkdir()
    done = cli(offline, "export", str(exported))
    assert "3 batch(es), 3 record(s) exported and handed over" in done.stdout, done.stdout
    assert json.loads(exported.read_text()) == shown  # exactly what preview --json showed
    assert json.loads(cli(offline, "preview", "--json").stdout) == []  # handed over
    assert "Nothing was due" in cli(offline, "send", "--now").stdout  # never sent from here
    again = cli(offline, "export", str(exported))
    assert again.returncode == 1
    assert "exists already" in again.stderr

    with Collector(tmp_path / "collector", INDEX) as collector:
        courier = _env(tmp_path / "courier", collector.url)  # no consent, no napari needed
        sent = cli(courier, "send", "--file", str(exported))
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "3 batch(es) stored, 0 already there, 0 refused" in sent.stdout
        assert _stored(collector.db) == sorted(b["batch_id"] for b in shown)
        twice = cli(courier, "send", "--file", str(exported))
        assert "0 batch(es) stored, 3 already there" in twice.stdout, twice.stdout
        assert len(_stored(collector.db)) == 3  # idempotent by batch id


def test_the_courier_says_what_was_refused_and_why(tmp_path: Path) -> None:
    offline = _env(tmp_path / "offline", "http://127.0.0.1:9/{level}")
    assert cli(offline, "enable", "--level", "basic").returncode == 0
    _record(offline)
    exported = tmp_path / "telemetry.json"
    assert cli(offline, "export", str(exported)).returncode == 0
    batches = json.loads(exported.read_text())
    old = (date.today() - timedelta(days=90)).isocalendar()
    batches[0]["week"] = f"{old.year}-W{old.week:02d}"  # carried too late: past the window
    exported.write_text(json.dumps(batches))
    with Collector(tmp_path / "collector", INDEX) as collector:
        courier = _env(tmp_path / "courier", collector.url)
        sent = cli(courier, "send", "--file", str(exported))
        assert sent.returncode == 1
        assert "1 batch(es) stored, 0 already there, 1 refused" in sent.stdout, sent.stdout
        assert "is outside the collector's window" in sent.stdout
        damaged = tmp_path / "damaged.json"
        damaged.write_text('[{"level": "basic", "records": "nope"}]')
        refused = cli(courier, "send", "--file", str(damaged))
        assert refused.returncode == 1
        assert "nothing was sent: batch 1 of damaged.json is not a valid batch" in refused.stderr
        off = cli({**courier, "DO_NOT_TRACK": "1"}, "send", "--file", str(exported))
        assert "telemetry is switched off here (DO_NOT_TRACK is set)" in off.stdout
        assert len(_stored(collector.db)) == 1
