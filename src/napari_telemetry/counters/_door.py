"""Where a plugin's counts go: the core's gate, reached off the plugin's thread the first time.

Importing ``napari_telemetry.counters`` costs a plugin nothing but this module: the core (its
models, its files) is imported by a daemon thread at the first count, which is held here
meanwhile (a few hundred at most), then passed on. In napari the core is already loaded by
telemetry's own start, so this wait is short.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

log = logging.getLogger("napari_telemetry")
MAX_EARLY = 256
_OFF = {"0", "off", "false", "none", "no", "n"}
_lock = threading.Lock()
gate: Any = None  # the core's Gate, once loaded
_early: list[tuple[str, str, str] | None] = []  # counts before it (None: a refused caller)
_loading = False


def switched_off() -> bool:
    """``DO_NOT_TRACK`` or ``NAPARI_TELEMETRY=0``: counting stays a no-op, the core unloaded."""
    dnt = os.environ.get("DO_NOT_TRACK", "").strip().lower()
    return (dnt not in {"", "0", "false", "no", "off", "n"}) or (
        os.environ.get("NAPARI_TELEMETRY", "").strip().lower() in _OFF
    )


def early(item: tuple[str, str, str] | None) -> None:
    """Hold a count (or a refused caller) until the gate is there, and go and get it."""
    global _loading
    if switched_off():
        return
    with _lock:
        if gate is None:
            if len(_early) < MAX_EARLY:
                _early.append(item)
            if _loading:
                return
            _loading = True
    if gate is not None:
        _pass(gate, item)
        return
    threading.Thread(target=_load, name="napari-telemetry-counters", daemon=True).start()


def _load() -> None:
    global gate
    try:
        from napari_telemetry.core import state, telemetry  # the core: off the plugin's thread

        loaded = telemetry.counter_gate()
        state.resetting.connect(_forget, unique=True)
        with _lock:
            gate, held = loaded, list(_early)
            _early.clear()
        for item in held:
            _pass(loaded, item)
    except Exception:
        log.debug("plugin counters could not start", exc_info=True)


def _pass(to: Any, item: tuple[str, str, str] | None) -> None:
    if item is None:
        to.refuse_caller()
    else:
        to.count(*item)


def _forget() -> None:
    """The core reset (tests, a plugin unload): the next count loads the new gate."""
    global gate, _loading
    with _lock:
        gate, _loading = None, False
        _early.clear()
