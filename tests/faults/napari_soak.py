"""The soak: a napari session driven for minutes on its own event loop, sampled as it goes.

Run by ``napari_driver.py``'s ``soak`` command (1 minute in the suite, 10 in
``benchmarks/bench_soak.py``). Every ``TICK`` ms the GUI thread does one step of a user's
work: a layer of the next kind in (image, labels, points, shapes, vectors, in a handful of sizes
and dtypes, so the ``full`` level records a bounded set of keys), the oldest out once five are
open, and every third step a napari command through app-model as its menus run it. Every
``send_every`` seconds the settings dock's *Send now* uploads what is pending (a worker thread).
Every ``every`` seconds it samples the process: resident memory (after a full garbage
collection, so the curve shows what is kept, not what is waiting to be freed), threads, open file
descriptors and the bytes of pending files on disk.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

TICK = 20  # ms between two steps
OPEN = 5  # layers open at most
COMMANDS = (
    "napari.canvas.toggle_scale_bar",
    "napari.canvas.toggle_axes",
    "napari.layer.toggle_visibility",
)
SHAPES = ((4, "uint8"), (16, "uint16"), (64, "float32"))  # 5 kinds x 3: a cycle of 15 steps
WARMUP_STEPS = 2 * 5 * len(SHAPES)  # every kind of layer in every shape, twice
_OURS = "/napari_telemetry/"
TRACE_FRAMES = 25  # deep enough to see telemetry's frame under napari's and the library's
QUIET_MS = 3000  # a pause long enough for a send in flight and the recorder's flush to end
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_kib() -> int:
    """This process's resident set, KiB (``/proc/self/statm``)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE // 1024


def open_files() -> list[str]:
    """What this process has open (sockets and pipes by kind, files by name)."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed meanwhile
            continue
        if not target.startswith("/proc/"):  # the probe's own look at this process
            out.append(target.split(":[")[0] if ":[" in target else target)
    return sorted(out)


def pending_bytes(data: Path) -> int:
    """What the pending files hold now (a temporary file may be renamed while it is looked at)."""
    total = 0
    for path in (data / "pending").rglob("*"):
        with contextlib.suppress(FileNotFoundError):
            total += path.stat().st_size if path.is_file() else 0
    return total


def after_warmup(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The samples taken once every layer napari makes here has been made twice.

    napari (vispy, Qt) keeps caches per kind of layer: the first of each kind costs memory
    for good. Steps, not seconds, so that a slow machine warms up as far as a fast one.
    """
    return [s for s in samples if s["steps"] >= WARMUP_STEPS]


def traced() -> dict[str, Any]:
    """What was allocated since tracing started and is still held: all, and telemetry's.

    Telemetry's share has two bounds: the blocks its own lines allocated (the frame nearest the
    allocation is telemetry's) and, above that, everything allocated with telemetry's code
    anywhere on the stack (what pydantic or json made for it, but also the napari command that
    the command wrapper runs). The largest are grouped by the telemetry line nearest them.
    """
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    direct = on_stack = 0
    by_line: dict[str, int] = {}
    for trace in snapshot.traces:
        ours = [f for f in trace.traceback if _OURS in f.filename]
        if not ours:
            continue
        on_stack += trace.size
        direct += trace.size if _OURS in trace.traceback[-1].filename else 0  # (oldest first)
        where = f"{ours[-1].filename.rsplit(_OURS, 1)[1]}:{ours[-1].lineno}"
        by_line[where] = by_line.get(where, 0) + trace.size
    return {
        "all_bytes": sum(t.size for t in snapshot.traces),
        "direct_bytes": direct,
        "on_stack_bytes": on_stack,
        "top": sorted(by_line.items(), key=lambda kv: -kv[1])[:6],
    }


