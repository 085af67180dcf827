"""Telemetry levels, ordered from "nothing" to "everything"."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Level(StrEnum):
    """How much a user agreed to share; each level includes the ones below it."""

    NONE = "none"
    BASIC = "basic"
    MIDDLE = "middle"
    FULL = "full"

    @property
    def rank(self) -> int:
        """Position in the order none < basic < middle < full."""
        return _ORDER.index(self)

    def includes(self, other: Level) -> bool:
        """Whether a user at this level also sends *other*'s stream."""
        return other is not Level.NONE and other.rank <= self.rank

    def streams(self) -> tuple[Level, ...]:
        """The per-level streams (and endpoints) a user at this level sends."""
        return tuple(lv for lv in SENDING_LEVELS if self.includes(lv))

    @classmethod
    def parse(cls, value: str) -> Level:
        """Read a level name case-insensitively; raise ValueError naming the value."""
        try:
            return cls(value.strip().lower())
        except ValueError as e:
            names = ", ".join(lv.value for lv in cls)
            raise ValueError(f"unknown telemetry level {value!r}; expected one of {names}") from e


_ORDER = (Level.NONE, Level.BASIC, Level.MIDDLE, Level.FULL)
SENDING_LEVELS: tuple[Level, ...] = (Level.BASIC, Level.MIDDLE, Level.FULL)


class LevelWords(NamedTuple):
    """A sending level in a user's words, wherever it is summed up in one line."""

    adds: str  # the consent dialog's heading: what choosing it adds
    carries: str  # ``napari-telemetry endpoints``: what its stream carries


LEVEL_WORDS: dict[Level, LevelWords] = {
    Level.BASIC: LevelWords(
        "which napari, Python and operating system you use",
        "napari/Python/OS versions and launch counts",
    ),
    Level.MIDDLE: LevelWords(
        "adds which public plugins you have installed",
        "names and versions of installed public plugins",
    ),
    Level.FULL: LevelWords(
        "adds how often commands run, kinds of layers added, plugin counters you allow",
        "counts of commands run, of layers added by kind, and plugins' approved counters",
    ),
}
