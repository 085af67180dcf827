"""Telemetry inside a napari process: start once, follow the level live, never raise."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from napari_telemetry import _qt
from napari_telemetry.core import state, telemetry
from napari_telemetry.schema import Level, PublicIndex

from . import _actions, _commands, _hooks
from ._facts import session_key
from ._layers import describe_layer
from ._plugins import CommandOwners, installed_public_plugins

log = logging.getLogger("napari_telemetry")
_lock = threading.RLock()


class _Runtime:
    """What this process has done so far; one instance, reset by :func:`stop`."""

    def __init__(self) -> None:
        self.asked = False
        self.session_done = False
        self.plugins_done = False
        self.collection_done = False
        self.applied = Level.NONE
        self.next_check = 0.0
        self.owners = CommandOwners()
        self.public_plugins: frozenset[str] = frozenset()  # installed, public and stable
        self.readers: dict[str, frozenset[str]] = {}
        self.viewers: weakref.WeakSet[Any] = weakref.WeakSet()
        self.registries: list[tuple[Any, str]] = []
        self.preferences: dict[tuple[int, int], Callable[[], None]] = {}  # key: (view, page) ids

    # --- the Counter protocol of _commands -------------------------------------------------
    def owner(self, command_id: str) -> str | None:
        return self.owners(command_id)

    def count(self, command_id: str) -> str | None:
        # The hot path (microseconds): the recorder drops records above its level by itself;
        # whether the consent changed is looked at no more than once a second.
        now = time.monotonic()
        if now >= self.next_check:
            self.next_check = now + 1.0
            level = telemetry.recorder().level
            if level is not self.applied:
                catch_up(level)
        key = self.owners.key(command_id)  # made once per command id: no cost on the hot path
        if key is None:
            return None
        telemetry.recorder().count("command", key)
        return key.plugin

    def is_reader(self, command_id: str) -> bool:
        plugin = command_id.split(".", 1)[0]
        if plugin not in self.readers:
            self.readers[plugin] = _hooks.reader_commands(plugin)
        return command_id in self.readers[plugin]


_rt = _Runtime()


def current() -> _Runtime:
    """What this process has hooked and done so far (replaced by :func:`stop`)."""
    return _rt


def _recorder() -> Any:
    return telemetry.recorder()


def start(viewer: Any | None = None, *, interactive: bool = True) -> bool:
    """Start (or re-check) telemetry in this napari process; idempotent, never raises.

    Returns False when telemetry is switched off here (or could not start): nothing was hooked.
    """
    try:
        with _lock:
            return _start(viewer, interactive)
    except Exception:
        log.debug("napari-telemetry could not start", exc_info=True)
        return False


def _start(viewer: Any | None, interactive: bool) -> bool:
    decision = telemetry.decision(interactive=interactive)
    if decision.level is Level.NONE and decision.locked:
        return False  # DO_NOT_TRACK, NAPARI_TELEMETRY=0 or a site policy: no hooks at all
    if decision.should_ask and not _rt.asked:
        _rt.asked = True
        _ask(viewer)
    _install()
    if state.index_scope is None:  # started from a widget: _launch did not say it yet
        telemetry.keep_index_for(str(mf.name) for mf in _hooks.npe2_manifests())
    if viewer is not None:
        attach(viewer)
    catch_up(_recorder().level)
    _start_uploader()
    return True


def _ask(viewer: Any | None) -> None:
    dialog = _qt.ask_consent(_hooks.main_window(viewer) if viewer is not None else None)
    # after the UI recorded the choice: owe this launch's records now
    dialog.choiceMade.connect(_on_choice)


def _on_choice(_choice: object) -> None:
    try:  # a Qt slot: an exception here would reach napari's error dialog
        catch_up(_recorder().level)
    except Exception:
        log.debug("catching up after the consent choice failed", exc_info=True)


def _install() -> None:
    if _rt.registries:
        return
    app = _hooks.app_model_commands()
    if app is not None and _commands.wrap_execute_command(app, _rt):
        _rt.registries.append((app, "execute_command"))
    npe2 = _hooks.npe2_commands()
    if npe2 is not None and _commands.wrap_npe2_get(npe2, _rt, _rt.is_reader):
        _rt.registries.append((npe2, "get"))
    actions = _hooks.action_manager()
    if actions is not None and _actions.wrap_actions(actions, _rt):
        _rt.registries.append((actions, "actions"))


def attach(viewer: Any) -> None:
    """Count the layers added to *viewer* (and those it already has)."""
    if viewer in _rt.viewers:
        return
    inserted = _hooks.layer_inserted(viewer)
    if inserted is None:
        return
    inserted.connect(_on_layer_inserted)
    _rt.viewers.add(viewer)
    for layer in list(getattr(viewer, "layers", ())):
        _count_safely(layer)


def _on_layer_inserted(event: Any) -> None:
    _count_safely(getattr(event, "value", None))


def _count_safely(layer: Any) -> None:
    """Count *layer*; no layer, however broken, stops collection (or napari)."""
    try:
        _count_layer(layer)
    except Exception:
        log.debug("a layer could not be counted", exc_info=True)


def _count_layer(layer: Any) -> None:
    recorder = _recorder()
    level = recorder.level
    if level is not _rt.applied:
        catch_up(level)
    if level is Level.FULL:
        recorder.count("layer", describe_layer(layer, _rt.public_plugins))


def catch_up(level: Level) -> None:
    """Record what a launch owes at *level* and has not recorded yet (session, plugins)."""
    with _lock:
        if level is not _rt.applied:
            # A new consent: what was recorded under the old one is never sent under it, so
            # this launch owes its session and plugin records again.
            _rt.applied = level
            _rt.session_done = _rt.plugins_done = _rt.collection_done = False
        if level.includes(Level.BASIC) and not _rt.session_done:
            _rt.session_done = True
            _recorder().count("session", session_key(_hooks.napari_version()))
        if level.includes(Level.MIDDLE) and not _rt.plugins_done:
            _rt.plugins_done = True
            index = telemetry.public_index()
            if index is not None:
                _use_index(index)
            telemetry.refresh_index(on_done=_use_index)
        if level is Level.FULL and not _rt.collection_done:
            _rt.collection_done = True
            telemetry.refresh_collection()  # which plugin counters are approved (background)


def _use_index(index: PublicIndex) -> None:
    """Name public plugins, command owners and data types from *index* (any thread).

    The same plugins at every level: those installed at a stable version the index lists.
    """
    found = installed_public_plugins(_hooks.npe2_manifests(), index)
    _rt.public_plugins = frozenset(name for name, _ in found)
    _rt.owners = CommandOwners(_rt.public_plugins)
    recorder = _recorder()
    if recorder.level.includes(Level.MIDDLE):
        for key in found:
            recorder.count("plugin", key)


def _start_uploader() -> None:
    telemetry.start_uploader()


def stop() -> None:
    """Remove every hook and forget this process's state (tests, plugin unload)."""
    global _rt
    with _lock:
        for registry, name in _rt.registries:
            if name == "actions":
                _actions.unwrap_actions(registry)
            else:
                _commands.unwrap(registry, name)
        for viewer in list(_rt.viewers):
            inserted = _hooks.layer_inserted(viewer)
            if inserted is not None:
                inserted.disconnect(_on_layer_inserted)
        for disconnect in _rt.preferences.values():
            disconnect()
        _rt = _Runtime()


state.resetting.connect(stop)  # the core's one reset (tests, a plugin unload) unhooks napari too
