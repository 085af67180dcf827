"""The recorder: level checks, background merge into pending files, bounds, bad input."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from napari_telemetry.core import _consent, _paths
from napari_telemetry.core._store import (
    Recorder,
    _files,
    _pending,
    _stats,
    delete_pending,
    get_recorder,
    pending,
    preview,
)
from napari_telemetry.core._store._files import read
from napari_telemetry.schema import Level

LAYER = ("Image", "numpy.ndarray", 2, "uint8", False, 1, 20)
COMMAND = ("napari:window:file:open_files_dialog", "napari")
SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")


def _lines(level: str) -> list[dict[str, object]]:
    out = []
    for path in sorted(_paths.pending_dir(level).glob("*.jsonl")):
        out += [json.loads(x) for x in path.read_text().splitlines()[1:]]
    return out


def test_nothing_recorded_without_consent() -> None:
    recorder = get_recorder()
    recorder.count("session", SESSION)
    recorder.flush(timeout=2)
    assert pending().records == 0
    assert not _paths.pending_dir().exists()


def test_counts_merge_by_key_and_respect_level() -> None:
    _consent.record_consent(Level.MIDDLE)
    recorder = get_recorder()
    for _ in range(3):
        recorder.count("session", SESSION)
    recorder.count("plugin", ("napari-svg", "0.2.1"))
    recorder.count("command", COMMAND)  # full: above the level, dropped at once
    recorder.flush(timeout=2)
    recorder.count("session", SESSION, 2)
    recorder.flush(timeout=2)
    (session,) = _lines("basic")
    assert (session["t"], session["k"], session["n"]) == ("session", list(SESSION), 5)
    assert [x["k"] for x in _lines("middle")] == [["napari-svg", "0.2.1"]]
    assert not _paths.pending_dir("full").exists()
    assert pending().records == 2
    assert [r["records"][0] for r in preview(Level.BASIC)] == [
        {
            "type": "session",
            "napari_version": "0.9.2",
            "python_version": "3.11.4",
            "os_name": "Linux",
            "os_version": "debian-12",
            "arch": "x86_64",
            "launches": 5,
        }
    ]


def test_files_are_named_by_day_and_carry_no_time() -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=2)
    (path,) = _paths.pending_dir("basic").glob("*.jsonl")
    assert path.name == f"{date.today().isoformat()}.jsonl"
    assert set(_lines("basic")[0]) == {"c", "t", "k", "n"}


@pytest.mark.parametrize(
    ("rtype", "key", "n"),
    [
        ("session", ["unhashable"], 1),
        ("nope", (), 1),
        ("command", COMMAND, "x"),
        ("command", COMMAND, 0),
        ("command", ("bad id with spaces", "napari"), 1),
        ("layer", LAYER[:3], 1),
        ("command", COMMAND, None),
    ],
)
def test_bad_records_never_raise_and_never_land(rtype: str, key: object, n: object) -> None:
    _consent.record_consent(Level.FULL)
    recorder = get_recorder()
    recorder.count(rtype, key, n)  # type: ignore[arg-type]
    recorder.count("layer", LAYER)
    recorder.flush(timeout=2)
    assert [x["k"] for x in _lines("full")] == [list(LAYER)]


def test_changed_callback_runs_after_write() -> None:
    _consent.record_consent(Level.FULL)
    called = threading.Event()
    recorder = get_recorder()
    recorder.changed.connect(called.set)
    recorder.count("layer", LAYER)
    recorder.flush(timeout=2)
    assert called.is_set()


def test_lowering_the_level_drops_buffer_and_pending_above() -> None:
    _consent.record_consent(Level.FULL)
    recorder = get_recorder()
    recorder.count("layer", LAYER)
    recorder.flush(timeout=2)
    recorder.count("command", COMMAND)
    recorder.count("session", SESSION)
    recorder.set_level(Level.BASIC)
    recorder.count("command", COMMAND)
    recorder.flush(timeout=2)
    assert not list(_paths.pending_dir("full").glob("*.jsonl"))
    assert len(_lines("basic")) == 1


@pytest.mark.parametrize(
    ("argv", "level"), [(["disable"], Level.NONE), (["enable", "--level", "basic"], Level.BASIC)]
)
def test_a_consent_changed_by_another_process_is_followed(argv: list[str], level: Level) -> None:
    _consent.record_consent(Level.FULL)
    recorder = get_recorder()
    recorder.count("layer", LAYER)
    recorder.flush(timeout=2)
    told = threading.Event()
    recorder.changed.connect(told.set)
    cli = [sys.executable, "-m", "napari_telemetry", *argv]
    subprocess.run(cli, check=True, capture_output=True, timeout=60)  # a terminal, meanwhile
    recorder.count("layer", LAYER)  # counted before this process looked again
    recorder.flush(timeout=2)
    assert recorder.level is level
    assert told.is_set()  # the views hear of it (the status bar stops saying "on")
    assert not list(_paths.pending_dir("full").glob("*.jsonl"))


def test_a_consent_file_damaged_meanwhile_stops_recording_and_loses_nothing() -> None:
    _consent.record_consent(Level.FULL)
    recorder = get_recorder()
    recorder.count("layer", LAYER)
    recorder.flush(timeout=2)
    good = _paths.consent_file().read_bytes()
    _paths.consent_file().write_bytes(b'{"level": "full", "truncated')  # another program
    recorder.count("layer", LAYER)
    recorder.flush(timeout=2)  # never raises: the round reads the consent, then writes
    assert recorder.level is Level.NONE  # an unreadable consent means off
    assert len(_lines("full")) == 1  # the line written before is still there...
    _paths.consent_file().write_bytes(good)  # ...and once the file is restored
    recorder.flush(timeout=2)
    assert recorder.level is Level.FULL
    assert [r["type"] for r in preview(Level.FULL)[0]["records"]] == ["layer"]  # it is sendable


def test_new_consent_never_sends_old_data() -> None:
    _consent.record_consent(Level.FULL)
    recorder = get_recorder()
    recorder.count("command", COMMAND)
    recorder.flush(timeout=2)
    recorder.count("layer", LAYER)  # buffered under the old consent
    _consent.record_consent(Level.FULL)  # agreed again: a new consent
    recorder.flush(timeout=2)
    assert len(_lines("full")) == 1  # the old line is still on disk...
    assert preview(Level.FULL) == []  # ...but will never be sent
    recorder.count("layer", LAYER)
    recorder.flush(timeout=2)
    assert [r["type"] for r in preview(Level.FULL)[0]["records"]] == ["layer"]


def test_corrupt_lines_are_skipped_and_counted() -> None:
    _consent.record_consent(Level.FULL)
    path = _paths.pending_dir("full") / f"{date.today().isoformat()}.jsonl"
    path.parent.mkdir(parents=True)
    token = _consent.current_token()
    good = json.dumps({"c": token, "t": "command", "k": list(COMMAND), "n": 2})
    path.write_text(f'{{"batch_id": "not-a-uuid"}}\n{good}\n{{"c": "x", "t"\n\x00garbage\n[1]\n')
    get_recorder().count("command", COMMAND)
    get_recorder().flush(timeout=2)
    assert [x["n"] for x in _lines("full")] == [3]
    assert _stats.read()["corrupt_lines"] == 4  # the bad header line, and three bad lines
    assert read(path).batch_id == json.loads(path.read_text().splitlines()[0])["batch_id"]


def test_pending_is_bounded_dropping_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    _consent.record_consent(Level.FULL)
    token = _consent.current_token()
    folder = _paths.pending_dir("full")
    folder.mkdir(parents=True)
    for day in ("2026-01-01", "2026-01-02"):
        lines = [
            json.dumps({"c": token, "t": "command", "k": [f"napari:c{i}", "napari"], "n": 1})
            for i in range(50)
        ]
        (folder / f"{day}.jsonl").write_text("\n".join(['{"batch_id": "x"}', *lines]) + "\n")
    monkeypatch.setattr(_pending, "MAX_PENDING_BYTES", 8000)
    get_recorder().count("command", COMMAND)
    get_recorder().flush(timeout=2)
    names = sorted(p.name for p in folder.glob("*.jsonl"))
    assert names == ["2026-01-02.jsonl", f"{date.today().isoformat()}.jsonl"]
    assert _stats.read()["dropped_oldest"] == 50


def test_an_unwritable_data_folder_loses_nothing_and_says_so_once(
    telemetry_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _consent.record_consent(Level.BASIC)
    shutil.rmtree(telemetry_dir / "data" / "pending", ignore_errors=True)
    (telemetry_dir / "data").mkdir(exist_ok=True)
    blocker = telemetry_dir / "data" / "pending"
    blocker.write_text("a file where a folder should be")
    recorder = get_recorder()
    with caplog.at_level(logging.WARNING, "napari_telemetry"):
        recorder.count("session", SESSION)
        recorder.flush(timeout=2)
        recorder.count("session", SESSION)
        recorder.flush(timeout=2)
    assert recorder.level is Level.BASIC  # still counting, in memory
    assert len([r for r in caplog.records if "cannot write" in r.getMessage()]) == 1
    assert str(telemetry_dir) not in caplog.text  # no paths in logs
    blocker.unlink()  # the folder can be written again: nothing was lost
    recorder.flush(timeout=2)
    assert [(x["k"], x["n"]) for x in _lines("basic")] == [(list(SESSION), 2)]


def test_delete_pending_one_batch() -> None:
    _consent.record_consent(Level.FULL)
    get_recorder().count("command", COMMAND)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=2)
    full = preview(Level.FULL)[0]
    delete_pending(Level.FULL, batch_key=full["batch_id"])
    assert preview(Level.FULL) == []
    assert len(preview(Level.BASIC)) == 1
    delete_pending()
    assert preview() == []


_CHILD = """
import sys
from napari_telemetry.core._store import get_recorder
r = get_recorder()
for i in range(int(sys.argv[1])):
    r.count("command", ("napari:shared", "napari"))
    r.count("command", (f"napari:p{sys.argv[2]}", "napari"))
    if i % 50 == 0:
        r.flush(timeout=5)
