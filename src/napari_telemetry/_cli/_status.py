"""The text of ``napari-telemetry status``."""

from __future__ import annotations

from napari_telemetry.core import telemetry


def status_lines() -> list[str]:
    """Level and reason, agreement, streams, pending data, problems."""
    status = telemetry.status()
    decision = status.decision
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
    for stream in status.streams:
        wait = stream.next_attempt
        when = (
            f"next attempt after {wait.astimezone():%Y-%m-%d %H:%M} (local time)"
            if wait
            else "sent when due"
        )
        lines.append(f"Stream {stream.level.value}: {stream.url} ({when})")
    lines.append(f"Pending records: {status.pending}")
    lines.append(f"Next send: {status.next_send}")
    if status.debug:
        lines.append("NAPARI_TELEMETRY_DEBUG is set: batches are logged, never sent.")
    if status.secret_problem:
        problem = status.secret_problem
        lines.append(f"Problem: {problem}; nothing is sent until `napari-telemetry forget`.")
    lines += [f"{what}: {n}" for what, n in status.counters]
    return lines
