"""Start at launch: npe2's plugin discovery imports the package inside napari's first Viewer().

The entry point ``napari_telemetry._manifest:napari.yaml`` names a sub-package, so npe2's
``PluginManifest._from_entrypoint`` calls ``importlib.util.find_spec`` on it, which imports the
parent package ``napari_telemetry`` (see docs/design.md, "Starting at launch"). That happens in
``Viewer.__init__`` before the window and the QApplication exist, so the real start is posted to
the Qt event loop and runs once napari's window is up.

What is slow in a first start (importing the core, its pydantic models and views; reading the
consent and the plugin index) is done first on a worker thread: only :func:`launched`, a few
milliseconds of hooking in and adding the indicator, runs on napari's GUI thread. napari's plugin
settings (the Preferences page) are left for napari to build when its Preferences dialog opens.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading

from . import _hooks

log = logging.getLogger("napari_telemetry")


def in_napari_gui() -> bool:
    """Whether this import is napari building its first viewer (not npe2's CLI, not a test)."""
    if "napari.window" not in sys.modules:  # imported by Viewer.__init__ before discovery
        return False
    return "pytest" not in sys.modules and "PYTEST_CURRENT_TEST" not in os.environ


def on_import() -> None:
    """Post :func:`launched` to the Qt event loop when this is napari's GUI; never raises.

    Only the first Viewer()'s discovery is a launch. A discovery in a napari already open is
    napari-plugin-manager's, right after installing the plugin: napari then asks for a restart,
    and so does telemetry (a consent prompt popping up over the plugin dialog would be closed
    unanswered with that napari, and so postponed for a week). Opening one of its widgets
    starts it meanwhile.
    """
    try:
        if not in_napari_gui():
            return
        if _hooks.current_viewer() is not None:
            return
        from qtpy.QtCore import QTimer  # Qt: only once napari's GUI is up

        # A zero-delay single shot is a queued call: it is delivered by the event loop that
        # napari.run() (or IPython's Qt loop) starts, after Viewer() has finished.
        QTimer.singleShot(0, _begin)
    except Exception:
        log.debug("napari-telemetry could not schedule its start", exc_info=True)


_PRELOAD = ("napari_telemetry.core", "napari_telemetry._qt", "napari_telemetry._napari._start")


def _begin() -> None:
    """On the GUI thread, once its loop runs: prepare the start on a worker thread."""
    try:
        threading.Thread(target=_prepare, name="napari-telemetry-start", daemon=True).start()
    except Exception:
        log.debug("napari-telemetry could not prepare its start", exc_info=True)


def _prepare() -> None:
    """Off the GUI thread: everything slow a start needs; then :func:`launched` on the GUI."""
    try:
        for name in _PRELOAD:
            importlib.import_module(name)
        from napari_telemetry.core import telemetry  # imported by the loop above: no cost here

        telemetry.recorder()  # made here, off the GUI thread
        telemetry.keep_index_for(str(mf.name) for mf in _hooks.npe2_manifests())
        telemetry.public_index()
    except Exception:
        log.debug("napari-telemetry could not prepare its start", exc_info=True)
    try:
        from superqt.utils import ensure_main_thread  # Qt: only once napari's GUI is up

        ensure_main_thread(launched)()
    except Exception:
        log.debug("napari-telemetry could not start at launch", exc_info=True)


def launched() -> None:
    """Start telemetry for the viewer napari just opened (if it is still there); never raises."""
    try:  # a queued Qt call: an exception here would reach napari's error dialog
        from . import _start  # the core and the views: imported by _prepare, on its thread

        viewer = _hooks.current_viewer()
        if viewer is not None:
            _start.start(viewer)  # with the status-bar indicator and Preferences page
    except Exception:
        log.debug("napari-telemetry could not start at launch", exc_info=True)