r.flush(timeout=5)
"""


def test_several_processes_lose_and_duplicate_nothing(telemetry_dir: Path) -> None:
    _consent.record_consent(Level.FULL)
    n, procs = 400, 5
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD, str(n), str(p)]) for p in range(procs)
    ]
    assert [c.wait(timeout=120) for c in children] == [0] * procs
    totals: dict[str, int] = {}
    for line in _lines("full"):
        totals[str(line["k"][0])] = totals.get(str(line["k"][0]), 0) + int(line["n"])  # type: ignore[call-overload,index]
    assert totals == {"napari:shared": n * procs, **{f"napari:p{p}": n for p in range(procs)}}


def _as_host(name: str) -> list[str]:
    """A command prefix that runs the rest as if on the computer *name* (its own UTS
    namespace: its own host name, the same files), as several cluster nodes would."""
    return ["unshare", "--uts", "sh", "-c", f'hostname "{name}" && exec "$@"', "sh"]


def test_processes_on_several_hosts_share_one_data_folder(telemetry_dir: Path) -> None:
    """One home folder, written by napari processes on several hosts at once (NFS, Lustre,
    GPFS): every record counted once, no file damaged, no host name written anywhere."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        if os.environ.get("NAPARI_TELEMETRY_REQUIRE_ALL"):
            pytest.fail("NAPARI_TELEMETRY_REQUIRE_ALL is set, but unshare needs root here")
        pytest.skip("a UTS namespace per process needs root and unshare (util-linux)")
    _consent.record_consent(Level.FULL)
    n, hosts = 300, [f"node-{p:02d}.cluster.example" for p in range(4)]
    children = [
        subprocess.Popen([*_as_host(host), sys.executable, "-c", _CHILD, str(n), str(p)])
        for p, host in enumerate(hosts)
    ]
    assert [c.wait(timeout=120) for c in children] == [0] * len(hosts)
    totals: dict[str, int] = {}
    for line in _lines("full"):  # every line parses: no file damaged
        totals[str(line["k"][0])] = totals.get(str(line["k"][0]), 0) + int(line["n"])  # type: ignore[call-overload,index]
    assert totals == {"napari:shared": n * len(hosts), **{f"napari:p{p}": n for p in range(4)}}
    for path in telemetry_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert not any(host.split(".")[0] in text for host in hosts), path.name


