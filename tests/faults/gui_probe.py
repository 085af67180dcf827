"""How long telemetry code keeps a GUI thread away from its event loop, measured from outside.

A sampler thread looks at the GUI thread's Python stack every 2 ms. When the innermost code that
is not a transparent library (the standard library, filelock, pydantic, requests...) belongs to
napari_telemetry, telemetry is running there; a run of samples of the same telemetry call is one
span. A span's cost is its wall time minus the time the thread waited for a CPU meanwhile
(``/proc/self/task/<tid>/schedstat``), so a loaded machine that preempts napari is not blamed on
telemetry, while a telemetry call that waits (a lock, a disk, a socket) or computes is.

A call the event loop makes into telemetry (its start at launch, its queued UI updates) is
telemetry's time as a whole, napari code it calls included. Telemetry code running *inside* a
host call is the host's time except where telemetry is innermost: the command wrapper's frame is
on the stack for the whole napari command it wraps, but only its own counting is telemetry's.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from types import FrameType

_TELEMETRY = "/napari_telemetry/"
_HOST = ("napari/", "vispy/", "qtpy/", "PyQt6/", "superqt/", "magicgui/", "app_model/", "npe2/",
         "psygnal/", "napari_driver.py", "napari_soak.py", "gui_probe.py")  # fmt: skip
_DISPATCH = ("superqt/", "qtpy/", "/functools.py")  # hand a queued call on, own nothing


def _path(frame: FrameType) -> str:
    return frame.f_code.co_filename.replace("\\", "/")


def _owner(frame: FrameType | None) -> FrameType | None:
    """The telemetry frame that owns what the GUI thread does now, or None (the host's time).

    Telemetry owns it when the event-loop callback running now is telemetry's (a queued call,
    a timer: everything under it, napari's code included, is spent for telemetry), or when the
    innermost code that is not a transparent library is telemetry's (a hook inside napari's
    own work: the command wrapper's count, the layer-inserted handler).
    """
    stack: list[FrameType] = []
    while frame is not None:
        stack.append(frame)
        frame = frame.f_back
    entry = _callback(stack)
    if entry is not None and _TELEMETRY in _path(entry):
        return entry
    found = None
    for f in stack:
        if _TELEMETRY in _path(f):
            found = f
        elif any(part in _path(f) for part in _HOST):
            return found
    return found


def _callback(stack: list[FrameType]) -> FrameType | None:
    """The first frame of the callback the event loop runs (called from the driver's main)."""
    for i, f in enumerate(stack):
        if f.f_code.co_name == "main" and _path(f).endswith("napari_driver.py"):
            inner = [g for g in reversed(stack[:i]) if not any(d in _path(g) for d in _DISPATCH)]
            return inner[0] if inner else None
    return None


class GuiProbe:
    """Samples the thread that creates it (napari's GUI thread); ``take()`` reports the worst."""

    def __init__(self, interval: float = 0.002) -> None:
        self._gui = threading.current_thread()
        self._schedstat = Path(f"/proc/self/task/{self._gui.native_id}/schedstat")
        self._interval = interval
        self._lock = threading.Lock()
        self._worst, self._where = 0.0, ""
        self.samples = self.in_telemetry = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gui-probe", daemon=True)
        self._thread.start()

    def take(self) -> tuple[float, str]:
        """The longest telemetry span (seconds) since the last call, and where it was."""
        with self._lock:
            out, self._worst, self._where = (self._worst, self._where), 0.0, ""
        return out

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _waited(self) -> float:
        """Seconds the GUI thread has spent runnable but waiting for a CPU."""
        try:
            return int(self._schedstat.read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    def _run(self) -> None:
        span: FrameType | None = None
        start = waited = 0.0
        ident = self._gui.ident
        while not self._stop.wait(self._interval):
            frame = sys._current_frames().get(ident)
            owner = _owner(frame)
            del frame
            now, wait = time.perf_counter(), self._waited()
            self.samples += 1
            if owner is None:
                span = None
                continue
            self.in_telemetry += 1
            if owner is not span:  # a new telemetry call (the held frame cannot be reused)
                span, start, waited = owner, now, wait
                continue
            cost = (now - start) - (wait - waited)
            with self._lock:
                if cost > self._worst:
                    self._worst = cost
                    self._where = f"{owner.f_code.co_filename}:{owner.f_code.co_name}"
