"""Cost of a plugin's count on its own thread, against the recorder's own count, same run.

Run: ``python benchmarks/bench_counter.py``. A small plugin is written into a temporary site
folder (a dist-info with its ``napari.manifest`` entry point, ``napari.yaml`` and
``napari-telemetry.toml``), a manifest approving its counter is signed with a throwaway key the
client is told to trust, telemetry is at `full` and the plugin switched on. Then, in blocks of
calls (so the timer's own cost is spread out): the recorder's ``count`` (what napari's hooks
call), the plugin's ``counters.count("models", "cyto")`` (the handle's caller check, the gate's
lookup, the recorder), a call of a function decorated with ``@counters.counts``, against the
same function undecorated, and the count when the plugin is switched off, when telemetry is
off, and with the no-dependency fallback class.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

BLOCK = 200
BLOCKS = 2000
PLUGIN = "napari-bench-counter"
LATER = date.today() + timedelta(days=300)
MODULE = """
from napari_telemetry.counters import Counters

counters = Counters()


def count():
    counters.count("models", "cyto")


@counters.counts("runs")
def decorated():
    return 1


def bare():
    return 1


class Fallback:  # what a plugin uses when napari-telemetry is not installed
    def count(self, counter, label=""):
        pass


fallback = Fallback()


def count_fallback():
    fallback.count("models", "cyto")
"""
DECLARATION = f'''
plugin = "{PLUGIN}"
[counters.models]
description = "Which model a segmentation used, by its name."
labels = ["cyto", "nuclei"]
owner = "bench@example.org"
expires = {LATER}
data_category = "technical"
[counters.runs]
description = "How often the benchmark's function ran, whatever it did."
owner = "bench@example.org"
expires = {LATER}
data_category = "interaction"
'''


def per_call_ns(call: Callable[[], object]) -> list[float]:
    """Nanoseconds per call, one figure per block of BLOCK calls."""
    out = []
    timer = time.perf_counter_ns
    for _ in range(BLOCKS):
        start = timer()
        for _ in range(BLOCK):
            call()
        out.append((timer() - start) / BLOCK)
    return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def make_site(root: Path) -> None:
    package = root / "napari_bench_counter"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(MODULE)
    (package / "napari.yaml").write_text(f"name: {PLUGIN}\n")
    (package / "napari-telemetry.toml").write_text(DECLARATION)
    info = root / "napari_bench_counter-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PLUGIN}\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(
        f"[napari.manifest]\n{PLUGIN} = napari_bench_counter:napari.yaml\n"
    )


def approve(root: Path) -> dict[str, object]:
    """A manifest approving the plugin's counters, signed with a key the client trusts."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from napari_telemetry_server.keys import public_pem, signature

    key = Ed25519PrivateKey.generate()
    (root / "trusted.pem").write_bytes(public_pem(key))
    os.environ["NAPARI_TELEMETRY_COLLECTION_KEYS"] = str(root / "trusted.pem")
    counter = {"description": "Which model a segmentation used, by its name.",
               "labels": ["cyto"], "expires": str(LATER)}  # fmt: skip
    runs = {"description": "How often the benchmark's function ran, whatever it did.",
            "labels": [], "expires": str(LATER)}  # fmt: skip
    review = "https://github.com/napari/napari-telemetry-collection/pull/1"
    signed = {"type": "napari-telemetry-collection", "spec_version": 1, "version": 1,
              "issued": str(date.today()), "expires": str(LATER),
              "plugins": {PLUGIN: {"review": review,
                                   "counters": {"models": counter, "runs": runs}}}}  # fmt: skip
    return {"signed": signed, "signatures": [signature(signed, key)]}


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="nt-bench-counter-"))
    os.environ["NAPARI_TELEMETRY_DIR"] = str(root / "telemetry")
    make_site(root / "site")
    sys.path.insert(0, str(root / "site"))
    document = approve(root)

    from napari_telemetry.core import _paths, telemetry
    from napari_telemetry.counters import _door
    from napari_telemetry.schema import CommandKey, Level

    _paths.write_json(_paths.collection_file(),
                      {"version": 1, "fetched": str(date.today()), "highest": 1,
                       "document": json.loads(json.dumps(document))})  # fmt: skip
    telemetry.record_consent(Level.FULL)
    telemetry.set_plugin_counters(PLUGIN, True)
    plugin = importlib.import_module("napari_bench_counter")
    plugin.count()  # the first count loads the gate (on a thread of its own)
    while _door.gate is None:
        time.sleep(0.01)
    recorder = telemetry.recorder()
    key = CommandKey("napari.window.file.open_files_dialog", "napari")

    rows = [
        ("Recorder.count (baseline)", per_call_ns(lambda: recorder.count("command", key))),
        ("counters.count, switched on", per_call_ns(plugin.count)),
        ("bare function", per_call_ns(plugin.bare)),
        ("@counters.counts function", per_call_ns(plugin.decorated)),
    ]
    telemetry.set_plugin_counters(PLUGIN, False)
    rows.append(("counters.count, switched off", per_call_ns(plugin.count)))
    telemetry.record_consent(Level.NONE)
    rows.append(("counters.count, telemetry off", per_call_ns(plugin.count)))
    rows.append(("fallback class (not installed)", per_call_ns(plugin.count_fallback)))
    base = statistics.median(rows[0][1])
    bare = statistics.median(rows[2][1])
    print(f"{'call':32} {'median':>10} {'p99':>10} {'x Recorder.count':>17}")
    for name, values in rows:
        med = statistics.median(values)
        print(f"{name:32} {med / 1000:9.3f}µs {p99(values) / 1000:9.3f}µs {med / base:16.2f}x")
    decorated = statistics.median(rows[3][1]) - bare
    print(f"the decorator adds {decorated / 1000:.3f} µs to a call ({decorated / base:.2f}x)")


if __name__ == "__main__":
    main()
