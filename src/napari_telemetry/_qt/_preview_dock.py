"""The preview dock: what will be sent (pending) and what was sent (copies), read off-thread.

It says it is loading until the first read comes back; the pending tab lists what the recorder
still holds in memory too (the core's preview does), so it agrees with the status-bar count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtGui import QFontDatabase, QShowEvent
from qtpy.QtWidgets import (
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from napari_telemetry.schema import Level

from ._banner import MessageBanner, debounce_timer, hold_height_in_dock, wrapping_label
from ._batch_tree import BatchTree, Descriptions
from ._controller import TelemetryController, get_controller
from ._core import to_json
from ._flow import button_row

MAX_JSON_CHARS = 200_000
REFRESH_DELAY_MS = 300
LOADING = "Loading…"
MIN_HEIGHT = 260  # stacked under other docks: the tree, a few lines of JSON, the buttons


class BatchPane(QWidget):
    """One list of batches: a tree, the exact JSON, a note, and (for pending) a delete button."""

    def __init__(
        self,
        controller: TelemetryController,
        load: Callable[[Level | None], list[dict[str, Any]]],
        *,
        deletable: bool,
        empty: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._load = load
        self._empty = empty
        self._batches: list[dict[str, Any]] = []
        self._selected: dict[str, Any] | None = None
        self._generation = 0
        self._tree = BatchTree()
        self._help = wrapping_label()
        self._json = QPlainTextEdit()
        self._json.setReadOnly(True)
        self._json.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # never inside an id
        self._json.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._note = wrapping_label(LOADING)
        self._delete_btn = QPushButton("Delete selected batch") if deletable else None
        self._build()
        self._connect_signals()

    def batches(self) -> list[dict[str, Any]]:
        """The batches shown, as the core returned them."""
        return self._batches

    def jsonText(self) -> str:
        """The JSON shown (the CLI's text, unless truncated)."""
        return self._json.toPlainText()

    def noteText(self) -> str:
        """The note: loading, empty, or what is cut."""
        return self._note.text()

    def tree(self) -> BatchTree:
        """The batches as a tree."""
        return self._tree

    def reload(self) -> None:
        """Read the batches again in a worker; stale results are dropped."""
        self._generation += 1
        generation = self._generation
        self._controller.run_in_thread(
            "read the batches", self._read, lambda r: self._on_loaded(generation, r)
        )

    def _read(self) -> tuple[list[dict[str, Any]], str, Descriptions]:
        batches = self._load(None)
        counted = any(r.get("type") == "counter" for b in batches for r in b.get("records", ()))
        described = self._controller.core.counter_descriptions() if counted else {}
        return batches, to_json(batches), described

    def _build(self) -> None:
        self._help.setText("Hover or select a field to see what it means.")
        self._help.setTextFormat(Qt.TextFormat.RichText)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._tree)
        splitter.addWidget(self._json)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)  # the tree first; the JSON for the exact bytes
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self._help)
        layout.addWidget(self._note)
        if self._delete_btn is not None:
            self._delete_btn.setEnabled(False)
            layout.addWidget(button_row(self._delete_btn))

    def _connect_signals(self) -> None:
        self._tree.batchSelected.connect(self._on_batch_selected)
        self._tree.helpChanged.connect(self._on_help_changed)
        if self._delete_btn is not None:
            self._delete_btn.clicked.connect(self._on_delete_clicked)

    def _on_loaded(
        self, generation: int, result: tuple[list[dict[str, Any]], str, Descriptions]
    ) -> None:
        if generation != self._generation:
            return
        self._batches, text, described = result
        self._tree.setBatches(self._batches, described)
        notes = [] if self._batches else [self._empty]
        if len(text) > MAX_JSON_CHARS:
            text = text[:MAX_JSON_CHARS]
            notes.append(
                f"The JSON is cut after {MAX_JSON_CHARS:,} characters; "
                "napari-telemetry preview --json prints all of it."
            )
        if self._tree.truncatedRecords():
            notes.append(f"{self._tree.truncatedRecords():,} records are not listed as rows.")
        if text != self._json.toPlainText():
            bar = self._json.verticalScrollBar()
            scrolled = bar.value() if bar is not None else 0
            self._json.setPlainText(text)
            if bar is not None:
                bar.setValue(scrolled)
        self._note.setText(" ".join(notes))
        self._note.setVisible(bool(notes))

    def _on_batch_selected(self, batch: dict[str, Any] | None) -> None:
        self._selected = batch
        if self._delete_btn is not None:
            self._delete_btn.setEnabled(batch is not None)

    def _on_help_changed(self, text: str) -> None:
        if text:
            self._help.setText(text)

    def _on_delete_clicked(self) -> None:
        batch = self._selected
        if batch is not None:
            self._controller.delete_pending(Level(batch["level"]), str(batch["batch_id"]))


class PreviewDock(QWidget):
    """Pending batches exactly as they would be sent, and copies of what was sent."""

    def __init__(
        self, controller: TelemetryController | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller or get_controller()
        core = self._controller.core
        self._pending = BatchPane(
            self._controller, core.preview, deletable=True, empty="Nothing is waiting to be sent."
        )
        self._sent = BatchPane(
            self._controller,
            core.sent_copies,
            deletable=False,
            empty="No batch left this computer in the last 60 days.",
        )
        self._tabs = QTabWidget()
        self._send_btn = QPushButton("Send now")
        self._refresh_btn = QPushButton("Refresh")
        self.banner = MessageBanner(self._controller.palette())
        self._timer = debounce_timer(self, REFRESH_DELAY_MS)
        self._build()
        self._connect_signals()
        self.refresh()

    def pendingPane(self) -> BatchPane:
        """The "what will be sent" tab."""
        return self._pending

    def sentPane(self) -> BatchPane:
        """The "what was sent" tab."""
        return self._sent

    def refresh(self) -> None:
        """Reload both tabs (in workers)."""
        self._pending.reload()
        self._sent.reload()

    def _build(self) -> None:
        self._tabs.addTab(self._pending, "Will be sent")
        self._tabs.addTab(self._sent, "Was sent")
        self._send_btn.setToolTip("Send everything pending now, today's records too.")
        self._refresh_btn.setToolTip("Read both lists again (they refresh by themselves).")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._tabs, 1)
        layout.addWidget(button_row(self._send_btn, self._refresh_btn))
        layout.addWidget(self.banner)
        self.setMinimumHeight(MIN_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    def _connect_signals(self) -> None:
        self._controller.recordsChanged.connect(self._on_records_changed)
        self._controller.errorOccurred.connect(self.banner.showError)
        self._controller.messageOccurred.connect(self.banner.showMessage)
        self._controller.paletteChanged.connect(self.banner.applyPalette)
        self._controller.decisionChanged.connect(self.banner.followDecision)
        self._timer.timeout.connect(self.refresh)
        self._send_btn.clicked.connect(self._controller.send_now)
        self._refresh_btn.clicked.connect(self.refresh)

    def showEvent(self, event: QShowEvent | None) -> None:
        """Shown in a dock: keep the dock tall enough for the tree, the JSON and the buttons."""
        super().showEvent(event)
        hold_height_in_dock(self)

    def _on_records_changed(self) -> None:
        self._timer.start()  # coalesce bursts of writes into one read
