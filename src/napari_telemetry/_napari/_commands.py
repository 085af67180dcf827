"""Count commands: app-model's ``execute_command`` and npe2's command resolution.

Both are wrapped by shadowing the method on the one registry instance (app-model's Qt actions,
the command palette and keybindings look ``execute_command`` up on the instance at call time).
The wrappers count, then call the original: the command's own result and exceptions pass
through untouched. Counting itself never raises.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("napari_telemetry")
_local = threading.local()
_MARK = "__napari_telemetry__"


class Counter(Protocol):
    """What the wrappers call: who owns a command, and count one use of it."""

    def owner(self, command_id: str) -> str | None: ...
    def count(self, command_id: str) -> str | None: ...  # returns the owner (None: not counted)


def _running() -> list[str | None]:
    """Owners of the app-model commands running on this thread, innermost last."""
    try:
        stack: list[str | None] = _local.owners
    except AttributeError:
        stack = _local.owners = []
    return stack


def wrap_execute_command(registry: Any, counter: Counter) -> bool:
    """Count every command run through *registry* (app-model's ``CommandsRegistry``)."""
    original = registry.execute_command
    if getattr(original, _MARK, False):
        return True

    def execute_command(id: str, *args: Any, **kwargs: Any) -> Any:
        owner = None
        try:
            owner = counter.count(id) if id in registry else None
        except Exception:
            log.debug("counting command %r failed", id, exc_info=True)
        stack = _running()
        stack.append(owner)
        try:
            return original(id, *args, **kwargs)
        finally:
            stack.pop()

    setattr(execute_command, _MARK, True)
    registry.execute_command = execute_command
    return True


def wrap_npe2_get(registry: Any, counter: Counter, is_reader: Callable[[str], bool]) -> bool:
    """Count widgets, sample data, writers and readers that npe2 resolves.

    A contribution resolved inside an app-model command of the same owner (a widget or sample
    opened from its menu) was counted there already. A reader is counted only when it accepts
    the path (npe2 asks each compatible reader in turn).
    """
    original = registry.get
    if getattr(original, _MARK, False):
        return True

    def get(id: str) -> Any:
        func = original(id)
        try:
            if is_reader(id):
                return _counting_reader(func, id, counter)
            stack = _running()
            if not stack or stack[-1] != counter.owner(id):
                counter.count(id)
        except Exception:
            log.debug("counting npe2 command %r failed", id, exc_info=True)
        return func

    setattr(get, _MARK, True)
    registry.get = get
    return True


def _counting_reader(func: Any, id: str, counter: Counter) -> Any:
    @functools.wraps(func)
    def reader(*args: Any, **kwargs: Any) -> Any:
        result = func(*args, **kwargs)
        if result is not None:
            try:
                counter.count(id)
            except Exception:
                log.debug("counting reader %r failed", id, exc_info=True)
        return result

    return reader


def unwrap(registry: Any, name: str) -> None:
    """Remove our wrapper of ``registry.<name>`` (if it is still ours)."""
    current = registry.__dict__.get(name)
    if current is not None and getattr(current, _MARK, False):
        delattr(registry, name)
