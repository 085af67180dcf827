"""Small pieces the views share: the message strip, labels that wrap or elide, help markup."""

from __future__ import annotations

import re
from html import escape

from qtpy.QtCore import QObject, QSize, Qt, QTimer
from qtpy.QtGui import QResizeEvent
from qtpy.QtWidgets import QDockWidget, QLabel, QSizePolicy, QVBoxLayout, QWidget
from superqt import QCollapsible, QElidingLabel

from ._palette import Palette, mix


class MessageBanner(QLabel):
    """The outcome of the last action: hidden until there is one, an error drawn as one in the
    theme's colours (its edge in the error colour), the words selectable (ids to copy)."""

    def __init__(self, palette: Palette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("napari_telemetry_message")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setVisible(False)
        self._palette = palette
        self._is_error = False
        self._decision: tuple[object, ...] | None = None

    def showError(self, text: str) -> None:
        """Show *text* as an error."""
        self._show(text, error=True)

    def showMessage(self, text: str) -> None:
        """Show *text* as information."""
        self._show(text, error=False)

    def clear(self) -> None:
        """Say nothing."""
        super().clear()
        self._is_error = False
        self.setVisible(False)

    def followDecision(self, decision: object) -> None:
        """Say nothing once the level or the agreement changed: what the last action said may
        no longer hold (the same decision read again changes nothing)."""
        key = tuple(getattr(decision, n, None) for n in ("level", "agreed_level", "expires"))
        if self._decision is not None and key != self._decision:
            self.clear()
        self._decision = key

    def isError(self) -> bool:
        """Whether the text shown is an error."""
        return self._is_error and bool(self.text())

    def applyPalette(self, palette: Palette) -> None:
        """Draw with *palette* (napari's theme changed)."""
        self._palette = palette
        self._restyle()

    def _show(self, text: str, *, error: bool) -> None:
        self._is_error = error
        self.setText(text)
        self.setToolTip("")
        self._restyle()
        self.setVisible(True)

    def _restyle(self) -> None:
        p = self._palette
        if self._is_error:
            self.setStyleSheet(
                f"QLabel#napari_telemetry_message {{ color: {p.text}; padding: 4px 6px; "
                f"border-left: 4px solid {p.error}; background: {_tint(p)}; }}"
            )
        else:
            self.setStyleSheet(
                f"QLabel#napari_telemetry_message {{ color: {p.text}; padding: 4px 6px; "
                f"border-left: 4px solid {p.muted}; }}"
            )


def _tint(p: Palette) -> str:
    return mix(p.background, p.error, 0.25)


def wrapping_label(text: str = "") -> QLabel:
    """A label that wraps long lines (and so never asks for more width than it is given)."""
    label = QLabel(text)
    label.setWordWrap(True)
    policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    policy.setHeightForWidth(True)  # as tall as its words need at the width it gets
    label.setSizePolicy(policy)
    return label


def eliding_label(text: str = "") -> QElidingLabel:
    """A one-line label that shortens its middle to fit (a URL, an id); the whole in its tip."""
    label = QElidingLabel(text)
    label.setElideMode(Qt.TextElideMode.ElideMiddle)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setToolTip(text)
    return label


def rich(text: str) -> str:
    """Plain text with `code` spans as Qt rich text (a help text, a schema description)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


def debounce_timer(parent: QObject, msec: int) -> QTimer:
    """A single-shot timer: restart it on every event, act once the burst is over."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(msec)
    return timer


class Column(QWidget):
    """Widgets one under the other, as tall as their wrapped words need at the width given.

    Qt's scroll area and superqt's fold size their content from its size hint, which knows
    nothing of words that wrap: at a dock's narrow width a wrapped label would be cut.
    """

    def __init__(self, *widgets: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            self.column.addWidget(widget)

    def sizeHint(self) -> QSize:
        """The height its layout needs at its width."""
        hint = super().sizeHint()
        if self.width() > 0 and self.column.hasHeightForWidth():
            return QSize(hint.width(), self.column.heightForWidth(self.width()))
        return hint

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        """Never shorter than the wrapped words need (a scroll area scrolls instead)."""
        super().resizeEvent(event)
        if self.column.hasHeightForWidth():
            self.setMinimumHeight(self.column.heightForWidth(self.width()))


def fold(title: str, *widgets: QWidget) -> QCollapsible:
    """*widgets* folded away under *title*: a header that reads as a line of text, not as one
    more button to press (napari's theme draws a pressed button in its accent colour)."""
    folded = QCollapsible(title)
    folded.setCollapsedIcon("▸")
    folded.setExpandedIcon("▾")
    folded.toggleButton().setStyleSheet(
        "QPushButton { border: none; background: transparent; text-align: left; padding: 1px; }"
    )
    folded.setContentsMargins(0, 0, 0, 0)
    layout = folded.layout()
    if layout is not None:
        layout.setContentsMargins(0, 0, 0, 0)
    if widgets:
        folded.addWidget(Column(*widgets))
    return folded


def hold_height_in_dock(view: QWidget) -> None:
    """Keep the dock *view* sits in at least as tall as *view* needs.

    napari makes every plugin dock 50 px high at least, whatever its content needs; stacked
    with other docks, the content would be cut. A plugin dock is a plain ``QDockWidget``.
    """
    dock = view.parentWidget()
    while dock is not None and not isinstance(dock, QDockWidget):
        dock = dock.parentWidget()
    if dock is None:
        return
    title = dock.titleBarWidget()
    own = max(view.minimumHeight(), view.minimumSizeHint().height())
    needed = own + (title.sizeHint().height() if title is not None else 24)
    if dock.minimumHeight() < needed:
        dock.setMinimumHeight(needed)
