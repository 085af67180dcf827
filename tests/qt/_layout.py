"""Layout checks for views at a narrow width: what is cut, what is too wide."""

from __future__ import annotations

from typing import Any

from qtpy.QtGui import QTextDocument
from qtpy.QtWidgets import QAbstractButton, QAbstractItemView, QLabel, QPlainTextEdit, QWidget
from superqt import QCollapsible, QElidingLabel


def _plain(label: Any) -> str:
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


def problems(dock: Any) -> list[str]:
    """What is cut or too wide in *dock* (a dock, a dialog): a label whose words do not fit, a
    button whose words do not fit, a widget reaching past its edge (what scrolls inside a list
    is left out; a column that scrolls up and down is not cut)."""
    found = []
    for widget in dock.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not dock.window():
            continue
        above = _ancestors(widget, dock)
        if any(isinstance(a, QAbstractItemView | QPlainTextEdit) for a in above):
            continue  # a list's own rows and columns scroll (and elide) by design
        if any(_closed(a, above) for a in above):
            continue  # folded away: shown whole once unfolded
        name = f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}"
        left = widget.mapTo(dock, widget.rect().topLeft()).x()
        if left < 0 or left + widget.width() > dock.width() + 1:
            found.append(f"{name} reaches past the dock: x {left}, width {widget.width()}")
        if isinstance(widget, QElidingLabel):
            shortened = QLabel.text(widget) != widget.text()  # what it draws, what it holds
            if shortened and not all(w in widget.toolTip() for w in widget.text().split()):
                found.append(f"{name} is shortened with nothing to show it whole")
        elif isinstance(widget, QLabel) and widget.text():
            room = widget.contentsRect()
            if widget.wordWrap():
                needs = widget.heightForWidth(widget.width())  # the whole label's height
                if needs > widget.height() + 1:
                    found.append(f"{name} is cut: needs {needs} px, has {widget.height()}")
            else:
                lines = _plain(widget).splitlines() or [""]
                wide = max(widget.fontMetrics().horizontalAdvance(x) for x in lines)
                if wide > room.width() + 1:
                    found.append(f"{name} is cut: {wide} px of words in {room.width()} px")
        elif (
            isinstance(widget, QAbstractButton)
            and widget.text()
            and widget.sizeHint().width() > widget.width() + 1
        ):
            found.append(f"{name} is cut: {widget.sizeHint().width()} > {widget.width()}")
    return found


def _closed(node: Any, above: list[Any]) -> bool:
    """*node* is a closed fold, and the widget is in its content (not its header)."""
    return isinstance(node, QCollapsible) and not node.isExpanded() and node.content() in above


def _ancestors(widget: Any, stop: Any) -> list[Any]:
    found, node = [], widget.parentWidget()
    while node is not None and node is not stop:
        found.append(node)
        node = node.parentWidget()
    return found
