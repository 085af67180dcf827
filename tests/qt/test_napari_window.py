"""In a real napari window (Xvfb): the status-bar indicator, the contributions, two viewers."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

from napari_telemetry._napari import _widgets
from napari_telemetry._qt import ConsentDialog, PreviewDock, SettingsDock, StatusIndicator
from napari_telemetry.core import _consent
from napari_telemetry.schema import Level

from ._layout import problems as _problems

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

pytestmark = [
    pytest.mark.napari,
    pytest.mark.gui,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (Xvfb)"),
]


def _dialogs(viewer: Any) -> list[ConsentDialog]:
    found: list[ConsentDialog] = viewer.window.main_menu.window().findChildren(ConsentDialog)
    return found


def _indicators(viewer: Any) -> list[StatusIndicator]:
    bar = viewer.window.main_menu.window().statusBar()
    found: list[StatusIndicator] = bar.findChildren(StatusIndicator)
    return found


@pytest.fixture(autouse=True)
def _stop_telemetry() -> Iterator[None]:
    yield
    from napari_telemetry import _napari

    _napari.stop()


@pytest.fixture
def viewer(make_napari_viewer: Callable[..., Any], real_controller: TelemetryController) -> Any:
    return make_napari_viewer(show=True)


def test_indicator_appears_after_start_and_follows_the_level(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    assert _indicators(viewer) == []
    dock = _widgets.settings_dock(viewer)
    (indicator,) = _indicators(viewer)
    assert indicator.isVisible()
    assert indicator.text() == "Telemetry off"
    dock.setLevel(Level.FULL)
    assert indicator.text() == "Telemetry: full"
    dock.setLevel(Level.NONE)
    assert indicator.text() == "Telemetry off"
    dock.deleteLater()


def test_clicking_the_indicator_opens_the_preview_dock(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    _widgets.send_now(viewer)  # any contribution starts telemetry
    (indicator,) = _indicators(viewer)
    indicator.click()
    qtbot.waitUntil(lambda: _dock_widget(viewer, PreviewDock) is not None)
    indicator.click()  # a second click shows the same dock, not a second one
    docks = list(viewer.window.main_menu.window().findChildren(PreviewDock))
    assert len(docks) == 1


def _dock_widget(viewer: Any, kind: type) -> Any | None:
    found = viewer.window.main_menu.window().findChildren(kind)
    return found[0] if found else None


def test_plugin_menu_contributions_open_the_docks(qtbot: QtBot, viewer: Any) -> None:
    _, settings = viewer.window.add_plugin_dock_widget("napari-telemetry", "Settings")
    _, preview = viewer.window.add_plugin_dock_widget("napari-telemetry", "Preview")
    assert isinstance(settings, SettingsDock)
    assert isinstance(preview, PreviewDock)
    assert len(_indicators(viewer)) == 1


def test_ask_consent_command_opens_a_non_modal_dialog(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    _widgets.ask_consent(viewer)
    (dialog,) = _dialogs(viewer)
    assert dialog.isVisible()
    assert not viewer.window.main_menu.window().isHidden()
    dialog.close()  # closing the window is "Ask me later"
    assert _consent.effective_level().source == "later"
    assert real_controller.decision() is not None


def test_two_viewers_each_get_one_indicator_and_share_the_level(
    qtbot: QtBot, make_napari_viewer: Callable[..., Any], real_controller: TelemetryController
) -> None:
    first = make_napari_viewer(show=True)
    second = make_napari_viewer(show=True)
    dock = _widgets.settings_dock(first)
    _widgets.preview_dock(second)
    _widgets.preview_dock(second)
    assert len(_indicators(first)) == 1
    assert len(_indicators(second)) == 1
    dock.setLevel(Level.BASIC)
    assert _indicators(first)[0].text() == _indicators(second)[0].text() == "Telemetry: basic"
    second.close()
    dock.setLevel(Level.MIDDLE)  # the closed window's indicator is gone, not an error
    assert _indicators(first)[0].text() == "Telemetry: middle"
    dock.deleteLater()


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend this is a user's desktop session, not a test run."""
    monkeypatch.setattr("napari_telemetry.core._switches.ci_reason", lambda: None)


