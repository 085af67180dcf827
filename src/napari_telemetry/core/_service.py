"""The core's front door: every question and change the CLI, the Qt views and napari's glue ask.

One object, :data:`telemetry`, over the modules of the core. Each method looks its module's
function up when called, so a test that swaps one seam (``_consent.effective_level``) swaps it
for every caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from napari_telemetry.schema import SENDING_LEVELS, Level, PublicIndex

from . import (
    _consent,
    _forget,
    _identity,
    _ids,
    _public_index,
    _schedule,
    _store,
    _switches,
    _uploader,
)
from ._send_report import SendReport
from ._transport import Transport


def preview_json(batches: list[dict[str, Any]]) -> str:
    """The text ``napari-telemetry preview --json`` prints for *batches* (and the preview dock)."""
    return json.dumps(batches, indent=2, sort_keys=False)


@dataclass(frozen=True)
class Endpoints:
    """Where this computer may connect: each level's batches, deletions, the plugin index."""

    batches: dict[Level, str | None]  # None: no usable collector URL, nothing is sent
    deletion: list[str]
    index: str | None  # None: switched off, nothing is fetched


@dataclass(frozen=True)
class Stream:
    """One stream of the effective level: where it goes, and the next attempt if it waits."""

    level: Level
    url: str | None
    next_attempt: datetime | None


@dataclass(frozen=True)
class Status:
    """What ``napari-telemetry status`` shows."""

    decision: _consent.Decision
    streams: list[Stream]
    pending: int
    next_send: str
    debug: bool
    secret_problem: str | None
    counters: list[tuple[str, int]]  # (what was counted, in words; how many), those above 0


class Telemetry:
    """The telemetry of this process and this user: level, consent, data, sending, forgetting."""

    # --- the level and the consent ----------------------------------------------------------
    def decision(self, *, interactive: bool = False) -> _consent.Decision:
        """The effective level now and why; never raises."""
        return _consent.effective_level(interactive=interactive)

    def live_level(self) -> Level:
        """What this process records at now (memory only)."""
        return _store.get_recorder().level

    def policy_locked(self) -> bool:
        """Whether a locked site policy decides here, not the user."""
        return _switches.policy().locked

    def record_consent(self, level: Level, days: int | None = None) -> None:
        """Store the user's choice; it applies to this process at once."""
        _consent.record_consent(level, days=days)

    def postpone(self) -> bool:
        """ "Ask me later": an open question is asked again after a week (a choice that holds
        stays as it is; False then)."""
        return _consent.postpone()

    def disable(self) -> None:
        """Record ``none`` and delete what this environment recorded and has not sent."""
        _consent.disable()

    # --- the data ---------------------------------------------------------------------------
    # The process-wide recorder napari's glue counts into: the hot path, so no wrapper around it.
    recorder = staticmethod(_store.get_recorder)

    def preview(self, level: Level | None = None) -> list[dict[str, Any]]:
        """The exact envelopes that would be sent now (*level* None: every stream)."""
        return _store.preview(level)

    def sent_copies(self, level: Level | None = None) -> list[dict[str, Any]]:
        """Copies of the batches that left this computer, newest first."""
        return _store.sent_copies(level)

    def delete_pending(self, level: Level, batch_key: str) -> None:
        """Delete one pending batch, as the preview shows it."""
        _store.delete_pending(level, batch_key)

    def pending(self) -> _store.Pending:
        """What waits to be sent, stream by stream: what :meth:`preview` lists, counted."""
        return _store.pending()

    def pending_count(self) -> int:
        """Records waiting to be sent (on disk and in this process's memory), as the preview
        lists them, the indicator and ``status`` say."""
        return _store.pending().records

    def pending_here(self) -> int:
        """Records this environment recorded and has not sent."""
        return _store.pending_here()

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call *callback* (off the GUI thread) when records were written or the consent moved."""
        _store.get_recorder().changed.connect(callback)

    # --- sending ----------------------------------------------------------------------------
    def send_now(self, *, force: bool = False) -> SendReport:
        """Send what is due now; *force* includes today's records and ignores the waits."""
        return _uploader.get_uploader().send_now(force=force)

    def start_uploader(self) -> None:
        """Start sending in the background (idempotent)."""
        _uploader.get_uploader().start()

    def next_send(self, pending: _store.Pending | None = None) -> _schedule.NextSend:
        """When pending data leaves this computer next, or why it does not (*pending*: what
        :meth:`pending` returned, so that the count and the words agree)."""
        return _schedule.next_send(waiting=pending)

    def endpoints(self) -> Endpoints:
        """Every address this plugin may contact."""
        batches = {level: _switches.batches_url(level) for level in SENDING_LEVELS}
        return Endpoints(batches, _identity.deletion_urls(), _switches.index_url())

    def status(self) -> Status:
        """Level and reason, streams, pending data and problems."""
        decision = _consent.effective_level()
        uploader = _uploader.get_uploader()
        streams = [
            Stream(level, _switches.batches_url(level), uploader.next_attempt(level))
            for level in decision.level.streams()
        ]
        pending = _store.pending()
        return Status(
            decision=decision,
            streams=streams,
            pending=pending.records,
            next_send=_schedule.next_send(waiting=pending).text(),
            debug=_switches.debug(),
            secret_problem=_identity.secret_problem(),
            counters=_store.stats_in_words(),
        )

    # --- the plugin index -------------------------------------------------------------------
    def public_index(self) -> PublicIndex | None:
        """The public plugin index this process uses, or None when there is none."""
        return _public_index.current()

    def refresh_index(self, on_done: Callable[[PublicIndex], None] | None = None) -> None:
        """Fetch the index in the background when it is due; *on_done* gets the new one."""
        _public_index.refresh_in_background(on_done=on_done)

    # --- identity and forgetting ------------------------------------------------------------
    def ids(self) -> list[tuple[str, str]]:
        """``[(week, id)]`` of the weeks the current secret was in use while telemetry was on
        (the last 9 at most), newest first; reads only, never makes an identity."""
        return _ids.ids_in_use()

    def forget(self, transport: Transport | None = None) -> _forget.ForgetResult:
        """Ask the collector to delete the ids in use; new secret; pending data deleted."""
        return _forget.forget(transport)

    def local_folders(self) -> list[_forget.Folder]:
        """The plugin's folders that exist now, with what each holds."""
        return _forget.local_folders()

    def forget_local(self, transport: Transport | None = None) -> _forget.LocalForgetResult:
        """Forget me, then remove every local folder; this process stops."""
        return _forget.forget_local(transport)


telemetry = Telemetry()
