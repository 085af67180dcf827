"""The demo: a year of synthetic raw batches through the real storage, aggregated and published.

``Synth`` makes deterministic, realistic batches (real wire models, so they pass the same
validation and storage as an upload); ``seed`` stores them, ``sign_demo_collection`` signs the
collection manifest approving the demo plugin's counters, ``run_demo`` seeds, aggregates and
publishes into one folder. The tests and benchmarks use the same data.
"""

from __future__ import annotations

from ._data import COUNTER_PLUGIN, DemoShape, Synth, make_batch
from ._run import DemoResult, run_demo, seed, sign_demo_collection

__all__ = [
    "COUNTER_PLUGIN",
    "DemoResult",
    "DemoShape",
    "Synth",
    "make_batch",
    "run_demo",
    "seed",
    "sign_demo_collection",
]