def _layer(viewer: Any, step: int) -> Any:
    size, dtype = SHAPES[step // 5 % len(SHAPES)]
    kind = step % 5
    if kind == 0:
        return viewer.add_image(np.zeros((size, size), dtype))
    if kind == 1:
        return viewer.add_labels(np.zeros((size, size), "int32"))
    if kind == 2:
        return viewer.add_points(np.zeros((size, 2)))
    if kind == 3:
        return viewer.add_shapes([np.array([[0, 0], [size, size]])], shape_type="rectangle")
    return viewer.add_vectors(np.zeros((size, 2, 2)))


class Soak:
    """Drives *viewer* for *seconds*; ``done(result)`` gets the samples and what was done."""

    def __init__(
        self,
        viewer: Any,
        *,
        seconds: float,
        every: float,
        send_every: float,
        trace: bool = False,
        data: Path,
        send: Callable[[], None] | None,
        done: Callable[[dict[str, Any]], None],
    ) -> None:
        from qtpy.QtCore import QTimer

        self.viewer, self.data, self.send, self.done = viewer, data, send, done
        self.seconds, self.every, self.send_every = seconds, every, send_every
        self.trace = trace  # tracemalloc after the warm-up: who holds what was kept (slow)
        self.steps = self.layers = self.commands = self.sends = 0
        self.samples: list[dict[str, Any]] = []
        self.quiet: list[dict[str, Any]] = []  # after warm-up and at the end, all work paused
        self.t0 = time.monotonic()
        self._next_sample = self._next_send = 0.0
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.t0 = time.monotonic()
        self._next_send = self.send_every
        self._sample(0.0)
        self._timer.start(TICK)

    def _tick(self) -> None:
        from app_model import Application
        from qtpy.QtCore import QTimer

        now = time.monotonic() - self.t0
        if now >= self.seconds:
            self._timer.stop()
            self._finish()
            return
        self.steps += 1
        _layer(self.viewer, self.steps)
        self.layers += 1
        if len(self.viewer.layers) > OPEN:
            self.viewer.layers.pop(0)
        app = Application.get_app("napari")
        assert app is not None
        app.commands.execute_command(COMMANDS[self.steps % len(COMMANDS)]).result()
        self.commands += 1
        if self.send is not None and now >= self._next_send:
            self._next_send += self.send_every
            self.sends += 1
            self.send()
        if now >= self._next_sample:
            self._sample(now)
        if self.steps == WARMUP_STEPS:
            self._timer.stop()
            QTimer.singleShot(QUIET_MS, self._quiet_then_go_on)

    def _quiet_then_go_on(self) -> None:
        self._quiet()
        if self.trace:  # from here on: what is allocated and kept is the growth
            tracemalloc.start(TRACE_FRAMES)
        self._timer.start(TICK)

    def _quiet(self) -> None:
        """What is open once the last send and flush are done: threads and descriptors."""
        gc.collect()
        files = open_files()
        threads = sorted(t.name for t in threading.enumerate())
        self.quiet.append({"steps": self.steps, "threads": threads, "files": files})

    def _sample(self, now: float) -> None:
        self._next_sample = now + self.every
        gc.collect()
        self.samples.append(
            {
                "t": round(now, 1),
                "steps": self.steps,
                "rss_kib": rss_kib(),
                "threads": threading.active_count(),
                "fds": len(open_files()),
                "pending_bytes": pending_bytes(self.data),
            }
        )

    def _finish(self) -> None:
        """Close every layer, then (once the last send and flush are done) a last sample."""
        from qtpy.QtCore import QTimer

        self.viewer.layers.clear()
        QTimer.singleShot(QUIET_MS, self._report)

    def _report(self) -> None:
        self._sample(time.monotonic() - self.t0)
        self._quiet()
        self.done(
            {
                **({"traced": traced()} if self.trace and tracemalloc.is_tracing() else {}),
                "samples": self.samples,
                "quiet": self.quiet,
                "steps": self.steps,
                "layers": self.layers,
                "commands": self.commands,
                "sends": self.sends,
            }
        )
