"""A tree of batches (level → batch → fields and records), each field explained by the schema.

A refresh keeps what the user opened and selected; at napari's dock width the names column
takes at most half, and long values (ids) are shortened in the middle, whole in their tip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QResizeEvent
from qtpy.QtWidgets import QTreeWidget, QTreeWidgetItem, QTreeWidgetItemIterator, QWidget

from napari_telemetry.schema import RECORD_MODELS, Level, level_fields

from ._banner import rich

MAX_RECORDS_SHOWN = 200
Descriptions = Mapping[tuple[str, str], str]  # (plugin, counter) → what the counter counts
BATCH_ROLE = Qt.ItemDataRole.UserRole
HELP_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # what names the item across refreshes
_Path = tuple[str, ...]


class BatchTree(QTreeWidget):
    """Shows batches as sent; hovering or selecting a field gives the schema's description."""

    batchSelected = Signal(object)  # the batch dict, or None
    helpChanged = Signal(str)  # rich text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["field", "value"])
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setUniformRowHeights(True)
        self.setIndentation(12)  # napari's docks are narrow: the names need the room
        header = self.header()
        if header is not None:
            header.setStretchLastSection(True)
        self._truncated = 0
        self._counters: Descriptions = {}
        self.currentItemChanged.connect(self._on_current_item_changed)

    def setBatches(
        self, batches: list[dict[str, Any]], counters: Descriptions | None = None
    ) -> None:
        """Replace the content, keeping the rows opened and the one selected; records beyond
        ``MAX_RECORDS_SHOWN`` per batch are summarised. A plugin's counter record is shown with
        what it counts (*counters*: the approved description of each (plugin, counter))."""
        opened = {_path(item): item.isExpanded() for item in self._items()}
        current = _path(self.currentItem()) if self.currentItem() is not None else None
        bar = self.verticalScrollBar()
        scrolled = bar.value() if bar is not None else 0
        self.blockSignals(True)
        self.clear()
        self._truncated = 0
        self._counters = counters or {}
        by_level: dict[str, list[dict[str, Any]]] = {}
        for batch in batches:
            by_level.setdefault(str(batch.get("level", "?")), []).append(batch)
        for level, group in by_level.items():
            noun = "batch" if len(group) == 1 else "batches"
            top = _item(self, level, [level, f"{len(group)} {noun}"])
            for batch in group:
                self._add_batch(top, batch)
        self._restore(opened, current)
        self.blockSignals(False)
        if bar is not None:
            bar.setValue(scrolled)
        self._fit_columns()
        self._on_current_item_changed(self.currentItem())

    def truncatedRecords(self) -> int:
        """How many records are not shown as rows (they are still in the JSON)."""
        return self._truncated

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        """Names first (up to 58 %), the values the rest: a long value (an id) elides instead."""
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        viewport = self.viewport()
        room = viewport.width() * 58 // 100 if viewport is not None else 200  # values: 42 %
        self.setColumnWidth(0, max(60, min(self.sizeHintForColumn(0) + 8, room)))

    def _items(self) -> Iterator[QTreeWidgetItem]:
        it = QTreeWidgetItemIterator(self)
        while (item := it.value()) is not None:
            yield item
            it += 1

    def _restore(self, opened: dict[_Path, bool], current: _Path | None) -> None:
        for item in self._items():
            path = _path(item)
            default = item.parent() is None or item.data(0, BATCH_ROLE) is not None
            item.setExpanded(opened.get(path, default))
            if path == current:
                self.setCurrentItem(item)

    def _add_batch(self, parent: QTreeWidgetItem, batch: dict[str, Any]) -> None:
        records = batch.get("records") or []
        noun = "record" if len(records) == 1 else "records"
        batch_id = str(batch.get("batch_id", ""))
        item = _item(parent, batch_id, [str(batch.get("week", "?")), f"{len(records)} {noun}"])
        item.setData(0, BATCH_ROLE, batch)
        help_for = _describer(str(batch.get("level", "")))
        for name, value in batch.items():
            if name != "records":
                _leaf(item, name, value, help_for(f"envelope.{name}"))
        rec_item = _item(item, "records", ["records", str(len(records))])
        rec_item.setData(0, HELP_ROLE, rich(help_for("envelope.records")))
        for record in records[:MAX_RECORDS_SHOWN]:
            self._add_record(rec_item, record, help_for)
        hidden = max(0, len(records) - MAX_RECORDS_SHOWN)
        if hidden:
            self._truncated += hidden
            _item(rec_item, "more", [f"… {hidden:,} more records", "shown in the JSON"])

    def _add_record(
        self, parent: QTreeWidgetItem, record: dict[str, Any], help_for: Callable[[str], str]
    ) -> None:
        rtype = str(record.get("type", "?"))
        values = ", ".join(str(v) for k, v in record.items() if k != "type")
        model = RECORD_MODELS.get(rtype)
        names = model.KEY_FIELDS if model is not None else tuple(record)
        key = repr(tuple(record.get(name) for name in names))  # not its count: that grows
        item = _item(parent, f"{rtype}{key}", [rtype, values])
        item.setToolTip(1, values)
        item.setData(0, HELP_ROLE, rich(help_for(f"{rtype}.type") or f"A {rtype} record."))
        for name, value in record.items():
            if name != "type":
                _leaf(item, name, value, help_for(f"{rtype}.{name}"))
        if rtype == "counter":
            what = self._counters.get((str(record.get("plugin")), str(record.get("counter"))))
            text = what or "(no description: the counter is no longer in the manifest in use)"
            item.setData(0, HELP_ROLE, text)
            item.setToolTip(1, text)
            _leaf(item, "counts", text, text)

    def _on_current_item_changed(self, item: QTreeWidgetItem | None, _: Any = None) -> None:
        batch = None
        node = item
        while node is not None and batch is None:
            batch = node.data(0, BATCH_ROLE)
            node = node.parent()
        self.batchSelected.emit(batch)
        self.helpChanged.emit(str(item.data(0, HELP_ROLE) or "") if item else "")


def _item(parent: QTreeWidget | QTreeWidgetItem, key: str, texts: list[str]) -> QTreeWidgetItem:
    item = QTreeWidgetItem(parent, texts)
    item.setData(0, KEY_ROLE, key)
    return item


def _path(item: QTreeWidgetItem | None) -> _Path:
    keys: list[str] = []
    while item is not None:
        keys.append(str(item.data(0, KEY_ROLE)))
        item = item.parent()
    return tuple(reversed(keys))


def _leaf(parent: QTreeWidgetItem, name: str, value: object, help_text: str) -> None:
    item = _item(parent, name, [name, str(value)])
    described = rich(help_text)
    item.setData(0, HELP_ROLE, described)
    item.setToolTip(0, described)
    item.setToolTip(1, f"<b>{rich(str(value))}</b><br>{described}")


def _describer(level: str) -> Callable[[str], str]:
    try:
        fields = level_fields(Level(level))
    except ValueError:
        fields = {}
    return lambda dotted: fields.get(dotted, "")
