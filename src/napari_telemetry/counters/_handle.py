"""``Counters``: the handle a plugin counts with, bound to the package that made it."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from . import _door

log = logging.getLogger("napari_telemetry")
F = TypeVar("F", bound=Callable[..., Any])
_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect


class Counters:
    """Count a plugin's declared counters: ``count("name", label)`` or ``@counts("name")``.

    Made at the top of a module of the plugin (``counters = Counters()``), it belongs to that
    module's top-level package, which must be the package of the plugin's ``napari.manifest``
    entry point. Counts made through it by code of any other package are refused. Nothing
    leaves the computer unless the plugin declares the counter (and label), the collector's
    operators approved it, the user is at `full` and switched the plugin's counters on. It
    never raises; without napari-telemetry, the guide's fallback class does the same: nothing.
    """

    __slots__ = ("_prefix", "_top")

    def __init__(self) -> None:
        name = sys._getframe(1).f_globals.get("__name__") or ""
        self._top = str(name).partition(".")[0]
        self._prefix = self._top + "."

    def count(self, counter: str, label: str = "") -> None:
        """Count *counter* once, with *label* (one of its declared labels, or none)."""
        try:
            caller = sys._getframe(1).f_globals.get("__name__") or ""
            if caller != self._top and not caller.startswith(self._prefix):
                self._refused()
                return
            gate = _door.gate
            if gate is None:
                _door.early((self._top, counter, label))
            else:
                gate.count(self._top, counter, label)
        except Exception:
            log.debug("a plugin count was dropped", exc_info=True)

    def counts(self, counter: str, label: str = "") -> Callable[[F], F]:
        """Decorate a function of the plugin to count *counter* (with *label*) at each call.

        The count is made when the call starts, whatever it returns or raises. A function of
        another package is returned as it is, uncounted.
        """

        def decorate(func: F) -> F:
            try:
                module = str(getattr(func, "__module__", "") or "")
                if module != self._top and not module.startswith(self._prefix):
                    self._refused()
                    return func
                return self._wrap(func, counter, label)
            except Exception:
                log.debug("a plugin function could not be counted", exc_info=True)
                return func

        return decorate

    def _wrap(self, func: F, counter: str, label: str) -> F:
        top, door = self._top, _door

        def tally() -> None:
            try:
                gate = door.gate
                if gate is None:
                    door.early((top, counter, label))
                else:
                    gate.count(top, counter, label)
            except Exception:
                log.debug("a plugin count was dropped", exc_info=True)

        code = getattr(func, "__code__", None)
        if code is not None and code.co_flags & _CO_COROUTINE:

            @functools.wraps(func)
            async def counted_async(*args: Any, **kwargs: Any) -> Any:
                tally()
                return await func(*args, **kwargs)

            return counted_async  # type: ignore[return-value]

        @functools.wraps(func)
        def counted(*args: Any, **kwargs: Any) -> Any:
            tally()
            return func(*args, **kwargs)

        return counted  # type: ignore[return-value]

    def _refused(self) -> None:
        gate = _door.gate
        if gate is None:
            _door.early(None)
        else:
            gate.refuse_caller()

    def __repr__(self) -> str:
        return f"Counters(for the package {self._top!r})"
