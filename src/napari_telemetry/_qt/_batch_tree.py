"""A tree of batches (level → batch → fields and records), each field explained by the schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from napari_telemetry.schema import Level, level_fields

MAX_RECORDS_SHOWN = 200
Descriptions = Mapping[tuple[str, str], str]  # (plugin, counter) → what the counter counts
BATCH_ROLE = Qt.ItemDataRole.UserRole
HELP_ROLE = Qt.ItemDataRole.UserRole + 1


class BatchTree(QTreeWidget):
    """Shows batches as sent; hovering or selecting a field gives the schema's description."""

    batchSelected = Signal(object)  # the batch dict, or None
    helpChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["field", "value"])
        self.setColumnWidth(0, 220)
        self._truncated = 0
        self._counters: Descriptions = {}
        self.currentItemChanged.connect(self._on_current_item_changed)

    def setBatches(
        self, batches: list[dict[str, Any]], counters: Descriptions | None = None
    ) -> None:
        """Replace the content; records beyond ``MAX_RECORDS_SHOWN`` per batch are summarised.

        A plugin's counter record is shown with what it counts (*counters*: the approved
        description of each (plugin, counter)).
        """
        self.clear()
        self._truncated = 0
        self._counters = counters or {}
        by_level: dict[str, list[dict[str, Any]]] = {}
        for batch in batches:
            by_level.setdefault(str(batch.get("level", "?")), []).append(batch)
        for level, group in by_level.items():
            noun = "batch" if len(group) == 1 else "batches"
            top = QTreeWidgetItem(self, [level, f"{len(group)} {noun}"])
            for batch in group:
                self._add_batch(top, batch)
            top.setExpanded(True)

    def truncatedRecords(self) -> int:
        """How many records are not shown as rows (they are still in the JSON)."""
        return self._truncated

    def _add_batch(self, parent: QTreeWidgetItem, batch: dict[str, Any]) -> None:
        records = batch.get("records") or []
        noun = "record" if len(records) == 1 else "records"
        label = f"{batch.get('week', '?')} · {len(records)} {noun}"
        item = QTreeWidgetItem(parent, [label, f"batch {str(batch.get('batch_id', ''))[:8]}"])
        item.setData(0, BATCH_ROLE, batch)
        help_for = _describer(str(batch.get("level", "")))
        for name, value in batch.items():
            if name != "records":
                _leaf(item, name, value, help_for(f"envelope.{name}"))
        rec_item = QTreeWidgetItem(item, ["records", str(len(records))])
        rec_item.setData(0, HELP_ROLE, help_for("envelope.records"))
        for record in records[:MAX_RECORDS_SHOWN]:
            self._add_record(rec_item, record, help_for)
        hidden = max(0, len(records) - MAX_RECORDS_SHOWN)
        if hidden:
            self._truncated += hidden
            QTreeWidgetItem(rec_item, [f"… {hidden:,} more records", "shown in the JSON"])
        item.setExpanded(True)

    def _add_record(
        self, parent: QTreeWidgetItem, record: dict[str, Any], help_for: Callable[[str], str]
    ) -> None:
        rtype = str(record.get("type", "?"))
        keys = ", ".join(str(v) for k, v in record.items() if k != "type")
        item = QTreeWidgetItem(parent, [rtype, keys])
        item.setData(0, HELP_ROLE, help_for(f"{rtype}.type") or f"A `{rtype}` record.")
        for name, value in record.items():
            if name != "type":
                _leaf(item, name, value, help_for(f"{rtype}.{name}"))
        what = self._counters.get((str(record.get("plugin")), str(record.get("counter"))))
        if rtype == "counter":
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


def _leaf(parent: QTreeWidgetItem, name: str, value: object, help_text: str) -> None:
    item = QTreeWidgetItem(parent, [name, str(value)])
    item.setData(0, HELP_ROLE, help_text)
    item.setToolTip(0, help_text)
    item.setToolTip(1, help_text)


def _describer(level: str) -> Callable[[str], str]:
    try:
        fields = level_fields(Level(level))
    except ValueError:
        fields = {}
    return lambda dotted: fields.get(dotted, "")
