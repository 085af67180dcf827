"""The preview dock: pending batches exactly as the CLI prints them, sent copies, faults."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTreeWidgetItem, QTreeWidgetItemIterator

from napari_telemetry._qt import PreviewDock
from napari_telemetry._qt._batch_tree import HELP_ROLE, MAX_RECORDS_SHOWN, _path
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
    qtbot.waitUntil(lambda: pane.noteText() == "Nothing is waiting to be sent.")
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
    assert "`0.6.4`" in expected  # the schema's markup...
    shown = "napari version, e.g. <code>0.6.4</code> (without a local <code>+…</code> part"
    assert item.toolTip(0).startswith(shown)  # ...rendered, never shown as backticks
    dock.pendingPane()._tree.setCurrentItem(item)
    assert dock.pendingPane()._help.text().startswith(shown)
    user_id = next(i for i in _items(dock) if i.text(0) == "user_id")
    assert level_fields(Level.BASIC)["envelope.user_id"] in user_id.toolTip(1)
    assert "0" * 32 in user_id.toolTip(1)  # the whole value, however narrow the column
    record = next(i for i in _items(dock) if i.text(0) == "session")
    assert "`" not in record.data(0, HELP_ROLE)


def test_delete_one_batch(qtbot: QtBot, real_controller: TelemetryController) -> None:
    _consent.record_consent(Level.MIDDLE)
    _record_sessions(1)
    _store.get_recorder().count("plugin", ("napari-svg", "0.2.1"))
    _store.get_recorder().flush(timeout=2)
    dock = _dock(qtbot, real_controller)
    pane = dock.pendingPane()
    qtbot.waitUntil(lambda: len(pane.batches()) == 2)
    plugin_batch = next(
        i for i in _items(dock) if i.text(1) == "1 record" and i.parent().text(0) == "middle"
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
    assert dock.banner.text() == "sent everything"
    assert not dock.banner.isError()


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
    qtbot.waitUntil(lambda: "pending folder vanished" in dock.banner.text())
    assert dock.banner.isError()


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
    assert "read-only folder" in dock.banner.text()
    assert len(fake_core.pending) == 1


def test_records_still_in_memory_are_shown_and_loading_is_said_first(
    qtbot: QtBot, real_controller: TelemetryController
) -> None:
    _consent.record_consent(Level.BASIC)
    _store.get_recorder().count("session", ("0.9.2", "3.11.7", "Linux", "debian-12", "x86_64"))
    assert _store.get_recorder().buffered() == 1  # not on disk yet
    dock = _dock(qtbot, real_controller)
    pane = dock.pendingPane()
    assert pane.noteText() == "Loading…"  # the moment it opens: never "nothing" while it reads
    qtbot.waitUntil(lambda: len(pane.batches()) == 1)
    assert pane.noteText() == ""
    assert len(pane.batches()[0]["records"]) == 1


def _expanded(dock: PreviewDock) -> set[tuple[str, ...]]:
    return {_path(i) for i in _items(dock) if i.isExpanded()}


def test_a_refresh_keeps_the_rows_opened_and_the_selection(
    qtbot: QtBot, fake_controller: TelemetryController, fake_core: FakeCore
) -> None:
    fake_core.pending = [make_batch(Level.MIDDLE, n_records=3)]
    dock = _dock(qtbot, fake_controller)
    pane = dock.pendingPane()
    qtbot.waitUntil(lambda: len(pane.batches()) == 1)
    records = next(i for i in _items(dock) if i.text(0) == "records")
    records.setExpanded(True)
    plugin = next(i for i in _items(dock) if i.text(1).startswith("napari-p1"))
    plugin.setExpanded(True)
    name = next(i for i in _items(dock) if i.text(0) == "name" and i.text(1) == "napari-p1")
    pane.tree().setCurrentItem(name)
    opened = _expanded(dock)
    first = pane.batches()
    fake_core.pending = [{**first[0], "records": [*first[0]["records"],
                          {"type": "plugin", "name": "napari-p9", "version": "2.0"}]}]  # fmt: skip
    fake_core.notify()  # a write: the dock refreshes by itself
    qtbot.waitUntil(lambda: len(pane.batches()[0]["records"]) == 4)
    assert _expanded(dock) == opened
    assert len(opened) == 4  # the level, the batch (opened by default), records, one record
    current = pane.tree().currentItem()
    assert current is not None
    assert (current.text(0), current.text(1), current.parent().text(1)) == (
        "name", "napari-p1", "napari-p1, 1.0")  # fmt: skip
    assert pane._delete_btn is not None
    assert pane._delete_btn.isEnabled()  # the batch is still the selected one


def test_the_json_does_not_wrap_inside_values(
    qtbot: QtBot, fake_controller: TelemetryController
) -> None:
    from qtpy.QtWidgets import QPlainTextEdit

    dock = _dock(qtbot, fake_controller)
    assert dock.pendingPane()._json.lineWrapMode() is QPlainTextEdit.LineWrapMode.NoWrap
