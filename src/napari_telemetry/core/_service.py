"""The core's front door: every question and change the CLI, the Qt views and napari's glue ask.

One object, :data:`telemetry`, over the modules of the core. Each method looks its module's
function up when called, so a test that swaps one seam (``_consent.effective_level``) swaps it
for every caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from napari_telemetry.schema import SENDING_LEVELS, Level, PublicIndex

from . import (
    _consent,
    _counters,
    _identity,
    _ids,
    _paths,
    _public_index,
    _schedule,
    _store,
    _switches,
    _upload_state,
    _uploader,
)
from ._send_report import SendReport
from ._state import state

FLUSH_BEFORE_SEND = 2.0  # seconds a forced send waits for this process's records to be written

if TYPE_CHECKING:
    from ._carry import ExportReport, FileSendReport
    from ._check import CheckReport
    from ._forget import Folder, ForgetResult, LocalForgetResult
    from ._transport import Transport


@dataclass(frozen=True)
class Endpoints:
    """Where this computer may connect: each level's batches, deletions, the plugin index."""

    batches: dict[Level, str | None]  # None: no usable collector URL, nothing is sent
    deletion: list[str]
    index: str | None  # None: switched off, nothing is fetched
    collection: str | None = None  # the signed collection manifest (plugin counters), at full


@dataclass(frozen=True)
class Stream:
    """One stream of the effective level: where it goes, and the next attempt if it waits."""

    level: Level
    url: str | None
    next_attempt: datetime | None
    failure: str | None = None  # why the last attempt failed (None: it did not)
    failing_since: datetime | None = None  # the first failure since the last success


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
    plugin_switches: list[tuple[str, str]] = field(default_factory=list)  # (plugin, state)
    storage_problem: str | None = None  # why records cannot be written to the data folder


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

    def watched_folders(self) -> list[Path]:
        """The folders another process changes what the views show in: each stream's pending
        folder (a send, a new day's file) and this environment's consent records."""
        pending = [_paths.pending_dir(level.value) for level in SENDING_LEVELS]
        return [*pending, _paths.consent_file().parent]

    # --- sending ----------------------------------------------------------------------------
    def send_now(self, *, force: bool = False) -> SendReport:
        """Send what is due now; *force* includes today's records (those this process still
        holds in memory too: what the preview lists) and ignores the waits."""
        recorder = state.recorder
        if force and recorder is not None:
            recorder.flush(timeout=FLUSH_BEFORE_SEND)
        return _uploader.get_uploader().send_now(force=force)

    def export(self, path: Path, *, overwrite: bool = False) -> ExportReport:
        """Write every pending batch to *path* and hand them over (not sent from here)."""
        from ._carry import export  # carrying data out, checking, forgetting: never at launch

        return export(path, overwrite=overwrite)

    def send_file(self, path: Path) -> FileSendReport:
        """Send the batches of an export file; OSError or ``CarryError`` when it is unusable."""
        from ._carry import send_file  # as export

        return send_file(path)

    def check(self) -> CheckReport:
        """Try every endpoint (as an upload would) and the data folder; sends nothing."""
        from ._check import check  # as export

        return check()

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
        return Endpoints(
            batches,
            _identity.deletion_urls(),
            _switches.index_url(),
            _switches.collection_url(),
        )

    def status(self) -> Status:
        """Level and reason, streams, pending data and problems."""
        decision = _consent.effective_level()
        uploader = _uploader.get_uploader()
        states = _upload_state.load()
        streams = [
            Stream(
                level,
                _switches.batches_url(level),
                uploader.next_attempt(level),
                states[level].error,
                states[level].failing_since,
            )
            for level in decision.level.streams()
        ]
        pending = _store.pending()
        recorder = state.recorder  # a terminal has none: its status makes none either
        return Status(
            decision=decision,
            streams=streams,
            pending=pending.records,
            next_send=_schedule.next_send(waiting=pending).text(),
            debug=_switches.debug(),
            secret_problem=_identity.secret_problem(),
            counters=_store.stats_in_words(),
            plugin_switches=[(o.plugin, o.state) for o in self.plugin_counters().plugins],
            storage_problem=(recorder and recorder.problem) or _store.storage_problem(),
        )

    # --- the plugin index -------------------------------------------------------------------
    def public_index(self) -> PublicIndex | None:
        """The public plugin index this process uses, or None when there is none."""
        return _public_index.current()

    def keep_index_for(self, names: Iterable[str]) -> None:
        """Keep only these (installed) plugins of the public index in memory."""
        _public_index.keep_only(names)

    def refresh_index(self, on_done: Callable[[PublicIndex], None] | None = None) -> None:
        """Fetch the index in the background when it is due; *on_done* gets the new one."""
        _public_index.refresh_in_background(on_done=on_done)

    # --- plugin counters --------------------------------------------------------------------
    def counter_gate(self) -> _counters.Gate:
        """The gate plugin counts pass; its first use reads files: not on napari's GUI thread."""
        return _counters.get_gate()

    def plugin_counters(self) -> _counters.Overview:
        """Each installed plugin with approved counters, its switch, and the manifest in use."""
        return _counters.get_gate().overview()

    def set_plugin_counters(self, plugin: str, on: bool) -> None:
        """Turn *plugin*'s counters on (agreeing to what it offers now) or off (and delete
        what it counted here and has not sent); ValueError when it offers nothing here."""
        _counters.get_gate().set_switch(plugin, on)

    def counter_descriptions(self) -> dict[tuple[str, str], str]:
        """(plugin, counter) → its approved description (for the preview)."""
        return _counters.get_gate().descriptions()

    def on_counters_change(self, callback: Callable[[], None]) -> None:
        """Call *callback* (off the GUI thread) when offers or switches changed."""
        _counters.get_gate().changed.connect(callback)

    def refresh_collection(self, *, now: bool = False) -> _counters.Trusted | None:
        """At `full`: fetch the collection manifest, in the background when due (*now*: here,
        whatever its age). None when nothing was fetched here (the level, a switch, no key)."""
        if self.live_level() is not Level.FULL:
            return None
        if not now:  # the gate too is read on the fetching thread: the caller may be napari's
            _counters.refresh_in_background(on_done=lambda t: _counters.get_gate().use(t))
            return None
        trusted = _counters.refresh()
        if trusted is not None:
            _counters.get_gate().use(trusted)
        return trusted

    # --- identity and forgetting ------------------------------------------------------------
    def ids(self) -> list[tuple[str, str]]:
        """``[(week, id)]`` of the weeks the current secret was in use while telemetry was on
        (the last 9 at most), newest first; reads only, never makes an identity."""
        return _ids.ids_in_use()

    def forget(self, transport: Transport | None = None) -> ForgetResult:
        """Ask the collector to delete the ids in use; new secret; pending data deleted."""
        from ._forget import forget  # as export

        return forget(transport)

    def local_folders(self) -> list[Folder]:
        """The plugin's folders that exist now, with what each holds."""
        from ._forget import local_folders  # as export

        return local_folders()

    def forget_local(self, transport: Transport | None = None) -> LocalForgetResult:
        """Forget me, then remove every local folder; this process stops."""
        from ._forget import forget_local  # as export

        return forget_local(transport)


telemetry = Telemetry()
