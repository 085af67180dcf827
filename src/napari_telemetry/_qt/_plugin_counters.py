"""The settings dock's section on plugins' own counters: one switch per plugin, off until used.

Each installed plugin whose counters the collector's operators approved is listed with what
each counter counts (the approved description), its labels and its end date, and the public
review that approved them. A switch starts off: turning it on agrees to exactly what is
listed; when the operators approve something new for that plugin, its switch asks again and
nothing of it is counted until then. A thin view: the controller reads and stores.
"""

from __future__ import annotations

from html import escape

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QShowEvent
from qtpy.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget
from superqt import QCollapsible, QToggleSwitch

from napari_telemetry.schema import Level

from ._banner import fold, wrapping_label
from ._controller import TelemetryController
from ._core import DecisionLike, OverviewLike, PluginOfferLike

INTRO = (
    "Plugins may count what their maintainers need, once the collector's operators approved "
    "it in a public review. Nothing is counted for a plugin until you switch it on here, and "
    "only at the full level."
)
TITLE = "Plugins' own counters"
_STATE_WORDS = {
    "on": "On: it counts what is listed below.",
    "off": "Off: it counts nothing. Switch it on to let it count what is listed below.",
    "changed": "Off until you agree again: something new was approved for it.",
}


class PluginRow(QWidget):
    """One plugin: its name and switch, its state, what it counts, and its review."""

    switched = Signal(str, bool)  # plugin, on

    def __init__(self, offer: PluginOfferLike, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plugin = offer.plugin
        self._name = QLabel(f"<b>{escape(offer.plugin)}</b>")
        self._switch = QToggleSwitch()
        self._switch.setChecked(offer.state == "on")
        self._state = wrapping_label(_state_text(offer))
        self._counters = QCollapsible(f"What it counts ({len(offer.counters)})")
        self._review = wrapping_label(f'<a href="{escape(offer.review)}">Reviewed in public</a>')
        self._review.setOpenExternalLinks(True)
        self._build(offer)
        self._switch.toggled.connect(self._on_switch_toggled)

    def plugin(self) -> str:
        """The plugin this row is about."""
        return self._plugin

    def isOn(self) -> bool:
        """What the switch shows."""
        return self._switch.isChecked()

    def setOn(self, on: bool) -> None:
        """Switch it, as the user does."""
        self._switch.setChecked(on)

    def stateText(self) -> str:
        """The sentence under the name."""
        return self._state.text()

    def countersText(self) -> str:
        """Every counter's text, as listed."""
        return "\n".join(label.text() for label in self.findChildren(QLabel, "counter"))

    def setSwitchEnabled(self, enabled: bool, why: str) -> None:
        """Let the switch be used or not (below `full`, nothing could be counted)."""
        self._switch.setEnabled(enabled)
        self._switch.setToolTip("" if enabled else why)

    def _build(self, offer: PluginOfferLike) -> None:
        for counter in offer.counters:
            labels = f"labels: {', '.join(counter.labels)} · " if counter.labels else ""
            text = (
                f"<b>{escape(counter.name)}</b>: {escape(counter.description)}<br>"
                f"<small>{escape(labels)}until {counter.expires}</small>"
            )
            label = wrapping_label(text)
            label.setObjectName("counter")
            label.setTextFormat(Qt.TextFormat.RichText)
            self._counters.addWidget(label)
        head = QHBoxLayout()
        head.addWidget(self._name)
        head.addStretch()
        head.addWidget(self._switch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addLayout(head)
        layout.addWidget(self._state)
        layout.addWidget(self._counters)
        layout.addWidget(self._review)

    def _on_switch_toggled(self, on: bool) -> None:
        self.switched.emit(self._plugin, on)


def _state_text(offer: PluginOfferLike) -> str:
    lines = [_STATE_WORDS.get(offer.state, offer.state)]
    lines += [f"New: {line}" for line in offer.new]
    return "\n".join(lines)


class PluginCountersSection(QWidget):
    """Every plugin with approved counters, each with its own switch (the settings dock's)."""

    def __init__(self, controller: TelemetryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._intro = wrapping_label(INTRO)
        self._note = wrapping_label()
        self._rows: list[PluginRow] = []
        self._rows_box = QWidget()
        self._rows_layout = QVBoxLayout(self._rows_box)
        # Folded while no plugin offers anything: one line in the dock, the rest on request.
        self._fold = fold(TITLE, self._intro, self._rows_box, self._note)
        self._full = False
        self._build()
        self._connect_signals()

    def rows(self) -> list[PluginRow]:
        """One row per plugin shown."""
        return list(self._rows)

    def noteText(self) -> str:
        """The note about the manifest and the level."""
        return self._note.text()

    def reload(self) -> None:
        """Read the plugins' counters again (in a worker)."""
        self._controller.plugin_counters(self._on_loaded)

    def showEvent(self, event: QShowEvent | None) -> None:
        """Read them when shown: plugins, switches or the manifest may have changed."""
        super().showEvent(event)
        self.reload()

    def _build(self) -> None:
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._fold)

    def _connect_signals(self) -> None:
        self._controller.countersChanged.connect(self.reload)
        self._controller.decisionChanged.connect(self._on_decision_changed)

    def _on_decision_changed(self, decision: DecisionLike | None) -> None:
        self._full = decision is not None and decision.level is Level.FULL
        for row in self._rows:
            row.setSwitchEnabled(self._full, "Plugins count only at the full level.")

    def _on_loaded(self, overview: OverviewLike) -> None:
        for row in self._rows:
            self._rows_layout.removeWidget(row)
            row.deleteLater()
        self._rows = [PluginRow(offer) for offer in overview.plugins]
        for row in self._rows:
            row.switched.connect(self._controller.set_plugin_counters)
            self._rows_layout.addWidget(row)
        self._on_decision_changed(self._controller.decision())
        notes = [] if self._rows else ["No installed plugin has approved counters."]
        if self._rows and not self._full:
            notes.append("Plugins count only at the full level.")
        self._note.setText(" ".join([*notes, f"In use: {overview.manifest}."]))
        self._fold.setText(f"{TITLE} ({len(self._rows)})" if self._rows else f"{TITLE}: none")
        if self._rows:
            self._fold.expand(animate=False)