@pytest.mark.usefixtures("desktop")
def test_start_asks_once_and_closing_means_ask_me_later(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    from napari_telemetry import _napari

    _napari.start(viewer)
    (dialog,) = _dialogs(viewer)
    assert dialog.isVisible()
    _napari.start(viewer)  # a second start does not ask twice
    assert len(_dialogs(viewer)) == 1
    dialog.close()
    decision = _consent.effective_level(interactive=True)
    assert decision.agreed_level is Level.NONE
    assert (decision.source, decision.should_ask) == ("later", False)  # asked again in a week


@pytest.mark.usefixtures("desktop")
def test_expired_temporary_agreement_asks_again(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    from datetime import date, timedelta

    from napari_telemetry import _napari

    _consent.record_consent(Level.BASIC, days=30, today=date.today() - timedelta(days=40))
    _napari.start(viewer)
    (dialog,) = _dialogs(viewer)
    with qtbot.waitSignal(dialog.choiceMade):
        dialog.choose(Level.MIDDLE)
    assert _consent.effective_level().level is Level.MIDDLE


def _menu_actions(menu: Any) -> dict[str, Any]:
    found = {}
    for action in menu.actions():
        found[action.text().replace("&", "")] = action
        if action.menu() is not None:
            found.update(_menu_actions(action.menu()))
    return found


def test_docks_are_in_the_plugins_menu_and_lead_to_consent(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    top = {a.text().replace("&", ""): a for a in viewer.window.main_menu.actions()}
    actions = _menu_actions(top["Plugins"].menu())
    titles = sorted(actions)
    assert any(t == "Preview" for t in titles), titles
    next(a for t, a in actions.items() if t == "Settings").trigger()
    window = viewer.window.main_menu.window()
    qtbot.waitUntil(lambda: bool(window.findChildren(SettingsDock)))
    (dock,) = window.findChildren(SettingsDock)
    dock.actionsSection.consentButton.click()
    qtbot.waitUntil(lambda: any(d.isVisible() for d in _dialogs(viewer)))
    assert len(_indicators(viewer)) == 1


def test_commands_run_through_napari_app_model(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    from napari._app_model import get_app_model

    commands = get_app_model().commands
    commands.execute_command("napari-telemetry.ask_consent").result()
    assert any(d.isVisible() for d in _dialogs(viewer))
    commands.execute_command("napari-telemetry.send_now").result()
    assert len(_indicators(viewer)) == 1


def test_through_napari_public_only_proxy_no_private_access(
    qtbot: QtBot,
    make_napari_viewer_proxy: Callable[..., Any],
    real_controller: TelemetryController,
) -> None:
    """What a plugin is handed warns on private access; filterwarnings=error would fail here."""
    proxy = make_napari_viewer_proxy(show=True)
    dock = _widgets.settings_dock(proxy)
    (indicator,) = _indicators(proxy)
    dock.setLevel(Level.BASIC)
    assert indicator.text() == "Telemetry: basic"
    indicator.click()
    qtbot.waitUntil(lambda: _dock_widget(proxy, PreviewDock) is not None)
    dock.deleteLater()


def test_the_indicator_counts_this_launchs_records_and_says_when_they_leave(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    _consent.record_consent(Level.BASIC)
    dock = _widgets.settings_dock(viewer)  # starts telemetry: this launch's session record
    (indicator,) = _indicators(viewer)
    qtbot.waitUntil(lambda: indicator.text() == "Telemetry: basic · 1 pending", timeout=15_000)
    assert "once the day is over" in indicator.toolTip()
    dock.deleteLater()


def _dock_of(viewer: Any, name: str) -> tuple[Any, Any]:
    """(the QDockWidget, the plugin's widget) of this plugin's *name* dock, opened as napari
    opens it from the Plugins menu."""
    dock, widget = viewer.window.add_plugin_dock_widget("napari-telemetry", name)
    return dock, widget


def test_the_indicator_and_the_menu_open_the_same_preview_dock_with_one_name(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    from qtpy.QtWidgets import QDockWidget

    from napari_telemetry._napari import _hooks

    window = viewer.window.main_menu.window()
    top = {a.text().replace("&", ""): a for a in viewer.window.main_menu.actions()}
    next(a for t, a in _menu_actions(top["Plugins"].menu()).items() if t == "Preview").trigger()
    qtbot.waitUntil(lambda: bool(window.findChildren(PreviewDock)))
    _hooks.open_dock(viewer, "Preview")  # what a click on the indicator does
    _hooks.open_dock(viewer, "Settings")
    titles = sorted(d.windowTitle() for d in window.findChildren(QDockWidget)
                    if d.findChild(PreviewDock) or d.findChild(SettingsDock))  # fmt: skip
    assert titles == ["Preview (napari-telemetry)", "Settings (napari-telemetry)"]


def test_both_docks_work_at_napari_dock_width(
    qtbot: QtBot,
    make_napari_viewer: Callable[..., Any],
    real_controller: TelemetryController,
) -> None:
    """Stacked at 300 px, as napari shows plugin docks: nothing cut, nothing wider than the
    dock, the ids and the JSON still readable."""
    from qtpy.QtCore import Qt

    from napari_telemetry.core import _store

    _consent.record_consent(Level.FULL, days=30)
    recorder = _store.get_recorder()
    recorder.count("session", ("0.9.2", "3.11.7", "Linux", "debian-12", "x86_64"))
    recorder.count("layer", ("Image", "numpy.ndarray", 2, "float32", False, 1, 15), 2)
    recorder.flush(timeout=2)
    viewer = make_napari_viewer(show=True)
    window = viewer.window.main_menu.window()
    window.resize(1280, 800)
    settings_dock, settings = _dock_of(viewer, "Settings")
    preview_dock, preview = _dock_of(viewer, "Preview")
    window.resizeDocks([settings_dock, preview_dock], [300, 300], Qt.Orientation.Horizontal)
    settings.idsBox.expand(animate=False)
    qtbot.waitUntil(
        lambda: len(settings.idsTable.rows()) == 1 and bool(preview.pendingPane().batches())
    )
    qtbot.wait(300)
    for dock in (settings_dock, preview_dock):
        assert dock.width() == 300
        problems = _problems(dock)
        assert not problems, "\n".join(problems)
        assert dock.height() >= dock.widget().minimumSizeHint().height()  # not squeezed
    table = settings.idsTable._table
    assert table.height() >= 3 * table.verticalHeader().defaultSectionSize()  # 3 rows at least
    tree = preview.pendingPane().tree()
    assert tree.columnWidth(1) >= 0.4 * tree.viewport().width()  # values are not squeezed
    assert preview.pendingPane()._json.horizontalScrollBar().maximum() > 0  # scrolls, no wrap


def test_a_label_cut_at_300_px_is_caught(
    qtbot: QtBot, make_napari_viewer: Callable[..., Any], real_controller: TelemetryController
) -> None:
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QLabel, QPushButton

    viewer = make_napari_viewer(show=True)
    dock, settings = _dock_of(viewer, "Settings")
    viewer.window.main_menu.window().resizeDocks([dock], [300], Qt.Orientation.Horizontal)
    long = QLabel("a label that does not wrap and is far wider than three hundred pixels")
    settings.addSection(long)
    qtbot.wait(100)
    assert any("a label that does not wrap" in p for p in _problems(dock)), _problems(dock)
    long.hide()
    wide = QPushButton("a button wider than the dock: " + "x" * 60)
    wide.setMinimumWidth(400)
    settings.addSection(wide)
    qtbot.wait(100)
    assert any("reaches past the dock" in p for p in _problems(dock))


def test_the_views_follow_napari_theme(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    from napari.utils.theme import get_theme

    _widgets.settings_dock(viewer)  # starts telemetry in this window: its theme is read
    assert viewer.theme == "dark"  # napari's default
    palette = real_controller.palette()
    assert palette.dark
    assert palette.background == get_theme("dark").background.as_hex()
    viewer.theme = "light"
    assert not real_controller.palette().dark
    assert real_controller.palette().background == get_theme("light").background.as_hex()


def test_the_dialog_in_napari_window_says_it_all_without_scrolling(
    qtbot: QtBot, viewer: Any, real_controller: TelemetryController
) -> None:
    """With napari's own style sheet and font, at 640 × 480."""
    from qtpy.QtWidgets import QApplication

    _widgets.ask_consent(viewer)
    (dialog,) = _dialogs(viewer)
    dialog.resize(640, 480)
    QApplication.processEvents()
    assert (dialog.width(), dialog.height()) == (640, 480)
    assert dialog._scroll.verticalScrollBar().maximum() == 0
    assert all(b.isVisible() for b in dialog.buttons().values())
    dialog.close()
