"""A row of buttons that wraps onto more lines when the dock is narrow (Qt's flow layout).

Qt ships it only as an example and superqt does not have one; napari's own dock is often
narrower than a row of five buttons, so the buttons wrap instead of widening the dock.
"""

from __future__ import annotations

from qtpy.QtCore import QMargins, QPoint, QRect, QSize, Qt
from qtpy.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QStyle, QWidget


class FlowLayout(QLayout):
    """Items left to right, onto the next line when the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem | None) -> None:
        """Qt calls this for ``addWidget``."""
        if item is not None:
            self._items.append(item)

    def count(self) -> int:
        """How many items."""
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        """The item at *index*, or None."""
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        """Remove and return the item at *index*."""
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        """Never wider than it is given."""
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        """Its height follows its width."""
        return True

    def heightForWidth(self, width: int) -> int:
        """The height the items take when laid out in *width*."""
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        """Place the items in *rect*."""
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        """As wide as all the items in one row."""
        widths = [item.sizeHint().width() for item in self._items]
        height = max((item.sizeHint().height() for item in self._items), default=0)
        return QSize(sum(widths) + self._spacing * max(0, len(widths) - 1), height)

    def minimumSize(self) -> QSize:
        """As wide as the widest item: one per line."""
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _place(self, rect: QRect, *, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self._items:
            widget = item.widget()
            if widget is not None and widget.isHidden():
                continue
            hint = item.sizeHint()
            if x > rect.x() and x + hint.width() > rect.right() + 1:
                x, y, line = rect.x(), y + line + self._spacing, 0
            if move:
                size = QSize(min(hint.width(), rect.width()), hint.height())
                item.setGeometry(QRect(QPoint(x, y), size))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y()


def button_row(*buttons: QWidget) -> QWidget:
    """A widget holding *buttons* in a flow layout."""
    row = QWidget()
    row.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    style = row.style()
    spacing = style.pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing) if style else -1
    layout = FlowLayout(row, max(spacing, 6))
    for button in buttons:
        layout.addWidget(button)
    return row
