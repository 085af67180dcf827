"""Each plugin's switch: whether this environment lets the plugin count, and what it agreed to.

One file per environment (``config/counters/<environment>.json``), as the consent record. A
switch turned on remembers the counters and labels it was turned on for, so that when the
operators approve a new counter or label of that plugin, only that plugin's switch asks again
(nothing of it is counted until then); a new description, a later expiry or a label taken away
asks nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from napari_telemetry.core import _paths

log = logging.getLogger("napari_telemetry")
_VERSION = 1
Agreed = Mapping[str, tuple[str, ...]]  # counter → the labels agreed to


@dataclass(frozen=True)
class Choice:
    """One plugin's switch in this environment."""

    on: bool
    agreed: Agreed = field(default_factory=dict)
    day: date | None = None


def load(env: str | None = None) -> dict[str, Choice]:
    """Every plugin's switch (an unreadable file holds none: every switch is off)."""
    data = _paths.read_state(_paths.counter_choices_file(env), version=_VERSION)
    plugins = data.get("plugins")
    choices = {}
    for plugin, raw in plugins.items() if isinstance(plugins, dict) else ():
        choice = _choice(raw)
        if choice is not None:
            choices[str(plugin)] = choice
    return choices


def _choice(raw: Any) -> Choice | None:
    try:
        agreed = {str(c): tuple(map(str, labels)) for c, labels in raw["agreed"].items()}
        day = date.fromisoformat(raw["day"]) if raw.get("day") else None
        return Choice(raw["on"] is True, agreed, day)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def save(plugin: str, choice: Choice) -> None:
    """Store *plugin*'s switch for this environment; OSError when it cannot be written."""
    path = _paths.counter_choices_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _paths.locked(path.with_name(f".{path.name}.lock"), timeout=2.0):
        choices = load()
        choices[plugin] = choice
        _paths.write_json(path, {"version": _VERSION, "plugins": _plain(choices)})


def _plain(choices: dict[str, Choice]) -> dict[str, Any]:
    return {
        plugin: {
            "on": c.on,
            "agreed": {name: list(labels) for name, labels in c.agreed.items()},
            "day": c.day.isoformat() if c.day else None,
        }
        for plugin, c in sorted(choices.items())
    }


def signature() -> tuple[int, int, int] | None:
    """What identifies the file as written (None: there is none): a change elsewhere shows."""
    try:
        st = _paths.counter_choices_file().stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
