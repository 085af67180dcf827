"""The status-bar indicator as a widget, and mounting it where napari is missing or odd."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QMainWindow

from napari_telemetry._napari._mount import install_status_indicator
from napari_telemetry._qt import StatusIndicator
from napari_telemetry.schema import Level

from ._fakes import make_batch

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

    from ._fakes import FakeCore


def _indicator(qtbot: QtBot, controller: TelemetryController) -> StatusIndicator:
    indicator = StatusIndicator(controller)
    qtbot.addWidget(indicator)
    return indicator


def test_text_follows_the_level(qtbot: QtBot, fake_controller: TelemetryController) -> None:
    indicator = _indicator(qtbot, fake_controller)
    assert indicator.text() == "Telemetry off"
    assert indicator.styleSheet()  # muted when off
    fake_controller.set_level(Level.MIDDLE)
    assert indicator.text() == "Telemetry: middle"
    assert indicator.styleSheet() == ""


def test_text_has_the_pending_count_and_the_tooltip_the_next_send(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.pending = [make_batch(n_records=7)]
    fake_controller.set_level(Level.BASIC)
    indicator = _indicator(qtbot, fake_controller)
    qtbot.waitUntil(lambda: indicator.text() == "Telemetry: basic · 7 pending")
    assert "7 record(s) pending" in indicator.toolTip()
    assert "Next send: after 2026-11-29 12:00 (retried)" in indicator.toolTip()
    fake_controller.set_level(Level.FULL)  # the count stays while the level changes
    assert indicator.text() == "Telemetry: full · 7 pending"


def test_todays_records_say_when_they_leave(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    from napari_telemetry.core import _store

    real_controller.set_level(Level.BASIC)
    indicator = _indicator(qtbot, real_controller)
    _store.get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    _store.get_recorder().flush(timeout=2)
    qtbot.waitUntil(lambda: indicator.text() == "Telemetry: basic · 1 pending")
    tomorrow = date.today() + timedelta(days=1)
    expected = f"Next send: after {tomorrow} 00:00 (today's records, once the day is over)"
    assert expected in indicator.toolTip()
    assert "not planned" not in indicator.toolTip()


def test_tooltip_follows_new_records(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_controller.set_level(Level.BASIC)
    indicator = _indicator(qtbot, fake_controller)
    qtbot.waitUntil(lambda: "0 record(s) pending" in indicator.toolTip())
    fake_core.pending = [make_batch(n_records=2)]
    fake_core.notify()
    qtbot.waitUntil(lambda: "2 record(s) pending" in indicator.toolTip())
    assert indicator.text() == "Telemetry: basic · 2 pending"


def test_click_asks_for_the_preview(qtbot: QtBot, fake_controller: TelemetryController) -> None:
    indicator = _indicator(qtbot, fake_controller)
    with qtbot.waitSignal(indicator.previewRequested):
        qtbot.mouseClick(indicator, Qt.MouseButton.LeftButton)


def test_mounted_once_per_window(qtbot: QtBot, fake_controller: TelemetryController) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    viewer = SimpleNamespace(window=SimpleNamespace(main_menu=window.menuBar()))
    first = install_status_indicator(viewer, fake_controller)
    assert first is not None
    assert install_status_indicator(viewer, fake_controller) is first
    assert window.statusBar().findChildren(StatusIndicator) == [first]


def test_no_status_bar_means_no_indicator_not_an_error(
    qtbot: QtBot, fake_controller: TelemetryController
) -> None:
    assert install_status_indicator(SimpleNamespace(), fake_controller) is None
    no_menu = SimpleNamespace(window=SimpleNamespace(main_menu=None))
    assert install_status_indicator(no_menu, fake_controller) is None
    odd = SimpleNamespace(
        window=SimpleNamespace(main_menu=SimpleNamespace(window=lambda: SimpleNamespace()))
    )
    assert install_status_indicator(odd, fake_controller) is None


def test_a_disable_in_a_terminal_turns_the_indicator_off(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    import subprocess
    import sys

    from napari_telemetry.core import _consent, _store

    _consent.record_consent(Level.FULL)
    indicator = _indicator(qtbot, real_controller)
    assert indicator.text() == "Telemetry: full"
    cli = [sys.executable, "-m", "napari_telemetry", "disable"]
    subprocess.run(cli, check=True, capture_output=True, timeout=60)
    _store.get_recorder().flush(timeout=2)  # its next round (every 5 s) reads the consent again
    qtbot.waitUntil(lambda: indicator.text() == "Telemetry off")
