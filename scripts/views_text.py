"""The words a Qt widget shows, in the order it was built: what a picture of it says.

Labels (rich text as plain text, an eliding label's whole text), buttons, the chosen entry of a
combo box, a spin box, tabs, the rows of a tree or a table that are on show, a text view's
text. What is folded away or hidden is left out: it is not in the picture.
"""

from __future__ import annotations

from collections.abc import Iterator

from qtpy.QtGui import QTextDocument
from qtpy.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QPlainTextEdit,
    QTabBar,
    QTableWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)
from superqt import QCollapsible


def texts(root: QWidget) -> list[str]:
    """Every text *root* shows now."""
    out: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget.isVisible() and not _folded(widget, root):
            out += [t for t in _shown(widget) if t.strip()]
    return out


def _shown(widget: QWidget) -> Iterator[str]:
    if isinstance(widget, QLabel):
        yield _plain(widget.text())
    elif isinstance(widget, QAbstractButton):
        yield widget.text()
    elif isinstance(widget, QComboBox):
        yield widget.currentText()
    elif isinstance(widget, QAbstractSpinBox):
        yield widget.text()
    elif isinstance(widget, QTabBar):
        yield from (widget.tabText(i) for i in range(widget.count()))
    elif isinstance(widget, QTreeWidget):
        for i in range(widget.topLevelItemCount()):
            yield from _rows(widget.topLevelItem(i))
    elif isinstance(widget, QTableWidget):
        for row in range(widget.rowCount()):
            cells = (widget.item(row, c) for c in range(widget.columnCount()))
            yield " | ".join(c.text() if c is not None else "" for c in cells)
    elif isinstance(widget, QPlainTextEdit):
        yield widget.toPlainText()


def _rows(item: QTreeWidgetItem | None) -> Iterator[str]:
    if item is None:
        return
    yield " | ".join(item.text(c) for c in range(item.columnCount()))
    if item.isExpanded():
        for i in range(item.childCount()):
            yield from _rows(item.child(i))


def _folded(widget: QWidget, root: QWidget) -> bool:
    """Inside a fold's content while the fold is closed (its header is shown)."""
    below, node = widget, widget.parentWidget()
    while node is not None and node is not root:
        if isinstance(node, QCollapsible) and not node.isExpanded() and below is node.content():
            return True
        below, node = node, node.parentWidget()
    return False


def _plain(html: str) -> str:
    doc = QTextDocument()
    doc.setHtml(html)
    return doc.toPlainText()
