"""The views' workers: a thread per job, started by a launcher that ends when idle."""

from __future__ import annotations

import threading
import time

import pytest

from napari_telemetry._qt import _workers


def _launchers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "napari-telemetry-ui"]


def test_the_launcher_ends_when_there_is_no_work_and_comes_back_for_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_workers, "IDLE", 0.1)
    done: list[int] = []
    for round_ in range(2):  # the second job finds no launcher: it starts one again
        _workers.submit("a test job", lambda r=round_: done.append(r))
        assert _workers.wait_idle(10)
        deadline = time.monotonic() + 5
        while _launchers() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _launchers() == []  # threads exist only while they have work
    assert done == [0, 1]


def test_many_jobs_at_once_all_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_workers, "IDLE", 0.01)  # the launcher may end between any two
    done: list[int] = []
    lock = threading.Lock()

    def job(i: int) -> None:
        with lock:
            done.append(i)

    for i in range(200):
        _workers.submit("one of many", lambda i=i: job(i))
        if i % 20 == 0:
            time.sleep(0.02)  # let the launcher run dry now and then
    assert _workers.wait_idle(30)
    assert sorted(done) == list(range(200))
