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
from napari_telemetry._qt._confirm import ForgetDialog, ForgetLocalDialog
from napari_telemetry.core import _consent, _paths, _store
from napari_telemetry.schema import Level

from ._fakes import make_batch

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
    assert "middle" in dock.levelSection._now.text()


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
    qtbot.mouseClick(dock.actionsSection.disableButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Telemetry is off in this environment" in dock.banner.text())
    assert "3 pending record(s) of this environment deleted" in dock.banner.text()
    assert not dock.banner.isError()
    assert _consent.effective_level().level is Level.NONE
    assert _store.preview(Level.BASIC) == []
    assert dock.level() is Level.NONE


def test_temporary_agreement_shows_its_expiry(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    dock = _dock(qtbot, real_controller)
    dock.levelSection.setTemporary(True)
    dock.setLevel(Level.BASIC)
    expires = date.today() + timedelta(days=30)
    assert _consent.effective_level().expires == expires
    assert dock.levelSection._expiry.text() == expires.isoformat()


def test_expired_temporary_consent_turns_off_and_asks_again(
    qtbot: QtBot, real_controller: TelemetryController, monkeypatch: pytest.MonkeyPatch
) -> None:
    _consent.record_consent(Level.FULL, days=30, today=date.today() - timedelta(days=31))
    dock = _dock(qtbot, real_controller)
    assert "off" in dock.levelSection._now.text()
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
    assert not dock.levelSection._combo.isEnabled()
    assert "NAPARI_TELEMETRY" in dock.levelSection._combo.toolTip()
    assert dock.actionsSection.disableButton.isEnabled()  # switching off is always possible


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
    section = dock.levelSection
    assert "basic" in section._now.text()
    assert not section._combo.isEnabled()
    assert not section._temporary.isEnabled()
    assert "site policy" in section._combo.toolTip()
    policy.write_text('{"max_level": "basic", "locked": false}')
    real_controller.refresh()
    assert section._combo.isEnabled()
    assert section._combo.toolTip() == ""


def test_endpoints_of_the_level_and_ids_in_use_are_listed(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    dock = _dock(qtbot, real_controller)
    assert dock.streamsSection.lines() == ["nothing: telemetry is off"]
    _consent.record_consent(Level.BASIC)  # an identity exists once you agreed
    real_controller.refresh()
    assert dock.streamsSection.lines() == ["basic: http://127.0.0.1:9/basic/v1/basic/batches"]
    qtbot.waitUntil(lambda: len(dock.idsTable.rows()) == 1)  # this week: the one in use
    week, uid = dock.idsTable.rows()[0]
    assert week.startswith(str(date.today().isocalendar().year))
    assert len(uid) == 32
    real_controller.set_level(Level.FULL)
    assert [line.split("/")[-2] for line in dock.streamsSection.lines()] == [
        "basic", "middle", "full"]  # fmt: skip


def test_looking_at_the_ids_makes_no_identity(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    dock = _dock(qtbot, real_controller)
    dock.idsTable.reload()
    qtbot.waitUntil(lambda: "list your weekly ids" not in _running_workers())
    assert dock.idsTable.rows() == []
    qtbot.waitUntil(lambda: "No weekly ids in use" in dock.idsTable.noteText())
    assert not _paths.secret_file().exists()
    real_controller.set_level(Level.BASIC)  # agreeing makes the identity
    qtbot.waitUntil(lambda: len(dock.idsTable.rows()) == 1)
    assert "Each week has a new id" in dock.idsTable.noteText()
    assert "`" not in dock.idsTable.noteText()  # markup rendered, not shown


def test_store_raising_in_a_callback_is_a_message_in_the_widget(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dock = _dock(qtbot, fake_controller)
    fake_core.fail["record_consent"] = RuntimeError("disk on fire")
    dock.setLevel(Level.FULL)
    assert dock.banner.isError()
    assert "disk on fire" in dock.banner.text()
    # the dock still shows what is true: nothing was agreed
    assert dock.level() is Level.NONE


def test_uploader_raising_in_send_now_is_a_message(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dock = _dock(qtbot, fake_controller)
    fake_core.fail["send_now"] = ConnectionError("collector unreachable")
    qtbot.mouseClick(dock.actionsSection.sendButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "collector unreachable" in dock.banner.text())
    assert dock.banner.isError()


def _forget_dialog(qtbot: QtBot, dock: SettingsDock) -> ForgetDialog:
    qtbot.mouseClick(dock.actionsSection.forgetButton, Qt.MouseButton.LeftButton)
    (dialog,) = [d for d in dock.findChildren(ForgetDialog) if d.isVisible()]
    return dialog


def test_forget_me_asks_first_then_runs_off_the_gui_thread_and_reloads_ids(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dock = _dock(qtbot, fake_controller)
    qtbot.waitUntil(lambda: len(dock.idsTable.rows()) == 2)
    dialog = _forget_dialog(qtbot, dock)
    assert "replaces your secret" in dialog.text()
    assert "cannot be undone" in dialog.informativeText()
    assert dialog.defaultButton() is not dialog.actionButton()
    dialog.reject()  # Cancel, Escape or closing the window
    assert "forget" not in fake_core.calls
    dialog = _forget_dialog(qtbot, dock)
    qtbot.mouseClick(dialog.actionButton(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.idsTable.rows() == [("2026-W48", "c" * 32)])
    assert dock.banner.text() == "deletion requested"


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
    assert dock.banner.isError()
    assert "change the telemetry level" in dock.banner.text()
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
    assert "off" in dock.levelSection._now.text()


def test_ask_again_toggle_does_not_undo_a_disable_made_in_another_process(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    _consent.record_consent(Level.FULL)
    dock = _dock(qtbot, real_controller)
    dock.show()
    _turned_off_elsewhere()
    dock.levelSection.setTemporary(True)  # the user only wanted an end date, not telemetry on
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
    ids = dock.idsTable
    dock.deleteLater()
    qtbot.waitUntil(lambda: _deleted(ids))
    started: list[str] = []
    monkeypatch.setattr(fake_controller, "run_in_thread", lambda what, *a: started.append(what))
    fake_controller.refresh()
    assert started == []  # no worker per closed dock, no callback on a deleted table


def _forget_local_dialog(qtbot: QtBot, dock: SettingsDock) -> ForgetLocalDialog:
    qtbot.mouseClick(dock.actionsSection.forgetLocalButton, Qt.MouseButton.LeftButton)
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
    qtbot.waitUntil(lambda: "Removed" in dock.banner.text())
    assert not _paths.data_dir().exists()
    assert not _paths.config_dir().exists()
    # the test's collector is a dead port: said as an error, with the host and the way out
    assert "Could not reach 127.0.0.1:9: nothing answers at that address" in dock.banner.text()
    assert "e-mail the ids above to privacy@napari.org" in dock.banner.text()
    assert dock.banner.isError()
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


def test_export_asks_where_then_hands_the_batches_over(
    qtbot: QtBot,
    fake_controller: TelemetryController,
    fake_core: FakeCore,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from qtpy.QtWidgets import QFileDialog

    from napari_telemetry._qt._export import ExportButton

    fake_core.pending = [make_batch()]
    dock = _dock(qtbot, fake_controller)
    (button,) = dock.findChildren(ExportButton)
    target = str(tmp_path / "out.json")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    button.click()  # the user cancelled: nothing happens
    assert "export" not in fake_core.calls
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (target, "JSON"))
    with qtbot.waitSignal(fake_controller.messageOccurred) as said:
        button.click()
    assert said.args == ["1 batch(es) exported"]
    assert fake_core.exported
    assert not fake_core.pending


def test_each_action_says_what_it_did_and_a_new_level_clears_old_words(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    dock = _dock(qtbot, fake_controller)
    fake_controller.set_level(Level.FULL)
    dialog = _forget_dialog(qtbot, dock)
    qtbot.mouseClick(dialog.actionButton(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.banner.text() == "deletion requested")
    qtbot.mouseClick(dock.actionsSection.disableButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.banner.text().startswith("Telemetry is off"))  # not "Forget me"
    assert not dock.banner.isHidden()
    dock.setLevel(Level.BASIC)  # a new choice: what Disable said no longer holds
    assert dock.banner.isHidden()
    assert dock.banner.text() == ""
    fake_core.fail["record_consent"] = RuntimeError("disk on fire")
    dock.setLevel(Level.MIDDLE)  # not stored: the error stays on screen
    assert dock.banner.isError()
    assert "disk on fire" in dock.banner.text()
