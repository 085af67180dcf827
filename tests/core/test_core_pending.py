"""One count of pending records: what the preview lists is what the indicator and `status` say."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from napari_telemetry._cli import main
from napari_telemetry.core import _consent, _paths, state, telemetry
from napari_telemetry.core._store import _files, _snapshot, get_recorder, pending, preview
from napari_telemetry.core._transport import MockTransport, Response
from napari_telemetry.core._uploader import Uploader
from napari_telemetry.schema import Level

SESSION = ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64")
PLUGIN = ("napari-svg", "0.2.1")


def _listed(batches: list[dict[str, Any]]) -> int:
    return sum(len(b["records"]) for b in batches)


def _status(capsys: pytest.CaptureFixture[str]) -> int:
    assert main(["status"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("Pending")]
    return int(line.split(": ")[1])


def _agree(capsys: pytest.CaptureFixture[str]) -> int:
    """The count, after checking that the preview lists as many and `status` says it."""
    count = pending().records
    assert _listed(preview()) == count
    assert _status(capsys) == count
    return count


def test_records_in_memory_are_listed_and_counted(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.MIDDLE)
    recorder = get_recorder()
    recorder.count("session", SESSION)
    recorder.count("plugin", PLUGIN)
    assert recorder.buffered() == 2  # not written yet
    assert _agree(capsys) == 2
    assert {b["level"] for b in preview()} == {"basic", "middle"}
    recorder.flush(timeout=2)
    recorder.count("session", SESSION)  # the same key again: still one record
    assert _agree(capsys) == 2
    assert preview(Level.BASIC)[0]["records"][0]["launches"] == 2


def _line(token: str, key: tuple[object, ...] = SESSION, rtype: str = "session") -> str:
    return json.dumps({"c": token, "t": rtype, "k": list(key), "n": 1})


def test_what_is_never_sent_is_not_pending(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.BASIC)
    token = _consent.current_token()
    assert token is not None
    other_env = "0123456789abcdef.feedc0de"  # an environment with no consent (withdrawn)
    folder = _paths.pending_dir("basic")
    folder.mkdir(parents=True)
    today = date.today()
    lines = [
        '{"batch_id": "a3bb189e-8bf9-4888-9912-ace4e6543002"}',
        _line(token),
        _line(token, ("0.9.2", "3.11.4", "Linux", "debian-12", "not an arch!")),  # invalid
        _line(other_env, ("0.9.1", "3.11.4", "Linux", "debian-12", "x86_64")),  # stale
        "garbage",
    ]
    (folder / f"{today}.jsonl").write_text("\n".join(lines) + "\n")
    old = today - timedelta(days=120)  # the collector no longer takes its week
    (folder / f"{old}.jsonl").write_text("\n".join(lines[:2]) + "\n")
    (_paths.pending_dir("full")).mkdir(parents=True)  # above the level: never sent from here
    (_paths.pending_dir("full") / f"{today}.jsonl").write_text(
        _line(token, ("napari.x", "napari"), "command") + "\n"
    )
    assert _agree(capsys) == 1
    assert telemetry.next_send().planned


def test_sent_and_failed_sends_and_disable(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=2)
    down = MockTransport(lambda url, body, headers: Response(503))
    assert not Uploader(down).send_now(force=True).ok
    assert _agree(capsys) == 1  # kept: still pending
    up = MockTransport(lambda url, body, headers: Response(201))
    assert Uploader(up).send_now(force=True).ok
    assert _agree(capsys) == 0
    assert telemetry.next_send().text() == "none (nothing is waiting)"
    get_recorder().count("session", SESSION)
    assert _agree(capsys) == 1
    telemetry.disable()
    assert _agree(capsys) == 0


def test_the_views_are_told_when_a_send_empties_the_files() -> None:
    _consent.record_consent(Level.BASIC)
    recorder = get_recorder()
    recorder.count("session", SESSION)
    recorder.flush(timeout=2)
    told = threading.Event()
    recorder.changed.connect(told.set)
    Uploader(MockTransport(lambda url, body, headers: Response(201))).send_now(force=True)
    assert told.is_set()


def test_another_process_changing_the_files_is_seen_within_a_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _consent.record_consent(Level.BASIC)
    recorder = get_recorder()
    recorder.count("session", SESSION)
    recorder.flush(timeout=2)
    told = threading.Event()
    recorder.changed.connect(told.set)
    recorder.flush(timeout=2)  # a round with nothing new tells nobody
    assert not told.is_set()
    for path in _paths.pending_dir("basic").glob("*.jsonl"):
        path.unlink()  # what another process's send does
    recorder.flush(timeout=2)
    assert told.is_set()


def test_a_record_is_never_counted_twice_while_it_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reads racing the writer see each record once, with its count once (a read between the
    writer taking the buffer and writing the file would see it nowhere, or twice)."""
    _consent.record_consent(Level.BASIC)
    recorder = get_recorder()
    write = _files.write

    def slow_write(day: _files.DayFile) -> None:
        time.sleep(0.005)  # a slow disk: the writer is between memory and file for longer
        write(day)

    monkeypatch.setattr(_files, "write", slow_write)
    lock = _snapshot._locked_if_possible

    @contextlib.contextmanager
    def slow_lock() -> Iterator[None]:
        time.sleep(0.005)  # another process holds the pending lock a little
        with lock():
            yield

    monkeypatch.setattr(_snapshot, "_locked_if_possible", slow_lock)
    done = threading.Event()

    def record() -> None:
        for i in range(300):
            recorder.count("session", ("0.9.2", "3.11.4", "Linux", f"debian-{i}", "x86_64"))
            if i % 10 == 0:
                recorder.flush(timeout=2)
        done.set()

    threading.Thread(target=record, daemon=True).start()
    seen = 0
    while not done.is_set():
        batches = preview()
        counts = [r["launches"] for b in batches for r in b["records"]]
        assert all(n == 1 for n in counts), counts
        assert len(counts) >= seen  # nothing vanishes while it is being written
        seen = len(counts)
    assert pending().records == 300


def test_a_fresh_process_reads_the_files_only(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", SESSION)
    get_recorder().flush(timeout=2)
    state.recorder = None  # as a terminal: no recorder of its own
    assert _agree(capsys) == 1
    assert state.recorder is None  # counting made none


def test_send_now_sends_what_is_still_in_memory_too() -> None:
    """*Send now* sends everything the preview lists, the records not yet written included
    (the soak lost the last layer of a minute this way: counted, then sent before its write)."""
    posted: list[dict[str, Any]] = []

    def collector(url: str, body: bytes, headers: Any) -> Response:
        import gzip

        posted.append(json.loads(gzip.decompress(body)))
        return Response(201)

    _consent.record_consent(Level.BASIC)
    state.transport = MockTransport(collector)
    get_recorder().count("session", SESSION)
    assert get_recorder().buffered() == 1  # in memory only
    assert pending().records == 1
    report = telemetry.send_now(force=True)
    assert report.sent == 1, str(report)
    assert [r["os_version"] for b in posted for r in b["records"]] == ["debian-12"]
    assert pending().records == 0
