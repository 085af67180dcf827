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
from pathlib import Path
from typing import Any

FAULTS = Path(__file__).resolve().parents[1] / "tests" / "faults"
sys.path.insert(0, str(FAULTS))
sys.path.insert(0, str(FAULTS.parent / "e2e"))
from napari_sessions import NapariSession, site  # noqa: E402
from napari_soak import after_warmup  # noqa: E402


def _soak(session: NapariSession, seconds: float, every: float, telemetry: bool) -> Any:
    return session.ask(
        "soak",
        step="soak",
        timeout=seconds + 300,
        seconds=seconds,
        every=every,
        send_every=30.0,
        telemetry=telemetry,
    )


def _growth(result: dict[str, Any]) -> dict[str, float]:
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
        "pending_max": max(s["pending_bytes"] for s in result["samples"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    args = parser.parse_args()
    seconds = args.minutes * 60
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        root = Path(tmp)
        with site(root, root / "telemetry") as running:
            for label, on in (("telemetry off", False), ("telemetry at full", True)):
                world = running.world
                if not on:  # the same user, with telemetry switched off for this session
                    world = type(world)(
                        {**world.env, "NAPARI_TELEMETRY": "0"}, world.db, world.data
                    )
                log = root / f"napari-{int(on)}.log"
                with NapariSession(world, log, wait=False) as napari:
                    napari.ask("ready", step="start", telemetry=on)
                    results[label] = _soak(napari, seconds, args.every, on)
                print(
                    f"{label}: {results[label]['layers']} layers, "
                    f"{results[label]['commands']} commands, {results[label]['sends']} sends"
                )
    off, on = results["telemetry off"]["samples"], results["telemetry at full"]["samples"]
    print("\n     t s   RSS MiB off   RSS MiB on   threads on   fds on   pending KiB on")
    for a, b in zip(off, on, strict=False):
        print(
            f"  {b['t']:6.0f}   {a['rss_kib'] / 1024:10.1f}   {b['rss_kib'] / 1024:10.1f}"
            f"   {b['threads']:10d}   {b['fds']:6d}   {b['pending_bytes'] / 1024:14.1f}"
        )
    print("\nafter the warm-up (every kind of layer made twice):")
    for label in results:
        g = _growth(results[label])
        print(
            f"  {label:18} from t = {g['from_t']:.0f} s: RSS growth {g['growth_mib']:+.1f} MiB"
            f" (peak {g['peak_over_mib']:+.1f}),"
            f" threads {g['threads']:+d}, fds {g['fds']:+d},"
            f" pending at most {g['pending_max'] / 1024:.1f} KiB"
        )
    g_on = _growth(results["telemetry at full"])["growth_mib"]
    g_off = _growth(results["telemetry off"])["growth_mib"]
    print(f"  telemetry's share of the growth: {g_on - g_off:+.1f} MiB (bound: 5 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