def test_exit_flushes_what_is_buffered() -> None:
    _consent.record_consent(Level.FULL)
    code = (
        "from napari_telemetry.core._store import get_recorder\n"
        "get_recorder().count('command', ('napari:at_exit', 'napari'), 7)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert [(x["k"], x["n"]) for x in _lines("full")] == [(["napari:at_exit", "napari"], 7)]


def test_a_full_disk_keeps_the_counts_in_memory(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _consent.record_consent(Level.BASIC)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_paths, "write_atomic", full)
    recorder = get_recorder()
    with caplog.at_level(logging.WARNING, "napari_telemetry"):
        recorder.count("session", SESSION)
        recorder.flush(timeout=2)
    assert recorder.level is Level.BASIC
    assert pending().records == 1
    assert "No space left on device" in caplog.text


def test_busy_lock_keeps_the_buffer_for_next_time(monkeypatch: pytest.MonkeyPatch) -> None:
    _consent.record_consent(Level.BASIC)
    recorder = get_recorder()
    monkeypatch.setattr(_files, "LOCK_TIMEOUT", 0.05)
    with _files.lock():  # another process holds it
        recorder.count("session", SESSION)
        recorder.flush(timeout=2)
    assert not list(_paths.pending_dir("basic").glob("*.jsonl"))
    assert pending().records == 1
    recorder.flush(timeout=2)
    assert [x["n"] for x in _lines("basic")] == [1]


def test_set_level_alone_picks_up_the_recorded_consent() -> None:
    recorder = Recorder()  # made before any consent: nothing accepted
    recorder.count("layer", LAYER)
    assert pending().records == 0
    _consent.record_consent(Level.FULL)
    recorder.set_level(Level.FULL)
    recorder.count("layer", LAYER)
    recorder.flush(timeout=2)
    assert [x["k"] for x in _lines("full")] == [list(LAYER)]
