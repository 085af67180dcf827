"""Count napari's own actions (key bindings such as Ctrl+Y, layer buttons) by action name.

napari binds these through its action manager, not app-model: a shortcut's keymap holds the
action's ``injected`` function, and a button calls ``action_manager.trigger(name)``, which calls
the same function. Each one is replaced by a counting wrapper of the same kind (a generator
stays a generator: napari runs press-and-hold bindings as generators) and bound again; actions
registered later (plugins) are wrapped as they register. Same rules as commands: counted under
the action name with owner ``napari`` or a public plugin, else not at all. Never raises.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from ._commands import _MARK, Counter, unwrap

log = logging.getLogger("napari_telemetry")


def wrap_actions(manager: Any, counter: Counter) -> bool:
    """Count every action of *manager*, now and registered later; True once installed."""
    for name, action in list(manager._actions.items()):
        _wrap(manager, name, action, counter)
    register = manager.register_action
    if getattr(register, _MARK, False):
        return True

    @functools.wraps(register)
    def register_action(name: str, *args: Any, **kwargs: Any) -> Any:
        result = register(name, *args, **kwargs)
        _wrap(manager, name, manager._actions.get(name), counter)
        return result

    setattr(register_action, _MARK, True)
    manager.register_action = register_action
    return True


def _wrap(manager: Any, name: str, action: Any, counter: Counter) -> None:
    try:
        injected = action.injected
        if getattr(injected, _MARK, False):
            return
        action.__dict__["injected"] = _counting(injected, name, counter)
        manager._update_shortcut_bindings(name)  # the keymaps hold the old function
    except Exception:
        log.debug("action %r could not be wrapped", name, exc_info=True)


def _counting(func: Callable[..., Any], name: str, counter: Counter) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def hold(*args: Any, **kwargs: Any) -> Any:
            _count(counter, name)
            return (yield from func(*args, **kwargs))

        wrapper: Callable[..., Any] = hold
    else:

        @functools.wraps(func)
        def press(*args: Any, **kwargs: Any) -> Any:
            _count(counter, name)
            return func(*args, **kwargs)

        wrapper = press
    setattr(wrapper, _MARK, True)
    return wrapper


def _count(counter: Counter, name: str) -> None:
    try:
        counter.count(name)
    except Exception:
        log.debug("counting action %r failed", name, exc_info=True)


def unwrap_actions(manager: Any) -> None:
    """Put napari's own functions back (and its ``register_action``)."""
    for name, action in list(manager._actions.items()):
        current = action.__dict__.get("injected")
        if current is not None and getattr(current, _MARK, False):
            action.__dict__["injected"] = current.__wrapped__
            try:
                manager._update_shortcut_bindings(name)
            except Exception:
                log.debug("action %r could not be bound again", name, exc_info=True)
    unwrap(manager, "register_action")
