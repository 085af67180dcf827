"""Counting for napari plugins: ``Counters``, and nothing a plugin's import has to pay for.

A plugin counts its declared counters with a ``Counters()`` made in its own package::

    try:
        from napari_telemetry.counters import Counters
    except ImportError:  # napari-telemetry is not installed: the same calls, doing nothing
        class Counters:
            def count(self, counter, label=""): pass
            def counts(self, counter, label=""): return lambda func: func

    counters = Counters()

The guide for plugin maintainers (``docs/plugin-counters.md``) says how to declare counters,
have them reviewed, and count.
"""

from ._handle import Counters

__all__ = ["Counters"]
