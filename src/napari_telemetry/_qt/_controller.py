"""One Qt object per process that every telemetry view talks to.

It turns core calls into Qt signals: a level change made in one window updates the indicator
and docks of every window; records arriving on a background thread reach the views on the GUI
thread; anything the core raises becomes ``errorOccurred`` (a message in the views), never an
exception into napari. Slow work (reading batches, uploading, forgetting) runs in daemon threads.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from qtpy.QtCore import QFileSystemWatcher, QObject, QTimer, Signal
from qtpy.QtWidgets import QDialog, QMessageBox
from superqt.utils import ensure_main_thread

from napari_telemetry.core import state
from napari_telemetry.schema import Level

from . import _workers
from ._core import Core, DecisionLike, Outcome, OverviewLike, RealCore
from ._palette import Palette

log = logging.getLogger("napari_telemetry")
SETTLE_MS = 300


class TelemetryController(QObject):
    """The views' single way to read and change telemetry state."""

    decisionChanged = Signal(object)  # DecisionLike
    recordsChanged = Signal()
    countersChanged = Signal()  # plugins' counters or switches changed: read them again
    errorOccurred = Signal(str)
    messageOccurred = Signal(str)
    paletteChanged = Signal(object)  # Palette

    def __init__(self, core: Core | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._core: Core = core if core is not None else RealCore()
        self._decision: DecisionLike | None = None
        self._live: Level | None = None  # the recorder's level at the last refresh
        self._palette: Palette | None = None
        self._watching_counters = False
        self._watcher: QFileSystemWatcher | None = None
        self._settle = QTimer(self)  # a burst of file events is one look
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._on_files_settled)
        self._guard("watch new records", self._core.on_change, self._on_records_changed)

    def palette(self) -> Palette:
        """The colours the views draw with (napari's theme once napari's glue set it)."""
        if self._palette is None:
            self._palette = Palette.from_qt()
        return self._palette

    def setPalette(self, palette: Palette) -> None:
        """Draw every view with *palette* (napari's glue calls this when the theme changes)."""
        if palette != self._palette:
            self._palette = palette
            self.paletteChanged.emit(palette)

    @property
    def core(self) -> Core:
        """The core this controller forwards to."""
        return self._core

    def decision(self) -> DecisionLike | None:
        """The current decision (computed on first use); None if the core failed."""
        if self._decision is None:
            self.refresh()
        return self._decision

    def refresh(self) -> None:
        """Re-read the decision and tell every view."""
        decision = self._guard("read the telemetry level", self._core.decision)
        if decision is not None:
            self._decision = decision
            self._live = self._live_level()
            self.decisionChanged.emit(decision)

    def set_level(self, level: Level, days: int | None = None) -> bool:
        """Record the user's choice (``Level.NONE``: "Don't share"); True if it was stored."""
        ok = self._guard("change the telemetry level", self._core.record_consent, level, days)
        self.refresh()
        self.recordsChanged.emit()
        return ok is not None

    def ask_later(self) -> bool:
        """ "Ask me later": an open question waits a week (a choice that holds stays)."""
        ok = self._guard("remember to ask later", self._core.postpone)
        self.refresh()
        return ok is not None

    def disable(self) -> None:
        """Turn telemetry off and delete what this environment has pending, in a worker."""
        self.run_in_thread("turn telemetry off", self._core.disable, self._on_done)

    def delete_pending(self, level: Level, batch_key: str) -> None:
        """Delete one pending batch."""
        self._guard("delete the batch", self._core.delete_pending, level, batch_key)
        self.recordsChanged.emit()

    def endpoints(self) -> dict[Level, str | None]:
        """Where each level's stream goes (empty if the core failed)."""
        urls = self._guard("read the endpoints", self._core.endpoints)
        return urls if isinstance(urls, dict) else {}

    def send_now(self) -> None:
        """Upload everything pending, in a worker thread; the outcome arrives as a message."""
        self.run_in_thread("send now", self._core.send_now, self._on_done)

    def export(self, path: str) -> None:
        """Write every pending batch to *path* (the user confirmed it), in a worker; the outcome
        arrives as a message."""
        self.run_in_thread("export pending data", self._core.export, self._on_done, path)

    def forget(self) -> None:
        """Ask the collector to delete this user's data and make a new secret, in a worker."""
        self.run_in_thread("forget your data", self._core.forget, self._on_done)

    def list_local_data(self, done: Callable[[list[tuple[str, str]]], None]) -> None:
        """The plugin's folders and what each holds, read in a worker; *done* gets them."""
        self.run_in_thread("list your local data", self._core.local_folders, done)

    def forget_local(self) -> None:
        """Forget me and delete every local file, in a worker; the outcome is a message."""
        self.run_in_thread("delete your local data", self._core.forget_local, self._on_done)

    def plugin_counters(self, done: Callable[[OverviewLike], None]) -> None:
        """The plugins' counters and switches, read in a worker; *done* gets them."""
        self.run_in_thread("read the plugins' counters", self._read_counters, done)

    def set_plugin_counters(self, plugin: str, on: bool) -> None:
        """Turn *plugin*'s counters on or off, in a worker; the views hear ``countersChanged``
        whether it worked or not (then also ``errorOccurred``), so a switch never shows a
        choice that was not stored."""

        def switch() -> None:
            try:
                self._core.set_plugin_counters(plugin, on)
            finally:
                self._counters_moved()

        what = f"switch {plugin}'s counters {'on' if on else 'off'}"
        self.run_in_thread(what, switch, self._on_switched)

    def _read_counters(self) -> OverviewLike:
        if not self._watching_counters:  # the first call reads files: here, off the GUI thread
            self._core.on_counters_change(self._counters_moved)
            self._watching_counters = True
        return self._core.plugin_counters()

    def _on_switched(self, _: object) -> None:
        self.recordsChanged.emit()  # switching off deletes what was pending for it

    def _counters_moved(self) -> None:
        """Any thread: the views read the plugins' counters again (on the GUI thread)."""
        _on_main_thread(self._emit_counters_changed)

    def _emit_counters_changed(self) -> None:
        with contextlib.suppress(RuntimeError):  # the controller was deleted meanwhile
            self.countersChanged.emit()

    def follow_files(self) -> None:
        """Show what other processes change (a terminal's ``send`` or ``disable``, another
        napari sending): the views read again when a watched folder changes. Qt's watcher
        (inotify and its kin) needs no thread of ours, so an idle napari still runs none."""
        if self._watcher is None:
            self._watcher = QFileSystemWatcher(self)
            self._watcher.directoryChanged.connect(self._on_folder_changed)
        self._watch()

    def _watch(self) -> None:
        """Watch each folder, or the nearest one above it that exists (it may be made later)."""
        folders = self._guard("list the folders to watch", self._core.watched_folders) or []
        wanted = set()
        for folder in folders:
            while not folder.is_dir() and folder.parent != folder:
                folder = folder.parent
            wanted.add(str(folder))
        assert self._watcher is not None
        missing = sorted(wanted - set(self._watcher.directories()))
        if missing:
            self._watcher.addPaths(missing)

    def stop_following(self) -> None:
        """Watch nothing any more (a reset: the folders this controller followed are gone)."""
        self._settle.stop()
        if self._watcher is not None:
            self._watcher.deleteLater()
            self._watcher = None

    def _on_folder_changed(self, _: str) -> None:
        self._settle.start()

    def _on_files_settled(self) -> None:
        if self._watcher is None:
            return  # stopped meanwhile
        self._watch()  # a folder made meanwhile is watched from now on
        self.recordsChanged.emit()
        self.refresh()  # the consent may have changed elsewhere

    def run_in_thread(
        self, what: str, func: Callable[..., Any], done: Callable[[Any], None], *args: Any
    ) -> None:
        """Call ``func(*args)`` in a worker thread; ``done(result)`` runs on the GUI thread.

        The worker is a daemon thread (``_workers``), started off the GUI thread: napari's exit
        never waits for an upload or a deletion request in flight, nor its GUI thread for a
        thread to start.
        """

        def work() -> None:
            try:
                result = func(*args)
            except Exception as e:
                _on_main_thread(self._report, what, e)
            else:
                _on_main_thread(self._deliver, what, done, result)

        _workers.submit(what, work)

    def _deliver(self, what: str, done: Callable[[Any], None], result: Any) -> None:
        try:
            done(result)
        except RuntimeError:  # the view was closed (Qt object deleted) while its worker ran
            log.debug("telemetry view gone before %s finished", what, exc_info=True)
        except Exception as e:
            self._report(what, e)

    def _report(self, what: str, exc: BaseException) -> None:
        log.debug("telemetry UI could not %s", what, exc_info=exc)
        with contextlib.suppress(RuntimeError):  # the controller was deleted meanwhile
            self.errorOccurred.emit(_message(what, exc))

    def _guard(self, what: str, func: Callable[..., Any], *args: Any) -> Any:
        try:
            result = func(*args)
        except Exception as e:
            log.debug("telemetry UI could not %s", what, exc_info=True)
            self.errorOccurred.emit(_message(what, e))
            return None
        return True if result is None else result

    @ensure_main_thread
    def _on_records_changed(self) -> None:
        self.recordsChanged.emit()
        # The consent changed outside this napari (a terminal, another napari): the process-wide
        # controller tells the views (a replaced one, as tests leave behind, speaks for nobody).
        current = views.controller is self and self._decision is not None
        if current and self._live_level() is not self._live:
            self.refresh()

    def _live_level(self) -> Level | None:
        live = self._guard("read the live level", self._core.live_level)
        return live if isinstance(live, Level) else None

    def _on_done(self, outcome: Outcome) -> None:
        """An action finished: every view reads the level and the records again, then hears
        how it went (an error when it did not do all it was asked)."""
        self.refresh()
        self.recordsChanged.emit()
        (self.messageOccurred if outcome.ok else self.errorOccurred).emit(outcome.text)


