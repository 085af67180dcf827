"""The fault matrix's cells that need napari processes of their own: four napari at once on one
data folder, ``kill -9`` in the middle of a flush, and no public plugin index. The same checks as
the cell walk: nothing raised into napari, no telemetry call held its GUI thread 50 ms or more,
and every record stored on the client counted exactly once at the collector."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from e2e.e2e_support import require

from .napari_sessions import COMMAND, NapariSession, World, site

LAYERS = 3
# serial: it measures time on napari's GUI thread, so it runs alone, after the parallel part.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.napari,
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.serial,
]


@pytest.fixture(autouse=True)
def _display() -> None:
    require(bool(os.environ.get("DISPLAY")), "no DISPLAY (run under Xvfb: scripts/dev.py test)")


def _all_arrived(world: World, buckets: list[int], commands: int) -> None:
    assert [world.layers(b) for b in buckets] == [LAYERS] * len(buckets)
    assert world.commands() == commands
    assert world.sent_copies() == world.stored_batches()


def test_four_napari_at_once(tmp_path: Path) -> None:
    with site(tmp_path, tmp_path / "telemetry") as running:
        world = running.world
        stack = contextlib.ExitStack()  # a failure kills all four, never leaves them running
        sessions = [
            stack.enter_context(NapariSession(world, tmp_path / f"napari{i}.log", wait=False))
            for i in range(4)
        ]
        with stack, ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda s: s.ask("ready", step="start at launch"), sessions))
            work = [
                pool.submit(s.ask, "work", step="four at once", n=LAYERS, bucket=8 + i)
                for i, s in enumerate(sessions)
            ]
            [w.result() for w in work]
            sends = list(pool.map(lambda s: s.ask("send", step="four send at once"), sessions))
        reports = [str(a["report"]) for a in sends]  # the four have quit (the stack's exit)
        done = world.cli("send", "--now")  # whatever a busy lock left behind
        assert done.returncode == 0, done.stderr
        print("\n".join(reports))
        _all_arrived(world, [8, 9, 10, 11], 4 * 2)
        assert world.one("SELECT SUM(launches) FROM session_records") == 4


def _prefill(world: World, monkeypatch: pytest.MonkeyPatch, records: int) -> None:
    """Today's full file made big (its rewrite takes a while), through the plugin's own code."""
    from napari_telemetry.core import state
    from napari_telemetry.core._store import get_recorder

    monkeypatch.setenv("NAPARI_TELEMETRY_DIR", world.env["NAPARI_TELEMETRY_DIR"])
    state.recorder = None
    for i in range(records):
        get_recorder().count("command", (f"napari.prefill.c{i:06d}", "napari"))
    get_recorder().flush(timeout=60)
    state.recorder = None


def _kill_during_a_write(folder: Path, pid: int, killed: threading.Event) -> None:
    """SIGKILL *pid* the moment a temporary file of a rewrite shows in *folder*."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not killed.is_set():
        if any(name.endswith(".tmp") for name in os.listdir(folder)):
            os.kill(pid, signal.SIGKILL)
            killed.set()
            return
        time.sleep(0.0005)


def test_kill_9_in_the_middle_of_a_flush(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with site(tmp_path, tmp_path / "telemetry") as running:
        world = running.world
        _prefill(world, monkeypatch, 20_000)
        folder = world.data / "pending" / "full"
        napari = NapariSession(world, tmp_path / "napari.log")
        killed = threading.Event()
        killer = threading.Thread(target=_kill_during_a_write, args=(folder, napari.pid, killed))
        killer.start()
        flushed = 0
        try:
            while not killed.is_set():
                napari.ask("work", step="before kill -9", n=1, bucket=8 + flushed % 8)
                flushed += 1
        except AssertionError:
            assert killed.is_set()  # napari died under the kill, not of anything else
        killer.join()
        napari.kill()
        left = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
        print(f"kill -9 after {flushed} flush(es); a half-written file left: {bool(left)}")
        for path in left:  # as if it were an old leftover: the next send sweeps it
            os.utime(path, (time.time() - 3600, time.time() - 3600))
        on_disk = json.loads(world.cli("preview", "--json").stdout)
        status = world.cli("status").stdout
        assert "corrupt" not in status, status
        assert world.cli("send", "--now").returncode == 0
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    stored = sum(len(b["records"]) for b in on_disk if b["level"] == "full")
    sql = "SELECT COUNT(*) FROM command_records WHERE command_id LIKE 'napari.prefill.%'"
    assert world.one(sql) == 20_000  # the kill lost nothing that was on disk before it
    assert (
        world.one("SELECT COUNT(*) FROM command_records")
        + world.one("SELECT COUNT(*) FROM layer_records")
        == stored
    )  # and what the disk held after it arrived exactly once
    assert world.sent_copies() == world.stored_batches()


def test_no_public_plugin_index(tmp_path: Path) -> None:
    with site(tmp_path, tmp_path / "telemetry", index=False) as running:
        world = running.world
        with NapariSession(world, tmp_path / "napari.log") as napari:
            napari.ask("work", step="no plugin index", n=LAYERS, bucket=8)
            report = str(napari.ask("send", step="no plugin index")["report"])
        assert " batch(es) sent (" in report, report
        assert "kept" not in report, report
        _all_arrived(world, [8], 2)  # napari's own commands, layers, the launch: all there
        assert world.one("SELECT COUNT(*) FROM plugin_records") == 0  # no index: none named
        assert world.one("SELECT SUM(launches) FROM session_records") == 1
    assert COMMAND.startswith("napari.")
