"""What is released, dimension by dimension, and the contribution bound enforced on each.

A *dimension* is one released count per value: weekly installs per OS, per plugin, per command
id… Closed dimensions have a fixed list of values, each released with noise (a value outside
the list counts as ``other``); open ones (plugin names, versions, command ids, OS releases, data
types) are released only for values whose noisy count clears the partition-selection threshold.

Before any noise, ``bound`` keeps at most ``per_id`` values of each weekly id (the heaviest by
launches or count, ties broken by a keyed digest so no value is favoured across ids) and clips a
released sum per value at ``clip``: that is the sensitivity the mechanisms are calibrated to.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ._release_config import ReleaseSettings

OTHER = "other"
SIZE_EDGES = (16, 20, 24, 28, 32, 36)  # size buckets (powers of two) shown as ≤ 64 KiB … ≤ 64 GiB


def _closed(values: tuple[str, ...]) -> Callable[[str], str]:
    allowed = frozenset(values)
    return lambda value: value if value in allowed else OTHER


def _size(value: str) -> str:
    """A size bucket (exponent) to the coarse bucket released: ``"19"`` → ``"20"``."""
    try:
        exp = int(value)
    except ValueError:
        return OTHER
    if exp < 0:
        return "-1"
    return next((str(edge) for edge in SIZE_EDGES if exp <= edge), OTHER)


def _same(value: str) -> str:
    return value


@dataclass(frozen=True)
class Dim:
    """One released dimension: where it goes, its values, its per-id bound."""

    name: str  # unique, e.g. "environment.os"
    group: str  # budget group (a key of ReleaseSettings.split)
    categories: tuple[str, ...] | None  # closed set, ``None`` for an open one
    bound_setting: str | None = None  # ReleaseSettings field giving per_id; None: one value
    canon: Callable[[str], str] = _same
    calls: bool = False  # also release the sum of counts, clipped at max_calls

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def dimension(self) -> str:
        return self.name.split(".", 1)[-1]

    def per_id(self, settings: ReleaseSettings) -> int:
        """How many values one weekly id may contribute to."""
        return 1 if self.bound_setting is None else int(getattr(settings, self.bound_setting))

    def canonical(self, value: str) -> str:
        """The released value for a raw one (closed sets: ``other`` outside the list)."""
        value = self.canon(value)
        if self.categories is not None and value not in self.categories:
            return OTHER
        return value


PYTHON_MINORS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15", OTHER)
LAYER_TYPES = ("Image", "Labels", "Points", "Shapes", "Surface", "Tracks", "Vectors", OTHER)
DTYPES = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128", "unknown", OTHER,
)  # fmt: skip
SIZES = ("-1", *(str(e) for e in SIZE_EDGES), OTHER)

DIMS: tuple[Dim, ...] = (
    Dim("installs.active", "installs", ("active",)),
    Dim("installs.new", "installs", ("new",)),
    Dim("environment.level", "environment", ("basic", "middle", "full")),
    Dim("environment.os", "environment", ("Linux", "macOS", "Windows", OTHER)),
    Dim("environment.arch", "environment", ("x86_64", "arm64", OTHER)),
    Dim("environment.install_age", "environment", ("week", "month", "half_year", "older")),
    Dim("environment.python_version", "environment", PYTHON_MINORS, "max_python_versions"),
    Dim("environment.napari_version", "environment", None, "max_napari_versions"),
    Dim("environment.os_release", "environment", None),
    Dim("plugins.plugin", "plugins", None, "max_plugins"),
    Dim("plugin_versions.version", "plugin_versions", None, "max_versions"),
    Dim("commands.command", "commands", None, "max_commands", calls=True),
    Dim("layers.layer_type", "layers", LAYER_TYPES, "max_layer_values"),
    Dim("layers.data_type", "layers", None, "max_layer_values"),
    Dim("layers.ndim", "layers", ("1", "2", "3", "4", "5", "6", OTHER), "max_layer_values"),
    Dim("layers.dtype", "layers", DTYPES, "max_layer_values"),
    Dim("layers.size_bucket", "layers", SIZES, "max_layer_values", canon=_size),
    Dim("layers.multiscale", "layers", ("multiscale", "single scale"), "max_layer_values"),
)
DIM_BY_NAME = {d.name: d for d in DIMS}
# The long window: plugin install-weeks, bounded exactly as the weekly plugin table.
WINDOW_DIM = Dim("plugin_windows.plugin", "window", None, "max_plugins")


@dataclass
class Bounded:
    """Exact counts after bounding: distinct ids per value, and the clipped sums."""

    ids: Counter[str]
    sums: Counter[str]
    clipped_ids: int = 0  # ids that had more values than the bound allows


class Counting:
    """One dimension's bounded counts in one week, fed one weekly id at a time.

    ``add`` takes everything one id reported in the dimension (raw value → weight: launches or
    a count, which decides what an id with too many values keeps); it keeps at most *per_id*
    values and, with *clip*, adds at most *clip* per value to the released sums.
    """

    def __init__(self, dim: Dim, per_id: int, clip: int | None = None) -> None:
        self.dim, self.per_id, self.clip = dim, per_id, clip
        self.out = Bounded(Counter(), Counter())
        self._same = dim.categories is None and dim.canon is _same  # open sets keep raw values
        self._canon: dict[str, str] = {}

    def add(self, user_id: str, values: dict[str, int]) -> None:
        if not self._same:
            values = self._canonical(values)
        if len(values) > self.per_id:
            self.out.clipped_ids += 1
            values = dict(heaviest(user_id, values, self.per_id))
        ids = self.out.ids  # dict methods: this runs once per id and dimension
        for key in values:
            ids[key] = ids.get(key, 0) + 1
        if self.clip is not None:
            sums, clip = self.out.sums, self.clip
            for key, weight in values.items():
                sums[key] = sums.get(key, 0) + min(max(weight, 0), clip)

    def _canonical(self, values: dict[str, int]) -> dict[str, int]:
        out: dict[str, int] = {}
        for raw, weight in values.items():
            key = self._canon.get(raw)
            if key is None:
                key = self._canon[raw] = self.dim.canonical(raw)
            out[key] = out.get(key, 0) + weight
        return out


def bound(
    rows: Iterable[tuple[str, str, int]], dim: Dim, per_id: int, clip: int | None = None
) -> Bounded:
    """Count ``(user_id, raw value, weight)`` rows with at most *per_id* values per id."""
    by_id: dict[str, dict[str, int]] = {}
    for user_id, raw, weight in rows:
        values = by_id.setdefault(user_id, {})
        values[str(raw)] = values.get(str(raw), 0) + int(weight or 0)
    counting = Counting(dim, per_id, clip)
    for user_id, values in by_id.items():
        counting.add(user_id, values)
    return counting.out


def heaviest(user_id: str, values: dict[str, int], n: int) -> list[tuple[str, int]]:
    """The *n* heaviest of *values*, ties broken by a digest keyed by *user_id* (no value is
    favoured across ids)."""

    def order(item: tuple[str, int]) -> tuple[int, bytes]:
        digest = hashlib.blake2b(f"{user_id}\x1f{item[0]}".encode(), digest_size=8).digest()
        return (-item[1], digest)

    return sorted(values.items(), key=order)[:n]
