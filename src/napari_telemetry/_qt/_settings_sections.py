"""Sections of the settings dock: where data goes, your weekly ids, and the actions."""

from __future__ import annotations

from urllib.parse import urlsplit

from qtpy.QtCore import Signal
from qtpy.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget
from superqt import QCollapsible

from ._banner import eliding_label, fold
from ._confirm import FORGET_LOCAL, ForgetDialog, ForgetLocalDialog
from ._controller import TelemetryController
from ._core import DecisionLike
from ._export import ExportButton
from ._flow import button_row
from ._ids_table import IdsTable


class StreamsSection(QWidget):
    """Where each stream of the effective level goes (nothing when off)."""

    def __init__(self, controller: TelemetryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._layout.addWidget(QLabel("Sends to:"))
        self._lines: list[QLabel] = []
        controller.decisionChanged.connect(self._on_decision_changed)

    def lines(self) -> list[str]:
        """The lines shown, in full: the stream and its address (or why nothing is sent)."""
        return [line.toolTip() for line in self._lines]

    def _on_decision_changed(self, decision: DecisionLike | None) -> None:
        for line in self._lines:
            line.deleteLater()
        streams = decision.level.streams() if decision is not None else ()
        urls = self._controller.endpoints()
        texts = [(f"{lv.value}: {_host(urls.get(lv))}", urls.get(lv) or "") for lv in streams]
        if not texts:
            texts = [("nothing: telemetry is off", "")]
        self._lines = []
        for text, url in texts:
            line = eliding_label(text)
            line.setToolTip(f"{text.split(':')[0]}: {url}" if url else text)
            line.setContentsMargins(12, 0, 0, 0)
            self._lines.append(line)
            self._layout.addWidget(line)


def _host(url: str | None) -> str:
    if not url:
        return "no usable collector address (nothing is sent)"
    return urlsplit(url).netloc or url


def ids_section(controller: TelemetryController) -> tuple[QCollapsible, IdsTable]:
    """The weekly ids in use, folded away until asked for."""
    table = IdsTable(controller)
    return fold("Your weekly ids in use", table), table


class ActionsSection(QWidget):
    """Review consent, preview, send, forget, disable; what cannot be undone asks first."""

    previewRequested = Signal()
    consentRequested = Signal()

    def __init__(self, controller: TelemetryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.consentButton = _button("Review consent…", "What each level sends, who sees it "
                                     "and what is published; choose again.")  # fmt: skip
        self.previewButton = _button("Preview…", "What will be sent, and what was sent.")
        self.sendButton = _button("Send now", "Send everything pending now, today's too.")
        self.forgetButton = _button(
            "Forget me…",
            "Ask the collector to delete what was sent with your weekly ids, then make a new "
            "secret so future ids cannot be linked to them (asks first).",
        )
        self.disableButton = _button(
            "Disable", "Turn telemetry off here and delete what this environment has pending."
        )
        self.forgetLocalButton = _button(
            f"{FORGET_LOCAL}…",
            "Forget me, then delete every file napari-telemetry keeps on this computer "
            "(asks first, listing them).",
        )
        self.exportButton = ExportButton(controller)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            button_row(
                self.consentButton,
                self.previewButton,
                self.sendButton,
                self.exportButton,
                self.forgetButton,
                self.disableButton,
                self.forgetLocalButton,
            )
        )
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.consentButton.clicked.connect(self.consentRequested)
        self.previewButton.clicked.connect(self.previewRequested)
        self.sendButton.clicked.connect(self._controller.send_now)
        self.disableButton.clicked.connect(self._controller.disable)
        self.forgetButton.clicked.connect(self._on_forget_clicked)
        self.forgetLocalButton.clicked.connect(self._on_forget_local_clicked)

    def _on_forget_clicked(self) -> None:
        dialog = ForgetDialog(self)
        dialog.confirmed.connect(self._controller.forget)
        dialog.open()

    def _on_forget_local_clicked(self) -> None:
        self._controller.list_local_data(self._on_local_data_listed)

    def _on_local_data_listed(self, folders: list[tuple[str, str]]) -> None:
        dialog = ForgetLocalDialog(folders, self)
        dialog.confirmed.connect(self._controller.forget_local)
        dialog.open()


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    return button
