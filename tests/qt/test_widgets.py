"""The npe2 entry points and the ``_qt`` package surface."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import napari_telemetry._qt as qt
from napari_telemetry._napari import _start, _widgets
from napari_telemetry._qt import ConsentDialog, PreviewDock, SettingsDock
from napari_telemetry.schema import Level

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

    from ._fakes import FakeCore


def test_exported_members_are_sorted_and_complete() -> None:
    # the dialog and the docks are imported on first use (qt._LAZY): part of the surface too
    public = {name for name in [*vars(qt), *qt._LAZY] if not name.startswith("_")}
    modules = {name for name in public if type(getattr(qt, name)).__name__ == "module"}
    assert qt.__all__ == sorted(qt.__all__)
    assert set(qt.__all__) == public - modules


@pytest.fixture
def broken_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The napari side failing to start must not stop the views from opening."""

    def boom(viewer: object = None, **kwargs: object) -> None:
        raise RuntimeError("napari internals moved")

    monkeypatch.setattr(_start, "start", boom)
    monkeypatch.setattr(_widgets, "_viewer", lambda viewer: None)


@pytest.mark.usefixtures("broken_start")
def test_docks_open_without_a_viewer_and_with_a_failing_start(
    qtbot: QtBot, fake_controller: TelemetryController
) -> None:
    settings = _widgets.settings_dock()
    preview = _widgets.preview_dock()
    qtbot.addWidget(settings)
    qtbot.addWidget(preview)
    assert isinstance(settings, SettingsDock)
    assert isinstance(preview, PreviewDock)


@pytest.mark.usefixtures("broken_start")
def test_ask_consent_command_shows_the_dialog_without_blocking(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    assert _widgets.ask_consent() is None  # a command: returns at once
    dialog = qt.ask_consent()  # asking again while it is open raises the same dialog
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ConsentDialog)
    assert dialog.isVisible()
    dialog.choose(Level.BASIC)
    assert fake_core.agreed is Level.BASIC


@pytest.mark.usefixtures("broken_start")
def test_send_now_command_uploads_in_the_background(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    _widgets.send_now()
    qtbot.waitUntil(lambda: "send_now" in fake_core.calls)


def test_the_cores_reset_empties_the_views_and_records_nothing(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    from napari_telemetry._qt._controller import views
    from napari_telemetry.core import state

    dialog = qt.ask_consent()
    qtbot.addWidget(dialog)
    assert views.consent is dialog
    assert qt.get_controller() is fake_controller
    state.reset()  # the one reset of tests and of a plugin unload
    assert views.consent is None
    assert not dialog.isVisible()
    assert "record_consent" not in fake_core.calls  # closing it here was not a "not now"
    assert qt.get_controller() is not fake_controller  # a new one, over the real core