@ensure_main_thread
def _on_main_thread(func: Callable[..., None], *args: Any) -> None:
    func(*args)


def _message(what: str, exc: BaseException) -> str:
    if isinstance(exc, OSError):  # its str() names the file: the reason, never the path
        return f"Could not {what}: {exc.strerror or exc}."
    return f"Could not {what}: {exc}"


class Views:
    """What the views hold in one process: the controller they share, and the windows without a
    parent that need an owner while they are shown (the consent dialog, the notice that a choice
    was not saved). Emptied by ``core.state.reset()``."""

    def __init__(self) -> None:
        self.controller: TelemetryController | None = None
        self.consent: QDialog | None = None
        self.notice: QMessageBox | None = None

    def reset(self) -> None:
        """Close the windows, recording nothing, and forget the controller (the next view
        makes a new one)."""
        for window in (self.consent, self.notice):
            with contextlib.suppress(RuntimeError):  # Qt deleted it with its window already
                if window is not None:
                    window.blockSignals(True)  # closing it would say "ask me later"
                    window.close()
        if self.controller is not None:
            with contextlib.suppress(RuntimeError):
                self.controller.stop_following()  # its folders are no one's any more
        self.controller = self.consent = self.notice = None


views = Views()
state.resetting.connect(views.reset)


def get_controller() -> TelemetryController:
    """The process-wide controller over the real core (created on first use)."""
    if views.controller is None:
        views.controller = TelemetryController()
    return views.controller


def set_controller(controller: TelemetryController | None) -> None:
    """Replace the process-wide controller (tests, or a host with its own core)."""
    views.controller = controller
