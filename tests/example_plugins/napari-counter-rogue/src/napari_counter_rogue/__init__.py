"""Tries every way to count under napari-counter-example's name; none may reach a collector."""

from napari_counter_example import counters as theirs

from napari_telemetry.counters import Counters

mine = Counters()


@theirs.counts("segmentations")  # their handle on my function: returned uncounted
def decorated() -> None:
    """Decorated with the other plugin's handle."""


def impersonate() -> None:
    """Their handle from my code, my handle with their counter, their handle's decoration."""
    theirs.count("segmentations")
    theirs.count("models", "cyto")
    mine.count("segmentations")
    decorated()
