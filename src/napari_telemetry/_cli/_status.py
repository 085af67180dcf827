"""The text of ``napari-telemetry status``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from napari_telemetry.core import Stream, telemetry

STUCK = timedelta(days=7)  # sends failing this long: suggest carrying the data out


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
        if stream.failure:
            lines.append(f"  Last attempt failed: {stream.failure}")
    lines.append(f"Pending records: {status.pending}")
    lines += _stuck(status.streams)
    if status.storage_problem:
        lines.append(
            f"Problem: {status.storage_problem}. napari keeps counting in memory and writes "
            "when it can; nothing already on disk is lost. If this folder is on a shared or "
            "network file system, point NAPARI_TELEMETRY_DIR at a local folder "
            '(see the user guide, "Shared home folders").'
        )
    lines.append(f"Next send: {status.next_send}")
    if status.debug:
        lines.append("NAPARI_TELEMETRY_DEBUG is set: batches are logged, never sent.")
    if status.secret_problem:
        problem = status.secret_problem
        lines.append(f"Problem: {problem}; nothing is sent until `napari-telemetry forget`.")
    lines += [f"{what}: {n}" for what, n in status.counters]
    if status.plugin_switches:
        words = {"changed": "off, asks again"}
        states = "; ".join(f"{p} {words.get(state, state)}" for p, state in status.plugin_switches)
        lines.append(f"Plugin counters: {states}")
    return lines


def _stuck(streams: list[Stream]) -> list[str]:
    """The way out when sends have failed for a week: carry the data to a connected computer."""
    now = datetime.now(UTC)
    since = [
        s.failing_since for s in streams if s.failing_since and s.failing_since <= now - STUCK
    ]
    if not since:
        return []
    return [
        f"Sends have failed since {min(since):%Y-%m-%d}. If this computer cannot reach the "
        "collector, carry the data out: `napari-telemetry export FILE` here, then "
        "`napari-telemetry send --file FILE` on a connected computer "
        '(user guide, "Computers without internet").'
    ]
