"""Where the views' slow calls run: a daemon thread each, started off the GUI thread.

``threading.Thread.start()`` waits until the new thread runs, and on a machine short of CPUs
(or with other threads holding the GIL) that wait would be napari's GUI thread's. So the GUI
thread only hands a job to a launcher (putting it in a queue never waits), and the launcher
starts the job's thread. Daemon threads, not Qt's pool: napari's exit never waits for them.
The launcher ends after ``IDLE`` seconds without a job (threads exist only while they work);
the next job starts it again.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("napari_telemetry")
PREFIX = "napari-telemetry-ui: "
IDLE = 2.0  # seconds the launcher waits for another job before it ends
_jobs: queue.SimpleQueue[tuple[str, Callable[[], None]]] = queue.SimpleQueue()
_idle = threading.Condition()


class _Launcher:
    """The one launcher thread, and how many jobs are not finished."""

    thread: threading.Thread | None = None
    in_flight = 0


def submit(what: str, work: Callable[[], None]) -> None:
    """Run *work* in a thread of its own named after *what*; returns at once."""
    with _idle:  # the launcher decides to end under this lock too: it sees the job, or is gone
        _Launcher.in_flight += 1
        _jobs.put((what, work))
        if _Launcher.thread is None or not _Launcher.thread.is_alive():
            thread = threading.Thread(target=_launch, name="napari-telemetry-ui", daemon=True)
            _Launcher.thread = thread
            thread.start()  # once per busy spell: within one the GUI thread never waits


def wait_idle(timeout: float) -> bool:
    """Wait until every job submitted so far has finished (tests); False on timeout."""
    with _idle:
        return _idle.wait_for(lambda: _Launcher.in_flight == 0, timeout=timeout)


def _launch() -> None:
    while True:
        try:
            what, work = _jobs.get(timeout=IDLE)
        except queue.Empty:
            with _idle:
                if _jobs.empty():
                    _Launcher.thread = None
                    return
            continue
        try:
            threading.Thread(target=_run, args=(work,), name=PREFIX + what, daemon=True).start()
        except RuntimeError:  # no thread can be made (the interpreter is shutting down)
            log.debug("telemetry could not start %r", what, exc_info=True)
            _done()


def _run(work: Callable[[], None]) -> None:
    try:
        work()
    finally:
        _done()


def _done() -> None:
    with _idle:
        _Launcher.in_flight -= 1
        _idle.notify_all()
