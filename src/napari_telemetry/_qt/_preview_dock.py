"""The preview dock: what will be sent (pending) and what was sent (copies), read off-thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from napari_telemetry.schema import Level

from ._banner import MessageBanner, debounce_timer, wrapping_label
from ._batch_tree import BatchTree, Descriptions
from ._controller import TelemetryController, get_controller
from ._core import to_json

MAX_JSON_CHARS = 200_000
REFRESH_DELAY_MS = 300


class BatchPane(QWidget):
    """One list of batches: a tree, the exact JSON, a note, and (for pending) a delete button."""

    def __init__(
        self,
        controller: TelemetryController,
        load: Callable[[Level | None], list[dict[str, Any]]],
        *,
        deletable: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._load = load
        self._batches: list[dict[str, Any]] = []
        self._selected: dict[str, Any] | None = None
        self._generation = 0
        self._tree = BatchTree()
        self._help = wrapping_label()
        self._json = QPlainTextEdit()
        self._json.setReadOnly(True)
        self._note = wrapping_label()
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
        """The note about truncation or emptiness."""
        return self._note.text()

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
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._tree)
        splitter.addWidget(self._json)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        layout.addWidget(self._help)
        layout.addWidget(self._note)
        if self._delete_btn is not None:
            self._delete_btn.setEnabled(False)
            layout.addWidget(self._delete_btn)

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
        notes = []
        if not self._batches:
            notes.append("Nothing here.")
        if len(text) > MAX_JSON_CHARS:
            text = text[:MAX_JSON_CHARS]
            notes.append(
                f"The JSON is cut after {MAX_JSON_CHARS:,} characters; "
                "`napari-telemetry preview --json` prints all of it."
            )
        if self._tree.truncatedRecords():
            notes.append(f"{self._tree.truncatedRecords():,} records are not listed as rows.")
        self._json.setPlainText(text)
        self._note.setText(" ".join(notes))

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
        self._pending = BatchPane(self._controller, core.preview, deletable=True)
        self._sent = BatchPane(self._controller, core.sent_copies, deletable=False)
        self._tabs = QTabWidget()
        self._send_btn = QPushButton("Send now")
        self._refresh_btn = QPushButton("Refresh")
        self._banner = MessageBanner()
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
        buttons = QHBoxLayout()
        buttons.addWidget(self._send_btn)
        buttons.addWidget(self._refresh_btn)
        layout = QVBoxLayout(self)
        layout.addWidget(self._tabs)
        layout.addLayout(buttons)
        layout.addWidget(self._banner)

    def _connect_signals(self) -> None:
        self._controller.recordsChanged.connect(self._on_records_changed)
        self._controller.errorOccurred.connect(self._banner.showError)
        self._controller.messageOccurred.connect(self._banner.showMessage)
        self._timer.timeout.connect(self.refresh)
        self._send_btn.clicked.connect(self._controller.send_now)
        self._refresh_btn.clicked.connect(self.refresh)

    def _on_records_changed(self) -> None:
        self._timer.start()  # coalesce bursts of writes into one read
