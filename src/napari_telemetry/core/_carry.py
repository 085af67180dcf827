"""Carry it out: batches exported from a computer without internet, sent from one with it.

``export`` writes exactly what ``napari-telemetry preview --json`` shows (every stream's batches,
today's included, batch ids and weekly ids as they would be sent) and hands them over: they leave
the pending files as if sent, so this computer never sends them too. ``send_file`` posts such a
file from any computer with the plugin installed (napari is not needed). The batches keep their
ids, so the collector stores each once however often the file is sent.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from napari_telemetry.schema import BATCH_MODELS, Level, week_accepted

from . import _consent, _paths, _store, _switches, _uploader
from ._store import preview_json
from ._transport import Transport, TransportError, get_transport

log = logging.getLogger("napari_telemetry")


@dataclass
class ExportReport:
    """What an export wrote; ``str()`` is what a user reads."""

    batches: int = 0
    records: int = 0
    problem: str | None = None  # nothing was exported, and why
    failed: bool = False  # the problem is an error (not "nothing is waiting")
    file: str = "FILE"

    def __str__(self) -> str:
        if self.problem:
            return f"Nothing was exported: {self.problem}."
        return (
            f"{self.batches} batch(es), {self.records} record(s) exported and handed over: this "
            "computer will not send them. Send the file from a connected computer with "
            f"`napari-telemetry send --file {self.file}`."
        )


def export(path: Path, *, overwrite: bool = False, today: date | None = None) -> ExportReport:
    """Write every pending batch to *path* and hand them over; nothing changes on a failure."""
    today = today or date.today()
    if path.exists() and not overwrite:
        why = f"{path.name} exists already (choose another name)"
        return ExportReport(problem=why, failed=True)
    level = _consent.effective_level().level
    try:
        with _uploader.upload_lock():
            report = _export(path, level, today)
    except _paths.LockTimeout:
        why = "another napari process is sending right now; try again"
        return ExportReport(problem=why, failed=True)
    except OSError as e:
        return ExportReport(problem=f"{e.strerror or type(e).__name__}", failed=True)
    report.file = str(path)
    return report


def _export(path: Path, level: Level, today: date) -> ExportReport:
    days: list[tuple[_store.PendingDay, Any]] = []
    for stream in level.streams():
        _store.drop_outside_window(stream, today)
        for day in _store.seal(stream, include_today=True, today=today):
            days.append((day, _store.build(day, _consent.judge_token)))
    envelopes = [e for _, built in days for e in built.envelopes]
    if not envelopes:
        return ExportReport(problem="nothing is waiting to be sent")
    _paths.write_atomic(path, (preview_json(envelopes) + "\n").encode())
    for day, built in days:  # the file is whole: from here on they are handed over
        with _store.locked():
            _store.bump_stats(stale_consent=built.stale, invalid_records=built.invalid)
        _store.finish(day, built.keep)
    for envelope in envelopes:
        try:
            _uploader.keep_copy(envelope)
        except OSError:  # the copy is the user's log only: the batches are handed over
            log.debug("no copy kept of an exported batch", exc_info=True)
    return ExportReport(len(envelopes), sum(len(e["records"]) for e in envelopes))


@dataclass
class FileSendReport:
    """What ``send --file`` did with each batch of the file."""

    stored: int = 0
    known: int = 0  # already at the collector (a file sent twice)
    refused: int = 0
    waiting: int = 0  # not sent now (no answer, a busy collector): send the file again
    lines: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every batch of the file is at the collector."""
        return not (self.refused or self.waiting)

    def __str__(self) -> str:
        head = (
            f"{self.stored} batch(es) stored, {self.known} already there, "
            f"{self.refused} refused, {self.waiting} not sent now"
        )
        tail = [] if not self.waiting else ["Nothing is lost: send the same file again later."]
        return "\n".join([head, *self.lines, *tail])


class CarryError(ValueError):
    """The file is not an export of napari-telemetry (nothing was sent)."""


def read_export(path: Path) -> list[dict[str, Any]]:
    """The batches of an export file, each checked against the wire schema; CarryError if not."""
    try:
        data = json.loads(path.read_bytes())
    except ValueError as e:
        raise CarryError(f"{path.name} is not JSON ({e})") from e
    if not isinstance(data, list) or not all(isinstance(b, dict) for b in data):
        raise CarryError(f"{path.name} is not a list of batches (`napari-telemetry export`)")
    for number, batch in enumerate(data, 1):
        try:
            BATCH_MODELS[Level(str(batch.get("level")))].model_validate(batch)
        except (ValueError, KeyError, ValidationError) as e:
            why = str(e).splitlines()[0]
            raise CarryError(f"batch {number} of {path.name} is not a valid batch ({why})") from e
    return data


def send_file(path: Path, transport: Transport | None = None) -> FileSendReport:
    """POST every batch of the export *path*; OSError or CarryError when it cannot be read."""
    batches, report = read_export(path), FileSendReport()
    refusal = _refused_here()
    for batch in batches:
        level, week, name = Level(batch["level"]), batch["week"], f"batch {batch['batch_id']}"
        url = _switches.batches_url(level)
        if refusal or url is None or not week_accepted(week, date.today()):
            why = refusal or ("no usable collector URL" if url is None else "")
            why = why or f"its week {week} is outside the collector's window (60 days)"
            report.refused += 1
            report.lines.append(f"{name} ({level.value}): not sent: {why}")
            continue
        _send_one(transport or get_transport(), url, batch, name, report)
    return report


def _refused_here() -> str | None:
    """Why this computer sends nothing at all (a switch or a policy), or None."""
    if _switches.debug():
        return "NAPARI_TELEMETRY_DEBUG is set here"
    decision = _consent.effective_level()
    if decision.locked and decision.level is Level.NONE:
        return f"telemetry is switched off here ({decision.reason})"
    return None


def _send_one(
    transport: Transport, url: str, batch: dict[str, Any], name: str, report: FileSendReport
) -> None:
    try:
        response = _uploader.post(transport, url, batch, _uploader.TIMEOUT)
    except TransportError as e:
        report.waiting += 1
        report.lines.append(f"{name} ({batch['level']}): not sent now: {e}")
        return
    status = response.status
    if status == 200:  # the collector had it: a true retry of the same batch
        report.known += 1
    elif 200 <= status < 300:
        report.stored += 1
    elif 400 <= status < 500 and status not in (408, 429):
        report.refused += 1
        why = refusal_words(response.body)
        report.lines.append(f"{name} ({batch['level']}): refused (HTTP {status}): {why}")
    else:
        report.waiting += 1
        report.lines.append(f"{name} ({batch['level']}): not sent now (HTTP {status})")


def refusal_words(body: bytes) -> str:
    """The collector's reason for a refusal (its ``detail``), in one line."""
    try:
        detail = json.loads(body)["detail"]
    except (ValueError, KeyError, TypeError):
        return "no reason given"
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for issue in detail:
            if isinstance(issue, dict):
                where = ".".join(str(p) for p in issue.get("loc", ()) if p != "body")
                parts.append(f"{where}: {issue.get('msg', '')}" if where else issue.get("msg"))
        return "; ".join(str(p) for p in parts) or "no reason given"
    return "no reason given"
