"""What one process holds: the recorder, the uploader, the transport, the plugin index and the
gate of plugin counters.

Each is made on first use by the module that owns it (``get_recorder``, ``get_uploader``,
``get_transport``, ``_public_index.current``) and kept here, in one place, so that one
:meth:`State.reset` gives a test (or a plugin unload) a process as it was at start. The parts
above the core that hold process state of their own (napari's hooks, the views' controller and
open windows) follow the ``resetting`` signal, so the one reset covers them too.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from psygnal import Signal

from . import _switches

if TYPE_CHECKING:
    from napari_telemetry.schema import PublicIndex

    from ._counters import Gate
    from ._store import Recorder
    from ._transport import Transport
    from ._uploader import Uploader


log = logging.getLogger("napari_telemetry")


class State:
    """The process-wide objects of the core; none exists until it is first asked for."""

    resetting = Signal()  # reset() begins: the parts above the core forget what they hold

    def __init__(self) -> None:
        self.recorder: Recorder | None = None
        self.uploader: Uploader | None = None
        self.transport: Transport | None = None
        self.index: list[PublicIndex | None] = []  # empty: the cache file was not read yet
        self.gate: Gate | None = None  # what plugins may count (core._counters)
        self.index_scope: frozenset[str] | None = None  # the only plugins the index keeps
        self.lock = threading.Lock()  # held while one of them is made

    def reset(self) -> None:
        """Stop the uploader, write what the recorder holds, and forget all four."""
        try:
            self.resetting.emit()
        except Exception:  # a part that cannot let go must not keep the core from resetting
            log.debug("a part failed to reset", exc_info=True)
        if self.uploader is not None:
            self.uploader.stop(timeout=0.5)
        if self.recorder is not None:
            self.recorder.flush(timeout=2)
        self.uploader = self.recorder = self.transport = None
        self.gate = None
        self.index.clear()
        self.index_scope = None
        _switches._warn_once.cache_clear()  # a new process warns again


state = State()
