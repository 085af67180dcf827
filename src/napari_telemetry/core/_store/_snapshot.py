"""One consistent look at pending data: the files and what the recorder holds, each record once.

The preview and the pending count read the same thing: what this process's recorder holds in
memory (its writer held off meanwhile, so a record is never both in memory and already in the
file, nor in neither) and the files (under the pending lock when it can be taken, so another
process's seal, send or merge is seen whole).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from napari_telemetry.core import _consent, _paths
from napari_telemetry.core._state import state
from napari_telemetry.schema import Level

from . import _files
from ._files import Key


def streams(level: Level | None) -> list[Level]:
    """*level*'s stream, or (None) every stream of the effective level."""
    if level is not None:
        return [level] if level is not Level.NONE else []
    return list(_consent.effective_level().level.streams())


@contextlib.contextmanager
def reading() -> Iterator[dict[Key, int]]:
    """Hold the recorder's writer and the pending lock while the files are read; give what the
    recorder holds in memory (``{(token, rtype, key): n}``)."""
    recorder = state.recorder
    held: contextlib.AbstractContextManager[dict[Key, int]] = (
        recorder.held() if recorder is not None else contextlib.nullcontext({})
    )
    with held as memory, _locked_if_possible():
        yield memory


@contextlib.contextmanager
def _locked_if_possible() -> Iterator[None]:
    """The pending lock, unless the folder is read-only, missing, cannot lock at all or the lock
    is held too long: then the files are read as they are (reading never makes a folder, never
    fails for a lock)."""
    root = _paths.pending_dir()
    with contextlib.ExitStack() as stack:
        if root.is_dir():
            with contextlib.suppress(OSError):  # LockTimeout and LockUnavailable included
                stack.enter_context(_paths.locked(root / ".lock", _files.LOCK_TIMEOUT))
        yield
