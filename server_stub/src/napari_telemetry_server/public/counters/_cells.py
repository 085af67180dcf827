"""Plugins' counters as released cells: their keys, each week's public list, the bound per id.

A *cell* is one (plugin, counter, label) of the collection manifest; its released count is the
number of weekly ids that counted it in the week (each id once per cell, whatever its count).
Which cells a week releases is the list the manifests in force that week approve
(``collection.Approvals``): public, fixed before any data is read, and released in full, zeros
included, so which cells exist never depends on who counted what.

Before any noise, ``CellCounting`` keeps at most ``max_counters`` (plugin, counter) pairs of an
id (the most counted, ties broken by a digest keyed by the id, as every other table does) and at
most ``max_counter_labels`` labels in each: an id changes at most ``values_per_id`` cells by one.
"""

from __future__ import annotations

from collections import Counter

from napari_telemetry_server.collection import Approvals
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.public._release_dims import Bounded, heaviest

CELLS = "counters.cell"  # the week's query
WINDOW_CELLS = "counter_windows.cell"  # the quarter's
Cell = tuple[str, str, str]  # (plugin, counter, label); label "" for a counter without labels


def key(plugin: str, counter: str, label: str) -> str:
    """A cell's key in a release (``"napari-cellseg models cyto"``; no name holds a space)."""
    return f"{plugin} {counter} {label}"


def parts(cell: str) -> Cell:
    """The (plugin, counter, label) of a cell's key."""
    plugin, counter, label = cell.split(" ", 2)
    return plugin, counter, label


def listed(approvals: Approvals | None, week: str) -> list[str]:
    """The cells *week* releases: every one a manifest in force during it approved."""
    if approvals is None:
        return []
    return sorted(key(*cell) for cell in approvals.approved(week))


def values_per_id(settings: ReleaseSettings) -> int:
    """How many cells one weekly id may add one to (its L0 bound)."""
    return settings.max_counters * settings.max_counter_labels


class CellCounting:
    """The week's bounded counts of cells, fed one weekly id at a time (as ``Counting``)."""

    def __init__(self, pairs: int, labels: int) -> None:
        self.pairs, self.labels = pairs, labels
        self.out = Bounded(Counter(), Counter())

    def add(self, user_id: str, values: dict[str, int]) -> None:
        """*values*: the id's count per cell in the week; each kept cell counts the id once."""
        by_pair: dict[str, dict[str, int]] = {}
        for cell, count in values.items():
            plugin, counter, _ = parts(cell)
            by_pair.setdefault(f"{plugin} {counter}", {})[cell] = count
        totals = {pair: sum(cells.values()) for pair, cells in by_pair.items()}
        kept = heaviest(user_id, totals, self.pairs)
        clipped = len(kept) < len(totals)
        for pair, _ in kept:
            cells = by_pair[pair]
            clipped |= len(cells) > self.labels
            for cell, _ in heaviest(user_id, cells, self.labels):
                self.out.ids[cell] += 1
        self.out.clipped_ids += clipped
