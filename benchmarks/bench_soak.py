"""The soak, long: a real napari driven for 10 minutes with telemetry at ``full``, against the
same session with telemetry off, in one run.

Each session is a real napari window (run under a display: ``DISPLAY=:99 LIBGL_ALWAYS_SOFTWARE=1
python benchmarks/bench_soak.py``) driven on its own event loop by ``tests/faults/napari_soak.py``:
layers of five kinds in and out every 20 ms, a napari command every third step, and (with
telemetry) *Send now* every 30 s against the real collector. Both sessions are sampled every
10 s (resident memory after a full garbage collection, threads, file descriptors, pending bytes).
Printed: the curves side by side, and the growth after warm-up of each; the figure the issue
bounds (≤ 5 MB) is the growth with telemetry, and the one without tells how much of it is
napari's own. ``--minutes`` shortens it; the suite runs one minute (``test_fault_soak.py``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

FAULTS = Path(__file__).resolve().parents[1] / "tests" / "faults"
sys.path.insert(0, str(FAULTS.parent))  # tests/: the fault tests' package and its helpers
from faults.napari_sessions import NapariSession, site  # noqa: E402
from faults.napari_soak import after_warmup  # noqa: E402


def _soak(
    session: NapariSession, seconds: float, every: float, telemetry: bool, trace: bool = False
) -> Any:
    return session.ask(
        "soak",
        step="soak",
        timeout=seconds + 300,
        seconds=seconds,
        every=every,
        send_every=30.0,
        telemetry=telemetry,
        trace=trace,
    )


def _growth(result: dict[str, Any]) -> dict[str, Any]:
    warm = after_warmup(result["samples"])
    first, last = warm[0], warm[-1]
    peak = max(s["rss_kib"] for s in warm)
    warmed, end = result["quiet"]
    return {
        "from_t": first["t"],
        "growth_mib": (last["rss_kib"] - first["rss_kib"]) / 1024,
        "peak_over_mib": (peak - first["rss_kib"]) / 1024,
        "threads": len(end["threads"]) - len(warmed["threads"]),
        "fds": len(end["files"]) - len(warmed["files"]),
        "files": dict(Counter(end["files"]) - Counter(warmed["files"])),
        "pending_max": max(s["pending_bytes"] for s in result["samples"]),
    }


def _report(results: dict[str, Any]) -> None:
    labels = list(results)
    print("\n     t s" + "".join(f"   RSS MiB {label:>6}" for label in labels), end="")
    print()
    rows = zip(*(results[label]["samples"] for label in labels), strict=False)
    for row in rows:
        line = f"  {row[0]['t']:6.0f}" + "".join(f"   {s['rss_kib'] / 1024:14.1f}" for s in row)
        print(line)
    print("\nafter the warm-up (every kind of layer made twice):")
    for label, result in results.items():
        g = _growth(result)
        print(
            f"  {label:6} from t = {g['from_t']:.0f} s: RSS growth {g['growth_mib']:+.1f} MiB"
            f" (peak {g['peak_over_mib']:+.1f}), threads {g['threads']:+d}, files {g['fds']:+d}"
            f" {g['files']}, pending at most {g['pending_max'] / 1024:.1f} KiB"
        )
    if "traced" in results:
        t = results["traced"]["traced"]
        print(
            f"  traced: allocated after the warm-up and still held at the end:"
            f" {t['all_bytes'] / 1024:.1f} KiB in all; by napari-telemetry's own lines"
            f" {t['direct_bytes'] / 1024:.1f} KiB, with its code anywhere on the stack"
            f" {t['on_stack_bytes'] / 1024:.1f} KiB; by the telemetry line nearest them:"
        )
        for where, size in t["top"]:
            print(f"    {where}: {size / 1024:.1f} KiB")
    if "off" in results and "full" in results:
        on, off = _growth(results["full"]), _growth(results["off"])
        print(
            f"  full minus off: growth {on['growth_mib'] - off['growth_mib']:+.1f} MiB,"
            f" peak {on['peak_over_mib'] - off['peak_over_mib']:+.1f} MiB (bound: 5 MB)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument(
        "--sessions",
        default="off,full",
        help="which sessions, in order: off, full, traced (full with tracemalloc on, to count "
        "the bytes telemetry's own code holds; tracing slows napari and costs memory itself)",
    )
    args = parser.parse_args()
    seconds = args.minutes * 60
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        root = Path(tmp)
        with site(root, root / "telemetry") as running:
            for label in args.sessions.split(","):
                on = label != "off"
                world = running.world
                if not on:  # the same user, with telemetry switched off for this session
                    world = type(world)(
                        {**world.env, "NAPARI_TELEMETRY": "0"}, world.db, world.data
                    )
                with NapariSession(world, root / f"napari-{label}.log", wait=False) as napari:
                    napari.ask("ready", step="start", telemetry=on)
                    results[label] = _soak(napari, seconds, args.every, on, label == "traced")
                r = results[label]
                print(
                    f"{label}: {r['layers']} layers, {r['commands']} commands, {r['sends']} sends"
                )
    _report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
