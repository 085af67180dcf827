"""The preview dock: pending batches exactly as the CLI prints them, sent copies, faults."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTreeWidgetItem, QTreeWidgetItemIterator

from napari_telemetry._qt import PreviewDock
from napari_telemetry._qt._batch_tree import MAX_RECORDS_SHOWN
from napari_telemetry._qt._core import to_json
from napari_telemetry._qt._preview_dock import MAX_JSON_CHARS
from napari_telemetry.core import _consent, _store
from napari_telemetry.schema import Level, level_fields

from ._fakes import make_batch

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from napari_telemetry._qt import TelemetryController

    from ._fakes import FakeCore


def _dock(qtbot: QtBot, controller: TelemetryController) -> PreviewDock:
    dock = PreviewDock(controller)
    qtbot.addWidget(dock)
    return dock


def _items(dock: PreviewDock) -> list[QTreeWidgetItem]:
    tree = dock.pendingPane()._tree
    found = []
    it = QTreeWidgetItemIterator(tree)
    while it.value() is not None:
        found.append(it.value())
        it += 1
    return found


def _record_sessions(n: int) -> None:
    recorder = _store.get_recorder()
    for i in range(n):
        recorder.count("session", ("0.9.2", "3.11.7", "Linux", f"debian-{i}", "x86_64"))
    recorder.flush(timeout=2)


def test_pending_tab_is_what_preview_json_prints(
    qtbot: QtBot, real_controller: TelemetryController, capsys: pytest.CaptureFixture[str]
) -> None:
    _consent.record_consent(Level.BASIC)
    _record_sessions(2)
    dock = _dock(qtbot, real_controller)
    pane = dock.pendingPane()
    qtbot.waitUntil(lambda: len(pane.batches()) == 1)
    assert pane.jsonText() == to_json(_store.preview())
    cli = pytest.importorskip("napari_telemetry._cli")
    capsys.readouterr()
    cli.main(["preview", "--json"])
    assert pane.jsonText().strip() == capsys.readouterr().out.strip()


def test_new_records_appear_without_polling(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    _consent.record_consent(Level.BASIC)
    dock = _dock(qtbot, real_controller)
    pane = dock.pendingPane()
    qtbot.waitUntil(lambda: pane.noteText() == "Nothing here.")
    _record_sessions(3)  # the recorder's writer thread calls `changed`
    qtbot.waitUntil(lambda: len(pane.batches()) == 1)
    assert len(pane.batches()[0]["records"]) == 3


def test_reading_happens_off_the_gui_thread(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    threads: list[threading.Thread] = []
    original = fake_core.preview
    fake_core.preview = lambda level: (
        threads.append(threading.current_thread()),
        original(level),
    )[1]  # type: ignore[method-assign]
    fake_core.pending = [make_batch()]
    dock = _dock(qtbot, fake_controller)
    qtbot.waitUntil(lambda: len(dock.pendingPane().batches()) == 1)
    assert threads
    assert threading.main_thread() not in threads
    assert all(t.daemon for t in threads)  # napari's exit never waits for a view's read


def test_fields_are_explained_on_hover_and_selection(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.pending = [make_batch(Level.BASIC)]
    dock = _dock(qtbot, fake_controller)
    qtbot.waitUntil(lambda: len(dock.pendingPane().batches()) == 1)
    item = next(i for i in _items(dock) if i.text(0) == "napari_version")
    expected = level_fields(Level.BASIC)["session.napari_version"]
    assert item.toolTip(0) == expected
    dock.pendingPane()._tree.setCurrentItem(item)
    assert dock.pendingPane()._help.text() == expected
    user_id = next(i for i in _items(dock) if i.text(0) == "user_id")
    assert user_id.toolTip(1) == level_fields(Level.BASIC)["envelope.user_id"]


def test_delete_one_batch(qtbot: QtBot, real_controller: TelemetryController) -> None:
    _consent.record_consent(Level.MIDDLE)
    _record_sessions(1)
    _store.get_recorder().count("plugin", ("napari-svg", "0.2.1"))
    _store.get_recorder().flush(timeout=2)
    dock = _dock(qtbot, real_controller)
    pane = dock.pendingPane()
    qtbot.waitUntil(lambda: len(pane.batches()) == 2)
    plugin_batch = next(
        i
        for i in _items(dock)
        if i.text(0).endswith("1 record") and i.parent().text(0) == "middle"
    )
    pane._tree.setCurrentItem(plugin_batch)
    qtbot.mouseClick(pane._delete_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [b["level"] for b in pane.batches()] == ["basic"])
    assert [b["level"] for b in _store.preview()] == ["basic"]


def test_send_now_moves_batches_to_the_sent_tab(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.pending = [make_batch(Level.BASIC), make_batch(Level.FULL)]
    dock = _dock(qtbot, fake_controller)
    qtbot.waitUntil(lambda: len(dock.pendingPane().batches()) == 2)
    qtbot.mouseClick(dock._send_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(dock.sentPane().batches()) == 2)
    qtbot.waitUntil(lambda: dock.pendingPane().batches() == [])
    assert "Sent" in dock._banner.text()


def test_huge_batch_is_truncated_with_a_note(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.pending = [make_batch(Level.FULL, n_records=5000)]
    dock = _dock(qtbot, fake_controller)
    pane = dock.pendingPane()
    qtbot.waitUntil(lambda: len(pane.batches()) == 1)
    records = next(i for i in _items(dock) if i.text(0) == "records")
    assert records.childCount() == MAX_RECORDS_SHOWN + 1
    assert records.child(MAX_RECORDS_SHOWN).text(0) == "… 4,800 more records"
    assert len(pane.jsonText()) == MAX_JSON_CHARS
    assert "4,800 records are not listed" in pane.noteText()
    assert "preview --json" in pane.noteText()


def test_store_raising_while_reading_is_a_message(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.fail["preview"] = OSError("pending folder vanished")
    dock = _dock(qtbot, fake_controller)
    qtbot.waitUntil(lambda: "pending folder vanished" in dock._banner.text())
    assert dock._banner.isError()


def test_delete_failing_is_a_message(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.pending = [make_batch()]
    dock = _dock(qtbot, fake_controller)
    pane = dock.pendingPane()
    qtbot.waitUntil(lambda: len(pane.batches()) == 1)
    pane._tree.setCurrentItem(pane._tree.topLevelItem(0).child(0))
    fake_core.fail["delete_pending"] = PermissionError("read-only folder")
    qtbot.mouseClick(pane._delete_btn, Qt.MouseButton.LeftButton)
    assert "read-only folder" in dock._banner.text()
    assert len(fake_core.pending) == 1
