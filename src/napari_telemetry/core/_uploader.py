"""The uploader: a daemon thread that sends finished days as batches, one stream per level."""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from napari_telemetry._version import __version__
from napari_telemetry.schema import Level

from . import _consent, _identity, _paths, _send_report, _store, _switches, _upload_state
from ._send_report import SendReport
from ._state import state
from ._store import PendingDay, build, wire_bytes
from ._upload_state import LevelState

if TYPE_CHECKING:
    from ._transport import Response, Transport

log = logging.getLogger("napari_telemetry")
TIMEOUT = 10.0  # the whole-request deadline of one batch
ROUND_DEADLINE = 30.0  # a round (and so the upload lock) ends after this; the rest waits
FIRST_CHECK = 30.0
CHECK_EVERY = 600.0
SENT_KEEP_DAYS = 60


class Uploader:
    """Sends pending batches from a daemon thread; ``send_now`` sends on the calling thread."""

    def __init__(
        self,
        transport: Transport | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._transport = transport
        self._now = now or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._next = 0.0  # (monotonic) no check before this
        self._watched: _store.Recorder | None = None  # whose writes ask for a check

    def start(self) -> None:
        """Check ``FIRST_CHECK`` seconds from now, then at most every ``CHECK_EVERY`` seconds
        while napari records (each write of the recorder asks); idempotent.

        No thread waits in between: one exists for the first check and for each check after,
        and ends with it. An idle napari runs no telemetry thread.
        """
        recorder = _store.get_recorder()
        with self._lock:
            if self._watched is recorder:
                return
            self._stop.clear()
            self._watched = recorder
        recorder.changed.connect(self._on_written)
        self._spawn(FIRST_CHECK)

    def stop(self, timeout: float = 0.5) -> None:
        """End the checks; waits at most *timeout* for one under way (a daemon either way)."""
        self._stop.set()
        with self._lock:
            watched, self._watched, thread = self._watched, None, self._thread
        if watched is not None:
            watched.changed.disconnect(self._on_written)
        if thread is not None:
            thread.join(timeout)

    def _on_written(self) -> None:
        """The recorder wrote (on its thread): check now, if the last check is long enough ago."""
        if not self._stop.is_set() and time.monotonic() >= self._next:
            self._spawn(0.0)

    def _spawn(self, delay: float) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._next = time.monotonic() + delay + CHECK_EVERY
            self._thread = threading.Thread(
                target=self._check, args=(delay,), name="napari-telemetry-uploader", daemon=True
            )
            self._thread.start()

    def next_attempt(self, level: Level) -> datetime | None:
        """When *level*'s stream may be sent next (None: at the next check)."""
        return _upload_state.load()[level].blocked_until(self._now())

    def send_now(self, *, force: bool = False) -> SendReport:
        """Send what is due now; *force* includes today's records and ignores the waits."""
        report = SendReport(debug=_switches.debug())
        try:
            with upload_lock():
                self._round(force, report)
        except _paths.LockTimeout:
            report.problems.append("another napari process is sending right now; try later")
        except _identity.SecretError as e:
            report.problems.append(f"nothing was sent: {e}; run `napari-telemetry forget`")
        except OSError as e:
            why = e.strerror or type(e).__name__
            report.problems.append(f"could not send: {why} (in the telemetry data folder)")
        _store.notify()  # the views count again: what was sent, kept or dropped
        return report

    def _check(self, delay: float) -> None:
        """One check (after *delay* seconds): send what is due; then the thread ends."""
        if self._stop.wait(delay):
            return
        try:
            if _consent.effective_level().level is Level.NONE:
                return  # nothing to send, and no file to make (forget --local left none)
            report = self.send_now()
            log.debug("telemetry upload round: %s", report)
        except Exception:  # a surprise must not reach napari
            log.debug("telemetry upload round failed", exc_info=True)

    def _round(self, force: bool, report: SendReport) -> None:
        states = _upload_state.load()
        now = self._now()
        decision = _consent.effective_level()
        if decision.level is Level.NONE:
            report.problems.append(f"telemetry is off: {decision.reason}")
        until = time.monotonic() + ROUND_DEADLINE
        for level in decision.level.streams():
            if _left(until) is None:
                report.problems.append(f"{level.value}: no time left in this round; sent later")
                continue
            self._level(level, states[level], now, force, report, until)
        if not report.debug:  # a look at what would be sent uses up no hourly slot
            _upload_state.save(states)
        _purge_sent()

    def _level(
        self,
        level: Level,
        state: LevelState,
        now: datetime,
        force: bool,
        report: SendReport,
        until: float,
    ) -> None:
        url = _switches.batches_url(level)
        blocked = state.blocked_until(now)
        if url is None:
            report.problems.append(f"{level.value}: no usable collector URL, nothing is sent")
            return
        if blocked is not None and not force:
            when = f"{blocked.astimezone():%Y-%m-%d %H:%M}"
            report.problems.append(
                f"{level.value}: next attempt after {when} (local time); "
                "`napari-telemetry send --now` sends without waiting"
            )
            return
        if report.debug:
            self._show(level, url, force, report)
            return
        if dropped := _store.drop_outside_window(level, date.today()):
            report.notes.append(f"{level.value}: {dropped} record(s) outside the week window")
        batches = _store.seal(level, include_today=force, today=date.today())
        if not batches:
            return
        state.last = now
        stopped, kept = None, 0
        for day in batches:
            if stopped is None:
                stopped, kept = self._send_day(level, day, url, state, now, report, until)
            else:  # the stream waits: its later days stay too
                kept += len(build(day, _consent.judge_token).envelopes)
        if stopped is not None:
            report.kept += kept
            retry = state.blocked_until(now) if stopped != "later" else None
            report.problems.append(_send_report.kept_line(level, stopped, kept, retry))

    def _send_day(
        self,
        level: Level,
        day: PendingDay,
        url: str,
        state: LevelState,
        now: datetime,
        report: SendReport,
        until: float,
    ) -> tuple[str | None, int]:
        """Send one sealed file's envelopes; (why the stream stops, batches kept) on a failure,
        (None, 0) when the file is done."""
        built = build(day, _consent.judge_token)
        with _store.locked():
            _store.bump_stats(stale_consent=built.stale, invalid_records=built.invalid)
        for i, envelope in enumerate(built.envelopes):
            outcome, retry_after, failure = self._post(url, envelope, report, until)
            if outcome == "later":
                return "later", len(built.envelopes) - i
            if failure is not None:  # kept: the stream backs off
                state.failed(now, retry_after, failure.error, failure.kind)
                return failure.said, len(built.envelopes) - i
            if outcome == "sent":
                state.succeeded()
                if level not in report.streams:
                    report.streams.append(level)
        _store.finish(day, built.keep)
        return None, 0

    def _show(self, level: Level, url: str, force: bool, report: SendReport) -> None:
        """Log the batches a round would send now, changing nothing on disk."""
        for day in _store.due(level, include_today=force, today=date.today()):
            for envelope in build(day, _consent.judge_token).envelopes:
                log.warning(
                    "NAPARI_TELEMETRY_DEBUG: would send to %s: %s", url, json.dumps(envelope)
                )
                report.shown += 1

    def _post(
        self, url: str, envelope: dict[str, Any], report: SendReport, until: float
    ) -> tuple[str, float | None, _send_report.Failure | None]:
        """POST one envelope: ("sent" | "dropped" | "keep" | "later", Retry-After seconds,
        what went wrong when kept). "later": the round had no time left (kept, no backoff)."""
        timeout = _left(until)
        if timeout is None:
            return "later", None, None
        from ._transport import TransportError, get_transport  # HTTP: only for a request

        try:
            response = post(self._transport or get_transport(), url, envelope, timeout)
        except TransportError as e:
            return "keep", None, _send_report.no_answer(url, str(e), e.kind)
        status = response.status
        if 200 <= status < 300:
            try:
                keep_copy(envelope)
            except OSError as e:  # the batch is done all the same: it must not be sent again
                why = e.strerror or type(e).__name__
                report.notes.append(f"{envelope['level']}: sent, but no copy was kept ({why})")
            report.sent += 1
            return "sent", None, None
        if 400 <= status < 500 and status not in (408, 429):
            _count_refusal(url, envelope, response, report)
            return "dropped", None, None
        return "keep", response.retry_after, _send_report.kept(url, status)


def _left(until: float) -> float | None:
    """The deadline of the next request: TIMEOUT, or what is left of the round (None: nothing)."""
    left = until - time.monotonic()
    return min(TIMEOUT, left) if left > 0.05 else None


def _count_refusal(
    url: str, envelope: dict[str, Any], response: Response, report: SendReport
) -> None:
    """Count a batch the collector refused for good: its week, or anything else."""
    week = _week_refused(response.body)
    with _store.locked():
        if week:
            _store.bump_stats(outside_window=len(envelope["records"]))
        else:
            _store.bump_stats(rejected_batches=1)
    report.dropped += 1
    refused = _send_report.refusal(url, response.status, envelope["week"] if week else None)
    report.problems.append(f"{envelope['level']}: {refused}.")


def _week_refused(body: bytes) -> bool:
    """Whether a refusal is the collector's week window (a 422 issue located at ``week``)."""
    try:
        issues = json.loads(body)["detail"]
        return any(issue["loc"] == ["week"] for issue in issues)
    except (ValueError, KeyError, TypeError):
        return False


def upload_lock() -> AbstractContextManager[None]:
    """Held while batches leave this computer (a round, an export): one process at a time."""
    _paths.data_dir().mkdir(parents=True, exist_ok=True)
    return _paths.locked(_paths.data_dir() / "uploader.lock", timeout=0)


def post(transport: Transport, url: str, envelope: dict[str, Any], timeout: float) -> Response:
    """POST one envelope as the collector expects it (gzip JSON); TransportError as post's."""
    headers = {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "User-Agent": f"napari-telemetry/{__version__}",
    }
    return transport.post(url, gzip.compress(wire_bytes(envelope)), headers, timeout)


def keep_copy(envelope: dict[str, Any]) -> None:
    """Keep the user's copy of a batch that left this computer (the "what was sent" log)."""
    level = Level(envelope["level"])
    path = _paths.sent_dir(level.value) / f"{envelope['batch_id']}.json"
    _paths.write_json(path, envelope)
    _identity.mark_reported(level)


def _purge_sent() -> None:
    """Forget copies of sent batches after 60 days."""
    cutoff = time.time() - SENT_KEEP_DAYS * 86400
    root = _paths.sent_dir()
    for path in root.glob("*/*.json") if root.is_dir() else ():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def get_uploader() -> Uploader:
    """The process-wide uploader (not started until ``start()``)."""
    if state.uploader is None:
        state.uploader = Uploader()
    return state.uploader
