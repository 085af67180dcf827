"""A real napari session driven line by line over stdin, for the fault matrix.

Started like a user's napari (telemetry starts by itself at launch, at the level recorded by the
CLI), it obeys JSON commands on stdin, one per line, and answers each with a line ``@@ {...}`` on
stdout (anything else napari prints is ignored by the test):

- ``ready``: answer once telemetry has started (a moment after the window is up);
- ``work``: add and remove ``n`` images whose size class ``bucket`` marks this cell, run a napari
  command twice through app-model (as menus do), then flush the recorder from a worker thread;
- ``send``: the settings dock's *Send now* (the controller runs it in a daemon thread);
- ``soak``: drive napari for ``seconds`` on its own event loop, sampling the process
  (``napari_soak``), then answer with the samples;
- ``deadline``: shorten the uploader's deadlines (so a dripping collector costs seconds);
- ``env``: set or remove environment variables (a proxy the user's shell sets);
- ``quit``: answer with what the session saw, then close napari.

Every answer carries the worst telemetry span on the GUI thread since the last answer (see
``gui_probe``), the exceptions that reached napari and telemetry's warnings.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from gui_probe import GuiProbe

COMMAND = "napari.canvas.toggle_scale_bar"
_out = threading.Lock()


class Session:
    """What the test sees of this napari: probes, exceptions, warnings; answers to commands."""

    def __init__(self) -> None:
        self.probe = GuiProbe()
        self.exceptions: list[str] = []
        self.warnings: list[str] = []
        self.beat_gap = 0.0
        self.keep: list[Any] = []  # Qt objects that must live as long as the session
        self._hooks()

    def _hooks(self) -> None:
        def excepthook(t: type[BaseException], e: BaseException, tb: Any) -> None:
            self.exceptions.append("".join(traceback.format_exception(t, e, tb)))

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            self.exceptions.append(f"{args.thread}: {args.exc_value!r}")

        sys.excepthook = excepthook
        threading.excepthook = thread_hook
        session = self

        class Warnings(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                session.warnings.append(record.getMessage())

        logging.getLogger("napari_telemetry").addHandler(Warnings(logging.WARNING))

    def answer(self, seq: int, **fields: Any) -> None:
        worst, where = self.probe.take()
        fields.update(seq=seq, worst_ms=round(worst * 1000, 2), where=where)
        fields.update(exceptions=self.exceptions[:], warnings=self.warnings[:])
        with _out:
            sys.stdout.write("@@ " + json.dumps(fields) + "\n")
            sys.stdout.flush()


def main() -> int:
    session = Session()  # on the GUI thread, before napari: the probe samples this thread
    import napari
    from napari.utils.notifications import notification_manager
    from qtpy.QtCore import QObject, QTimer, Signal
    from qtpy.QtWidgets import QApplication

    viewer = napari.Viewer(title="napari-telemetry fault matrix")
    notification_manager.notification_ready.connect(
        lambda n: session.exceptions.append(str(n)) if n.severity >= "error" else None
    )
    session.keep.append(Heartbeat(session, QTimer))

    class Bridge(QObject):
        line = Signal(str)

    bridge = Bridge()
    bridge.line.connect(lambda text: Commands(session, viewer).run(json.loads(text)))
    threading.Thread(target=_read_stdin, args=(bridge,), daemon=True).start()
    QApplication.instance().exec()  # type: ignore[union-attr]
    session.probe.stop()
    return 0


def _read_stdin(bridge: Any) -> None:
    for text in sys.stdin:
        bridge.line.emit(text)  # queued to the GUI thread


class Heartbeat:
    """A 10 ms timer on the GUI thread; the longest gap is reported (context, not blame)."""

    def __init__(self, session: Session, timer_cls: Any) -> None:
        import time

        self._clock, self._session = time.perf_counter, session
        self._last = self._clock()
        self._timer = timer_cls()
        self._timer.timeout.connect(self._beat)
        self._timer.start(10)

    def _beat(self) -> None:
        now = self._clock()
        self._session.beat_gap = max(self._session.beat_gap, now - self._last)
        self._last = now


class Commands:
    """One command from the test, run on the GUI thread."""

    def __init__(self, session: Session, viewer: Any) -> None:
        self.session, self.viewer = session, viewer

    def run(self, cmd: dict[str, Any]) -> None:
        seq = int(cmd["seq"])
        try:
            getattr(self, f"_{cmd['op']}")(seq, cmd)
        except Exception:  # an exception out of napari itself, or of this driver
            self.session.exceptions.append(traceback.format_exc())
            self.session.answer(seq, ok=False)

    def _work(self, seq: int, cmd: dict[str, Any]) -> None:
        import numpy as np
        from app_model import Application

        for _ in range(int(cmd["n"])):
            layer = self.viewer.add_image(np.zeros((1, 2 ** int(cmd["bucket"])), "uint8"))
            self.viewer.layers.remove(layer)
        app = Application.get_app("napari")
        assert app is not None
        for _ in range(2):
            app.commands.execute_command(COMMAND).result()
        self._flush_then(seq)

    def _flush_then(self, seq: int, **fields: Any) -> None:
        from napari_telemetry.core._store import get_recorder

        def flush() -> None:  # a worker: flush() waits, and the GUI thread must not
            get_recorder().flush(timeout=10)
            self.session.answer(seq, ok=True, **fields)

        threading.Thread(target=flush, daemon=True).start()

    def _ready(self, seq: int, cmd: dict[str, Any]) -> None:
        """Answer once telemetry has started on this viewer (it starts a moment after launch)."""
        from qtpy.QtCore import QTimer

        runtime = getattr(sys.modules.get("napari_telemetry._napari._runtime"), "_rt", None)
        started = runtime is not None and self.viewer in runtime.viewers  # (being imported: no)
        if started or not cmd.get("telemetry", True):  # (off: the window being up is enough)
            self.session.answer(seq, ok=True)
        else:
            QTimer.singleShot(50, lambda: self._ready(seq, cmd))

    def _flush(self, seq: int, cmd: dict[str, Any]) -> None:
        self._flush_then(seq)

    def _send(self, seq: int, cmd: dict[str, Any]) -> None:
        from napari_telemetry._qt import get_controller

        controller = get_controller()

        def done(message: str) -> None:
            controller.messageOccurred.disconnect(done)
            controller.errorOccurred.disconnect(done)
            self.session.answer(seq, ok=True, report=message)

        controller.messageOccurred.connect(done)
        controller.errorOccurred.connect(done)
        controller.send_now()

    def _soak(self, seq: int, cmd: dict[str, Any]) -> None:
        """Drive napari for ``seconds`` (see ``napari_soak``); answer with its samples."""
        import os

        from napari_soak import Soak

        send = None
        if cmd.get("telemetry", True):
            from napari_telemetry._qt import get_controller

            send = get_controller().send_now
        data = Path(os.environ["NAPARI_TELEMETRY_DIR"], "data")
        soak = Soak(
            self.viewer,
            seconds=float(cmd["seconds"]),
            every=float(cmd["every"]),
            send_every=float(cmd["send_every"]),
            trace=bool(cmd.get("trace", False)),
            data=data,
            send=send,
            done=lambda result: self.session.answer(seq, ok=True, **result),
        )
        self.session.keep.append(soak)
        soak.start()

    def _deadline(self, seq: int, cmd: dict[str, Any]) -> None:
        from napari_telemetry.core import _uploader

        _uploader.TIMEOUT, _uploader.ROUND_DEADLINE = cmd["request"], cmd["round"]
        self.session.answer(seq, ok=True)

    def _env(self, seq: int, cmd: dict[str, Any]) -> None:
        """Set (``set``) and remove (``unset``) environment variables, as a user's shell would
        have before napari started (a proxy, say): the plugin reads them at each request."""
        import os

        os.environ.update(cmd.get("set", {}))
        for name in cmd.get("unset", []):
            os.environ.pop(name, None)
        self.session.answer(seq, ok=True)

    def _quit(self, seq: int, cmd: dict[str, Any]) -> None:
        from qtpy.QtWidgets import QApplication

        probe = self.session.probe
        self.session.answer(
            seq, ok=True, beat_gap_ms=round(self.session.beat_gap * 1000, 1),
            samples=probe.samples, in_telemetry=probe.in_telemetry,
            threads=sorted(t.name for t in threading.enumerate()),
        )  # fmt: skip
        self.viewer.close()
        QApplication.instance().quit()  # type: ignore[union-attr]


if __name__ == "__main__":
    sys.exit(main())
