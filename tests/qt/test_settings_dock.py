"""The settings dock over the real core (files in the test folder) and, for faults, a fake."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QWidget

from napari_telemetry._qt import SettingsDock
from napari_telemetry._qt._forget_local import ForgetLocalDialog
from napari_telemetry.core import _consent, _paths, _store
from napari_telemetry.schema import Level

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

    from ._fakes import FakeCore


def _dock(qtbot: QtBot, controller: TelemetryController) -> SettingsDock:
    dock = SettingsDock(controller)
    qtbot.addWidget(dock)
    return dock


def _running_workers() -> str:
    return " ".join(t.name for t in threading.enumerate())


def _session(n: int = 1) -> None:
    recorder = _store.get_recorder()
    for i in range(n):
        recorder.count("session", ("0.9.2", "3.11.7", "Linux", f"debian-{i}", "x86_64"))
    recorder.flush(timeout=2)


def test_level_change_persists_and_is_honoured_at_once(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    dock = _dock(qtbot, real_controller)
    assert dock.level() is Level.NONE
    dock.setLevel(Level.MIDDLE)
    # persisted: a fresh read of the consent record agrees
    assert _consent.effective_level().level is Level.MIDDLE
    # honoured at once: the live recorder moved too, and records now count
    assert _store.get_recorder().level is Level.MIDDLE
    _session()
    assert _store.pending().records == 1
    assert "middle" in dock._level.text()


def test_lowering_the_level_drops_what_is_pending_above_it(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    _consent.record_consent(Level.FULL)
    dock = _dock(qtbot, real_controller)
    _store.get_recorder().count("plugin", ("napari-svg", "0.2.1"))
    _session()
    assert {b["level"] for b in _store.preview()} == {"basic", "middle"}
    dock.setLevel(Level.BASIC)
    assert not any(_paths.pending_dir("middle").glob("*.jsonl"))
    assert any(_paths.pending_dir("basic").glob("*.jsonl"))


def test_disable_deletes_pending_data(qtbot: QtBot, real_controller: TelemetryController) -> None:
    _consent.record_consent(Level.BASIC)
    dock = _dock(qtbot, real_controller)
    _session(3)
    assert _store.preview()
    qtbot.mouseClick(dock._disable_btn, Qt.MouseButton.LeftButton)
    assert _consent.effective_level().level is Level.NONE
    assert _store.preview(Level.BASIC) == []
    assert dock.level() is Level.NONE


def test_temporary_agreement_shows_its_expiry(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    dock = _dock(qtbot, real_controller)
    dock._temporary.setChecked(True)
    dock.setLevel(Level.BASIC)
    expires = date.today() + timedelta(days=30)
    assert _consent.effective_level().expires == expires
    assert dock._expiry.text() == expires.isoformat()


def test_expired_temporary_consent_turns_off_and_asks_again(
    qtbot: QtBot, real_controller: TelemetryController, monkeypatch: pytest.MonkeyPatch
) -> None:
    _consent.record_consent(Level.FULL, days=30, today=date.today() - timedelta(days=31))
    dock = _dock(qtbot, real_controller)
    assert "off" in dock._level.text()
    decision = real_controller.decision()
    assert decision is not None
    assert decision.source == "expired"
    monkeypatch.setattr("napari_telemetry.core._switches.ci_reason", lambda: None)
    assert _consent.effective_level(interactive=True).should_ask


def test_env_var_locks_the_controls_and_says_why(
    qtbot: QtBot, real_controller: TelemetryController, monkeypatch: pytest.MonkeyPatch
) -> None:
    _consent.record_consent(Level.FULL)
    monkeypatch.setenv("NAPARI_TELEMETRY", "0")
    dock = _dock(qtbot, real_controller)
    assert not dock._level_combo.isEnabled()
    assert "NAPARI_TELEMETRY" in dock._level_combo.toolTip()
    assert dock._disable_btn.isEnabled()  # switching off is always possible


def test_locked_site_policy_disables_the_switch_and_says_why(
    qtbot: QtBot,
    real_controller: TelemetryController,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"max_level": "basic", "locked": true}')
    monkeypatch.setenv("NAPARI_TELEMETRY_POLICY", str(policy))
    _consent.record_consent(Level.FULL)
    dock = _dock(qtbot, real_controller)
    assert "basic" in dock._level.text()
    assert not dock._level_combo.isEnabled()
    assert not dock._temporary.isEnabled()
    assert "site policy" in dock._level_combo.toolTip()
    policy.write_text('{"max_level": "basic", "locked": false}')
    real_controller.refresh()
    assert dock._level_combo.isEnabled()
    assert dock._level_combo.toolTip() == ""


def test_endpoints_and_ids_are_listed(qtbot: QtBot, real_controller: TelemetryController) -> None:
    _consent.record_consent(Level.BASIC)  # an identity exists once you agreed
    dock = _dock(qtbot, real_controller)
    assert "http://127.0.0.1:9/basic" in dock._endpoints.text()
    qtbot.waitUntil(lambda: len(dock._ids.rows()) == 9)
    week, uid = dock._ids.rows()[0]
    assert week.startswith(str(date.today().isocalendar().year))
    assert len(uid) == 32


def test_looking_at_the_ids_makes_no_identity(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    dock = _dock(qtbot, real_controller)
    dock._ids.reload()
    qtbot.waitUntil(lambda: "list your weekly ids" not in _running_workers())
    assert dock._ids.rows() == []
    qtbot.waitUntil(lambda: "No weekly ids yet" in dock._ids._note.text())
    assert not _paths.secret_file().exists()
    real_controller.set_level(Level.BASIC)  # agreeing makes the identity
    qtbot.waitUntil(lambda: len(dock._ids.rows()) == 9)
    assert "change every week" in dock._ids._note.text()


def test_store_raising_in_a_callback_is_a_message_in_the_widget(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dock = _dock(qtbot, fake_controller)
    fake_core.fail["record_consent"] = RuntimeError("disk on fire")
    dock.setLevel(Level.FULL)
    assert dock._banner.isError()
    assert "disk on fire" in dock._banner.text()
    # the dock still shows what is true: nothing was agreed
    assert dock.level() is Level.NONE


def test_uploader_raising_in_send_now_is_a_message(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dock = _dock(qtbot, fake_controller)
    fake_core.fail["send_now"] = ConnectionError("collector unreachable")
    qtbot.mouseClick(dock._send_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "collector unreachable" in dock._banner.text())
    assert dock._banner.isError()


def test_forget_me_runs_off_the_gui_thread_and_reloads_ids(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dock = _dock(qtbot, fake_controller)
    qtbot.waitUntil(lambda: len(dock._ids.rows()) == 2)
    qtbot.mouseClick(dock._forget_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock._ids.rows() == [("2026-W48", "c" * 32)])
    assert "deletion requested" in dock._banner.text()


def test_unwritable_data_folder_is_a_message_not_a_crash(
    qtbot: QtBot,
    real_controller: TelemetryController,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the telemetry folder should be")
    monkeypatch.setenv("NAPARI_TELEMETRY_DIR", str(blocker / "telemetry"))
    dock = _dock(qtbot, real_controller)
    dock.setLevel(Level.BASIC)
    assert dock._banner.isError()
    assert "change the telemetry level" in dock._banner.text()
    assert _consent.effective_level().level is Level.NONE


def _turned_off_elsewhere() -> None:
    """What ``napari-telemetry disable`` in a terminal does to this napari: only the file."""
    from napari_telemetry.core._consent_record import ConsentRecord, save

    save(ConsentRecord.new(Level.NONE, None, date.today()))


def test_reshown_dock_shows_a_level_changed_in_another_process(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    _consent.record_consent(Level.FULL)
    dock = _dock(qtbot, real_controller)
    dock.show()
    assert dock.level() is Level.FULL
    dock.hide()  # closing a napari dock hides it; the Window menu shows the same widget again
    _turned_off_elsewhere()
    dock.show()
    qtbot.waitUntil(lambda: dock.level() is Level.NONE)
    assert "off" in dock._level.text()


def test_ask_again_toggle_does_not_undo_a_disable_made_in_another_process(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    _consent.record_consent(Level.FULL)
    dock = _dock(qtbot, real_controller)
    dock.show()
    _turned_off_elsewhere()
    dock._temporary.setChecked(True)  # the user only wanted an end date, not telemetry back on
    assert _consent.effective_level().agreed_level is Level.NONE
    assert dock.level() is Level.NONE


def _deleted(widget: QWidget) -> bool:
    try:
        widget.objectName()
    except RuntimeError:  # wrapped C/C++ object has been deleted
        return True
    return False


def test_a_closed_dock_no_longer_reloads_its_ids(
    qtbot: QtBot,
    fake_controller: TelemetryController,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dock = SettingsDock(fake_controller)  # napari deletes a plugin dock closed with its "x"
    ids = dock._ids
    dock.deleteLater()
    qtbot.waitUntil(lambda: _deleted(ids))
    started: list[str] = []
    monkeypatch.setattr(fake_controller, "run_in_thread", lambda what, *a: started.append(what))
    fake_controller.refresh()
    assert started == []  # no worker per closed dock, no callback on a deleted table


def _forget_local_dialog(qtbot: QtBot, dock: SettingsDock) -> ForgetLocalDialog:
    qtbot.mouseClick(dock._forget_local_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.findChild(ForgetLocalDialog) is not None)
    dialog: ForgetLocalDialog = dock.findChild(ForgetLocalDialog)
    assert dialog.isVisible()
    return dialog


def test_forget_me_and_delete_local_data_lists_what_goes_then_deletes_it(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    _consent.record_consent(Level.BASIC)
    dock = _dock(qtbot, real_controller)
    _session()
    dialog = _forget_local_dialog(qtbot, dock)
    listed = dialog.informativeText()
    assert str(_paths.data_dir()) in listed
    assert "1 file(s) of pending records" in listed
    assert str(_paths.config_dir()) in listed
    qtbot.mouseClick(dialog.deleteButton(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Forget me and delete local data" in dock._banner.text())
    assert not _paths.data_dir().exists()
    assert not _paths.config_dir().exists()
    assert "could not be reached" in dock._banner.text()  # the test's collector is a dead port
    assert dock.level() is Level.NONE
    assert _store.get_recorder().level is Level.NONE


def test_cancelling_the_confirmation_deletes_nothing(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dock = _dock(qtbot, fake_controller)
    dialog = _forget_local_dialog(qtbot, dock)
    assert "/home/someone/.local/share/napari-telemetry: your secret" in dialog.informativeText()
    assert dialog.defaultButton() is not dialog.deleteButton()
    dialog.reject()  # Cancel, Escape or closing the window
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert "forget_local" not in fake_core.calls
