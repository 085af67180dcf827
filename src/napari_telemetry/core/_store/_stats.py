"""Counters of what was dropped, skipped or rejected, shown by ``napari-telemetry status``."""

from __future__ import annotations

from napari_telemetry.core import _paths

NAMES = {
    "dropped_oldest": "records dropped because pending data passed its size limit",
    "corrupt_lines": "corrupt or truncated pending lines skipped",
    "invalid_records": "records that did not match the schema, skipped",
    "stale_consent": "records dropped because their consent no longer holds",
    "rejected_batches": "batches the collector refused (not retried)",
    "outside_window": "records dropped because the collector no longer accepts their week "
    "(past its 60-day raw retention) or does not yet (a clock set ahead)",
    "counter_undeclared": "plugin counts dropped: the installed plugin does not declare that "
    "counter",
    "counter_unapproved": "plugin counts dropped: that counter is not approved in the "
    "collection manifest",
    "counter_expired": "plugin counts dropped: that counter expired",
    "counter_label": "plugin counts dropped: that label is not both declared and approved",
    "counter_foreign": "plugin counts refused: made by code that is not the counting plugin's",
}


def read() -> dict[str, int]:
    """All counters (zero when never counted or unreadable)."""
    data = _paths.read_state(_paths.stats_file())
    return {k: int(v) if isinstance(v, int) else 0 for k, v in ((n, data.get(n)) for n in NAMES)}


def bump(**counts: int) -> None:
    """Add to counters; the caller holds the pending lock."""
    counts = {k: v for k, v in counts.items() if v}
    if not counts:
        return
    current = read()
    for name, n in counts.items():
        current[name] = current.get(name, 0) + n
    _paths.write_json(_paths.stats_file(), current)


def in_words() -> list[tuple[str, int]]:
    """The counters that are not zero, each with what it counts (for ``status``)."""
    counts = read()
    return [(what, counts[name]) for name, what in NAMES.items() if counts[name]]
