"""Counting without depending on napari-telemetry (as docs/plugin-counters.md shows)."""

try:
    from napari_telemetry.counters import Counters
except ImportError:  # napari-telemetry is not installed: the same calls, doing nothing

    class Counters:  # type: ignore[no-redef]
        def count(self, counter, label=""):
            pass

        def counts(self, counter, label=""):
            return lambda func: func


counters = Counters()
