"""napari's own key bindings and layer buttons (its action manager) are counted by action name."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import Qt

from napari_telemetry._napari import _hooks, _runtime
from napari_telemetry.core import state
from napari_telemetry.schema import Level, PublicIndex

from .telemetry_helpers import consent, pending

pytestmark = [pytest.mark.napari, pytest.mark.gui]


@pytest.fixture
def viewer(make_napari_viewer: Any) -> Any:
    viewer = make_napari_viewer(show=True)
    consent(Level.FULL)
    assert _runtime.start(viewer, interactive=False)
    return viewer


def _counted() -> dict[tuple[str, str], int]:
    return {(r["command_id"], r["plugin"]): r["count"] for r in pending().get("command", [])}


def test_ctrl_y_is_counted_and_still_toggles_3d(viewer: Any, qtbot: Any) -> None:
    qt_viewer = viewer.window._qt_viewer
    qtbot.keyClick(qt_viewer, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # a real key
    assert viewer.dims.ndisplay == 3
    qtbot.keyClick(qt_viewer, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert viewer.dims.ndisplay == 2
    assert _counted() == {("napari:toggle_ndisplay", "napari"): 2}


def test_press_and_hold_bindings_still_hold(viewer: Any, qtbot: Any) -> None:
    layer = viewer.add_points(np.zeros((1, 2)))
    layer.mode = "add"
    qt_viewer = viewer.window._qt_viewer
    qtbot.keyPress(qt_viewer, Qt.Key.Key_Space)  # napari's "hold for pan/zoom", a generator
    assert layer.mode == "pan_zoom"
    qtbot.keyRelease(qt_viewer, Qt.Key.Key_Space)
    assert layer.mode == "add"
    assert _counted()[("napari:hold_for_pan_zoom", "napari")] == 1


def test_buttons_of_the_action_manager_count_too(viewer: Any) -> None:
    from napari.utils.action_manager import action_manager

    viewer.add_image(np.zeros((4, 4)))
    action_manager.trigger("napari:reset_view")  # what its buttons call
    assert _counted() == {("napari:reset_view", "napari"): 1}


def test_plugin_actions_follow_the_command_rules(viewer: Any, small_index: PublicIndex) -> None:
    from napari.utils.action_manager import action_manager

    _runtime._use_index(small_index)
    ran: list[str] = []
    for name in ("napari-svg:export_all", "my-private-plugin:secret_step"):
        action_manager.register_action(name, lambda n=name: ran.append(n), name, None)
        action_manager.trigger(name)
    assert ran == ["napari-svg:export_all", "my-private-plugin:secret_step"]
    assert _counted() == {("napari-svg:export_all", "napari-svg"): 1}  # never the private one


@pytest.mark.parametrize("how", ["stop", "the core's reset"])
def test_stop_puts_napari_back(viewer: Any, qtbot: Any, how: str) -> None:
    from napari.utils.action_manager import action_manager

    assert _runtime.current().registries  # hooked by the viewer fixture
    if how == "stop":
        _runtime.stop()
    else:
        state.reset()
    assert _runtime.current().registries == []
    injected = action_manager._actions["napari:toggle_ndisplay"].injected
    assert not hasattr(injected, "__napari_telemetry__")
    assert "register_action" not in vars(action_manager)
    qtbot.keyClick(viewer.window._qt_viewer, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert viewer.dims.ndisplay == 3  # the binding works, and is napari's own again
    assert _counted() == {}


def test_a_moved_action_manager_leaves_commands_counted(
    make_napari_viewer: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from napari.utils import action_manager

    viewer = make_napari_viewer()
    monkeypatch.delattr(action_manager.ActionManager, "_update_shortcut_bindings")
    consent(Level.FULL)
    with caplog.at_level(logging.DEBUG, logger="napari_telemetry"):
        _runtime.start(viewer, interactive=False)
    assert _hooks.action_manager() is None
    assert "action manager is unavailable" in caplog.text
    assert [name for _, name in _runtime._rt.registries] == ["execute_command", "get"]
