"""The text of ``napari-telemetry status``."""

from __future__ import annotations

from napari_telemetry import _consent, _identity, _schedule, _switches, _uploader
from napari_telemetry._store import _stats, get_recorder


def status_lines() -> list[str]:
    """Level and reason, agreement, streams, pending data, problems."""
    decision = _consent.effective_level()
    lines = [f"Telemetry level: {decision.level.value}", f"Why: {decision.reason}."]
    if decision.agreed_level.value != "none" and decision.agreed_level is not decision.level:
        lines.append(f"You agreed to: {decision.agreed_level.value}")
    if decision.expires:
        lines.append(f"Agreement ends: {decision.expires.isoformat()}")
    if decision.locked:
        lines.append("This is decided by a switch or a locked site policy, not by you here.")
    if decision.changes:
        lines.append("Changed since you agreed:")
        lines += [f"  {line}" for line in decision.changes]
    uploader = _uploader.get_uploader()
    for level in decision.level.streams():
        wait = uploader.next_attempt(level)
        when = f"next attempt after {wait:%Y-%m-%d %H:%M} UTC" if wait else "sent when due"
        lines.append(f"Stream {level.value}: {_switches.batches_url(level)} ({when})")
    lines.append(f"Pending records: {get_recorder().pending_count()}")
    lines.append(f"Next send: {_schedule.next_send().text()}")
    if _switches.debug():
        lines.append("NAPARI_TELEMETRY_DEBUG is set: batches are logged, never sent.")
    problem = _identity.secret_problem()
    if problem:
        lines.append(f"Problem: {problem}; nothing is sent until `napari-telemetry forget`.")
    counts = _stats.read()
    lines += [f"{what}: {counts[name]}" for name, what in _stats.NAMES.items() if counts[name]]
    return lines
