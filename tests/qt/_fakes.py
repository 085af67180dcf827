"""An in-memory stand-in for the core, behind the views' one seam (``_qt._core.Core``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from napari_telemetry._qt import Outcome
from napari_telemetry.schema import SENDING_LEVELS, Level


@dataclass(frozen=True)
class FakeDecision:
    level: Level
    reason: str = "you agreed"
    source: str = "consent"
    should_ask: bool = False
    locked: bool = False
    agreed_level: Level = Level.NONE
    expires: date | None = None
    changed_fields: dict[str, list[str]] = field(default_factory=dict)
    changes: tuple[str, ...] = ()


def make_batch(level: Level = Level.BASIC, n_records: int = 1) -> dict[str, Any]:
    """A wire-valid envelope with *n_records* session/plugin/command records."""
    records: list[dict[str, Any]]
    if level is Level.BASIC:
        records = [
            {
                "type": "session",
                "napari_version": "0.9.2",
                "python_version": "3.11.7",
                "os_name": "Linux",
                "os_version": f"debian-{i}",
                "arch": "x86_64",
                "launches": 1,
            }
            for i in range(n_records)
        ]
    elif level is Level.MIDDLE:
        records = [
            {"type": "plugin", "name": f"napari-p{i}", "version": "1.0"} for i in range(n_records)
        ]
    else:
        records = [
            {"type": "command", "command_id": f"napari.c{i}", "plugin": "napari", "count": 1}
            for i in range(n_records)
        ]
    return {
        "schema_version": 1,
        "batch_id": str(uuid.uuid4()),
        "level": level.value,
        "user_id": "0" * 32,
        "week": "2026-W48",
        "first_report": False,
        "install_age": "month",
        "client_version": "0.1.0",
        "records": records,
    }


@dataclass(frozen=True)
class FakeCounter:
    name: str
    description: str
    labels: tuple[str, ...] = ()
    expires: date = date(2027, 6, 30)


@dataclass(frozen=True)
class FakeOffer:
    plugin: str
    review: str
    counters: tuple[FakeCounter, ...]
    state: str = "off"
    new: tuple[str, ...] = ()


@dataclass(frozen=True)
class FakeOverview:
    plugins: tuple[FakeOffer, ...]
    manifest: str = "collection manifest version 3 of 2026-11-30"


EXAMPLE_OFFER = FakeOffer(
    "napari-example",
    "https://github.com/napari/napari-telemetry-collection/pull/7",
    (
        FakeCounter("segmentations", "How often a segmentation ran, by its model.", ("cyto",)),
        FakeCounter("exports", "How often a result was exported to a file format."),
    ),
)


class FakeCore:
    """State in memory; set ``fail[name] = exc`` to make a call raise."""

    def __init__(self) -> None:
        self.agreed = Level.NONE
        self.asked = False  # whether a choice (or "ask me later") was ever recorded
        self.postponed = 0
        self.days: int | None = None
        self.locked = False
        self.changed_fields: dict[str, list[str]] = {}
        self.pending: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.ids_in_use = [("2026-W48", "a" * 32), ("2026-W47", "b" * 32)]
        self.fail: dict[str, Exception] = {}
        self.calls: list[str] = []
        self.listeners: list[Callable[[], None]] = []
        self.offers: list[FakeOffer] = []
        self.counter_listeners: list[Callable[[], None]] = []
        self.exported: list[dict[str, Any]] = []
        self.folders: list[Path] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail:
            raise self.fail[name]

    def decision(self) -> FakeDecision:
        self._call("decision")
        expires = date.today() + timedelta(days=self.days) if self.days else None
        return FakeDecision(
            self.agreed,
            reason="you agreed" if self.asked else "you have not been asked yet",
            source="consent" if self.asked else "no_consent",
            agreed_level=self.agreed,
            locked=self.locked,
            expires=expires,
            changed_fields=self.changed_fields,
        )

    def live_level(self) -> Level:
        return self.agreed

    def record_consent(self, level: Level, days: int | None) -> None:
        self._call("record_consent")
        self.agreed, self.days, self.asked = level, days, True

    def postpone(self) -> None:
        self._call("postpone")
        self.postponed += 1

    def disable(self) -> Outcome:
        self._call("disable")
        deleted = sum(len(b["records"]) for b in self.pending)
        self.agreed, self.pending = Level.NONE, []
        return Outcome(True, f"Telemetry is off; {deleted} pending record(s) deleted.")

    def preview(self, level: Level | None) -> list[dict[str, Any]]:
        self._call("preview")
        return list(self.pending)

    def sent_copies(self, level: Level | None) -> list[dict[str, Any]]:
        self._call("sent_copies")
        return list(self.sent)

    def delete_pending(self, level: Level, batch_key: str) -> None:
        self._call("delete_pending")
        self.pending = [b for b in self.pending if b["batch_id"] != batch_key]

    def pending_status(self) -> tuple[int, str]:
        self._call("pending_status")
        count = sum(len(b["records"]) for b in self.pending)
        return count, (
            "after 2026-11-29 12:00 (retried)" if count else "none (nothing is waiting)"
        )

    def send_now(self) -> Outcome:
        self._call("send_now")
        self.sent, self.pending = self.sent + self.pending, []
        return Outcome(True, "sent everything")

    def export(self, path: str) -> Outcome:
        self._call("export")
        self.exported, self.pending = list(self.pending), []
        return Outcome(True, f"{len(self.exported)} batch(es) exported")

    def ids(self) -> list[tuple[str, str]]:
        self._call("ids")
        return list(self.ids_in_use)

    def forget(self) -> Outcome:
        self._call("forget")
        self.ids_in_use = [("2026-W48", "c" * 32)]
        return Outcome(True, "deletion requested")

    def local_folders(self) -> list[tuple[str, str]]:
        self._call("local_folders")
        return [("/home/someone/.local/share/napari-telemetry", "your secret")]

    def forget_local(self) -> Outcome:
        self._call("forget_local")
        self.agreed, self.pending, self.ids_in_use = Level.NONE, [], []
        return Outcome(True, "everything deleted")

    def endpoints(self) -> dict[Level, str | None]:
        return {
            lv: f"http://127.0.0.1:9/{lv.value}/v1/{lv.value}/batches" for lv in SENDING_LEVELS
        }

    def on_change(self, callback: Callable[[], None]) -> None:
        self.listeners.append(callback)

    def watched_folders(self) -> list[Path]:
        self._call("watched_folders")
        return list(self.folders)

    def notify(self) -> None:
        """What the recorder does after a write (from a background thread in real life)."""
        for callback in self.listeners:
            callback()

    def plugin_counters(self) -> FakeOverview:
        self._call("plugin_counters")
        return FakeOverview(tuple(self.offers))

    def set_plugin_counters(self, plugin: str, on: bool) -> None:
        self._call("set_plugin_counters")
        self.offers = [
            replace(o, state="on" if on else "off", new=()) if o.plugin == plugin else o
            for o in self.offers
        ]

    def counter_descriptions(self) -> dict[tuple[str, str], str]:
        self._call("counter_descriptions")
        return {(o.plugin, c.name): c.description for o in self.offers for c in o.counters}

    def on_counters_change(self, callback: Callable[[], None]) -> None:
        self.counter_listeners.append(callback)
