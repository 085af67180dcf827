"""The seam between the Qt views and the client core.

Views never call the core directly: they talk to a :class:`~._controller.TelemetryController`,
which calls a :class:`Core`. :class:`RealCore` forwards to the core modules (imported inside each
method, so this package imports without them); tests pass a fake with the same methods.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from napari_telemetry.schema import SENDING_LEVELS, Level

log = logging.getLogger("napari_telemetry")


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


class Core(Protocol):
    """Everything the views need from the core; each call may raise (the controller reports it)."""

    def decision(self) -> DecisionLike: ...
    def live_level(self) -> Level: ...  # what this process records at now (memory only)
    def record_consent(self, level: Level, days: int | None) -> None: ...
    def disable(self) -> None: ...
    def preview(self, level: Level | None) -> list[dict[str, Any]]: ...
    def sent_copies(self, level: Level | None) -> list[dict[str, Any]]: ...
    def delete_pending(self, level: Level, batch_key: str) -> None: ...
    def pending_count(self) -> int: ...
    def next_send(self) -> str: ...  # when pending data leaves, in words (local time)
    def send_now(self) -> str: ...
    def recent_ids(self) -> list[tuple[str, str]]: ...
    def forget(self) -> str: ...
    def local_folders(self) -> list[tuple[str, str]]: ...  # (folder, what it holds)
    def forget_local(self) -> str: ...
    def endpoints(self) -> dict[Level, str | None]: ...
    def on_change(self, callback: Callable[[], None]) -> None: ...


def to_json(batches: list[dict[str, Any]]) -> str:
    """The text ``napari-telemetry preview --json`` prints for *batches* (the CLI's function)."""
    from napari_telemetry._cli import preview_json

    return preview_json(batches)


class RealCore:
    """The :class:`Core` backed by ``_consent``, ``_store``, ``_uploader`` and ``_identity``."""

    def decision(self) -> DecisionLike:
        from napari_telemetry import _consent

        return _consent.effective_level()

    def live_level(self) -> Level:
        from napari_telemetry import _store

        return _store.get_recorder().level

    def record_consent(self, level: Level, days: int | None) -> None:
        from napari_telemetry import _consent  # applies the new level to the recorder at once

        _consent.record_consent(level, days=days)

    def disable(self) -> None:
        from napari_telemetry import _consent

        _consent.disable()

    def preview(self, level: Level | None) -> list[dict[str, Any]]:
        from napari_telemetry import _store

        return _store.preview(level)

    def sent_copies(self, level: Level | None) -> list[dict[str, Any]]:
        from napari_telemetry import _store

        return _store.sent_copies(level)

    def delete_pending(self, level: Level, batch_key: str) -> None:
        from napari_telemetry import _store

        _store.delete_pending(level, batch_key)

    def pending_count(self) -> int:
        from napari_telemetry import _store

        return _store.get_recorder().pending_count()

    def next_send(self) -> str:
        from napari_telemetry import _schedule

        return _schedule.next_send().text()

    def send_now(self) -> str:
        from napari_telemetry import _uploader

        return str(_uploader.get_uploader().send_now(force=True))

    def recent_ids(self) -> list[tuple[str, str]]:
        from napari_telemetry import _identity

        return _identity.recent_ids(create=False)  # looking never makes an identity

    def forget(self) -> str:
        from napari_telemetry import _identity

        result = _identity.forget()
        return str(getattr(result, "message", result))

    def local_folders(self) -> list[tuple[str, str]]:
        from napari_telemetry import _local_data

        return [(str(f.path), f.holds) for f in _local_data.local_folders()]

    def forget_local(self) -> str:
        from napari_telemetry import _local_data

        return "\n".join(_local_data.forget_local().lines())

    def endpoints(self) -> dict[Level, str | None]:
        from napari_telemetry import _switches

        return {level: _switches.batches_url(level) for level in SENDING_LEVELS}

    def on_change(self, callback: Callable[[], None]) -> None:
        from napari_telemetry import _store

        _LISTENERS.append(weakref.WeakMethod(callback))
        recorder = _store.get_recorder()
        if recorder.changed is not _dispatch:
            previous = recorder.changed
            _PREVIOUS[:] = [previous] if previous is not None else []
            recorder.changed = _dispatch


_LISTENERS: list[weakref.WeakMethod[Callable[[], None]]] = []
_PREVIOUS: list[Callable[[], None]] = []


def _dispatch() -> None:
    """The recorder's ``changed`` callback: tell every live view (called off the GUI thread)."""
    alive = [func for func in (ref() for ref in _LISTENERS) if func is not None]
    for func in [*_PREVIOUS, *alive]:
        try:
            func()
        except Exception:  # a view that went away must not break the recorder
            log.debug("telemetry view callback failed", exc_info=True)
    _LISTENERS[:] = [ref for ref in _LISTENERS if ref() is not None]
