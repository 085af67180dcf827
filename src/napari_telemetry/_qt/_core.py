"""The seam between the Qt views and the client core.

Views never call the core directly: they talk to a :class:`~._controller.TelemetryController`,
which calls a :class:`Core`. :class:`RealCore` forwards to the core's front door; tests pass a
fake with the same methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from napari_telemetry.core import preview_json, telemetry
from napari_telemetry.schema import Level


class DecisionLike(Protocol):
    """What the views read from ``_consent.Decision``."""

    @property
    def level(self) -> Level: ...
    @property
    def reason(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def should_ask(self) -> bool: ...
    @property
    def locked(self) -> bool: ...
    @property
    def agreed_level(self) -> Level: ...
    @property
    def expires(self) -> date | None: ...
    @property
    def changed_fields(self) -> dict[str, list[str]]: ...
    @property
    def changes(self) -> tuple[str, ...]: ...


class CounterOfferLike(Protocol):
    """What the views read of one counter a plugin may count (``core.CounterOffer``)."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def expires(self) -> date: ...


class PluginOfferLike(Protocol):
    """What the views read of one plugin's counters and switch (``core.PluginOffer``)."""

    @property
    def plugin(self) -> str: ...
    @property
    def review(self) -> str: ...
    @property
    def counters(self) -> Sequence[CounterOfferLike]: ...
    @property
    def state(self) -> str: ...  # "on" | "off" | "changed" (asks again)
    @property
    def new(self) -> tuple[str, ...]: ...


class OverviewLike(Protocol):
    """What the views read of the plugins' counters (``core.Overview``)."""

    @property
    def plugins(self) -> Sequence[PluginOfferLike]: ...
    @property
    def manifest(self) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """What an action did, for the message strip: an error when *ok* is False."""

    ok: bool
    text: str


class Core(Protocol):
    """Everything the views need from the core; each call may raise (the controller reports it)."""

    def decision(self) -> DecisionLike: ...
    def live_level(self) -> Level: ...  # what this process records at now (memory only)
    def record_consent(self, level: Level, days: int | None) -> None: ...
    def postpone(self) -> None: ...  # "Ask me later"
    def disable(self) -> Outcome: ...
    def preview(self, level: Level | None) -> list[dict[str, Any]]: ...
    def sent_copies(self, level: Level | None) -> list[dict[str, Any]]: ...
    def delete_pending(self, level: Level, batch_key: str) -> None: ...
    def pending_status(self) -> tuple[int, str]: ...  # records pending, next send (local time)
    def send_now(self) -> Outcome: ...
    def export(self, path: str) -> Outcome: ...  # pending batches to a file, handed over
    def ids(self) -> list[tuple[str, str]]: ...  # the weekly ids in use
    def forget(self) -> Outcome: ...
    def local_folders(self) -> list[tuple[str, str]]: ...  # (folder, what it holds)
    def forget_local(self) -> Outcome: ...
    def endpoints(self) -> dict[Level, str | None]: ...
    def on_change(self, callback: Callable[[], None]) -> None: ...
    def watched_folders(self) -> list[Path]: ...  # changed by other processes, too
    # plugin counters: the first call reads files (never on the GUI thread)
    def plugin_counters(self) -> OverviewLike: ...
    def set_plugin_counters(self, plugin: str, on: bool) -> None: ...
    def counter_descriptions(self) -> dict[tuple[str, str], str]: ...
    def on_counters_change(self, callback: Callable[[], None]) -> None: ...


def to_json(batches: list[dict[str, Any]]) -> str:
    """The text ``napari-telemetry preview --json`` prints for *batches* (the core's function)."""
    return preview_json(batches)


def disabled_text(deleted: int) -> str:
    """What *Disable* did, in the words ``napari-telemetry disable`` uses."""
    return (
        "Telemetry is off in this environment; nothing more is recorded or sent. "
        f"{deleted} pending record(s) of this environment deleted."
    )


class RealCore:
    """The :class:`Core` backed by the core's front door (``napari_telemetry.core.telemetry``)."""

    def decision(self) -> DecisionLike:
        return telemetry.decision()

    def live_level(self) -> Level:
        return telemetry.live_level()

    def record_consent(self, level: Level, days: int | None) -> None:
        telemetry.record_consent(level, days)  # applies the new level to the recorder at once

    def postpone(self) -> None:
        telemetry.postpone()

    def disable(self) -> Outcome:
        deleted = telemetry.pending_here()
        telemetry.disable()
        return Outcome(True, disabled_text(deleted))

    def preview(self, level: Level | None) -> list[dict[str, Any]]:
        return telemetry.preview(level)

    def sent_copies(self, level: Level | None) -> list[dict[str, Any]]:
        return telemetry.sent_copies(level)

    def delete_pending(self, level: Level, batch_key: str) -> None:
        telemetry.delete_pending(level, batch_key)

    def pending_status(self) -> tuple[int, str]:
        pending = telemetry.pending()  # one look: the number and the words agree
        return pending.records, telemetry.next_send(pending).text()

    def send_now(self) -> Outcome:
        report = telemetry.send_now(force=True)
        return Outcome(report.ok, str(report))

    def ids(self) -> list[tuple[str, str]]:
        return telemetry.ids()  # reads only: looking never makes an identity

    def export(self, path: str) -> Outcome:
        report = telemetry.export(Path(path), overwrite=True)  # the file dialog asked
        return Outcome(not report.failed, str(report))

    def forget(self) -> Outcome:
        result = telemetry.forget()
        return Outcome(result.ok, "\n".join(result.lines()))

    def local_folders(self) -> list[tuple[str, str]]:
        return [(str(f.path), f.holds) for f in telemetry.local_folders()]

    def forget_local(self) -> Outcome:
        result = telemetry.forget_local()
        ok = not result.problems and (result.forget.reached or not result.forget.ids)
        return Outcome(ok, "\n".join(result.lines()))

    def endpoints(self) -> dict[Level, str | None]:
        return telemetry.endpoints().batches

    def on_change(self, callback: Callable[[], None]) -> None:
        telemetry.on_change(callback)

    def watched_folders(self) -> list[Path]:
        return telemetry.watched_folders()

    def plugin_counters(self) -> OverviewLike:
        return telemetry.plugin_counters()

    def set_plugin_counters(self, plugin: str, on: bool) -> None:
        telemetry.set_plugin_counters(plugin, on)

    def counter_descriptions(self) -> dict[tuple[str, str], str]:
        return telemetry.counter_descriptions()

    def on_counters_change(self, callback: Callable[[], None]) -> None:
        telemetry.on_counters_change(callback)
