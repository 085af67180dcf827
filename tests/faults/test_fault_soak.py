"""The soak, short: a real napari (telemetry at ``full``) driven for a minute on its own event
loop, layers of every kind in and out, commands, a *Send now* every 15 s against the real
collector. After a warm-up the process's memory stays flat, pending files stay small, and no
thread or file handle is left behind; every layer napari made is counted once at the collector.
The long variant (10 minutes, against the same session with telemetry off) is
``benchmarks/bench_soak.py``; its figures are in docs/reliability.md."""

from __future__ import annotations

import os
from typing import Any

import pytest

from e2e.e2e_support import require

from .napari_sessions import NapariSession, site
from .napari_soak import after_warmup

SECONDS, EVERY = 60.0, 4.0
MEMORY_GROWTH_KIB = 5 * 1024  # the bound: at most 5 MB after warm-up
PENDING_BOUND = 64 * 1024  # records are counts per key: a few KiB for this whole minute
# serial: it measures time on napari's GUI thread, so it runs alone, after the parallel part.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.napari,
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.serial,
]


def soak(session: NapariSession, seconds: float, *, telemetry: bool = True) -> dict[str, Any]:
    """Drive *session* for *seconds*; its answer (samples every ``EVERY`` s, counts)."""
    return session.ask(
        "soak",
        step=f"soak ({seconds:.0f} s)",
        timeout=seconds + 120,
        seconds=seconds,
        every=EVERY,
        send_every=15.0,
        telemetry=telemetry,
    )


def _telemetry_kind(files: list[str]) -> list[str]:
    """The descriptors telemetry could leave open: sockets and files, not Qt's event plumbing.

    napari (Qt, vispy) opens event file descriptors and pipes of its own as it goes (seen in
    the benchmark with telemetry off), which would make the count move without telemetry.
    """
    return [f for f in files if f == "socket" or f.startswith("/")]


def test_a_minute_of_work_leaves_memory_threads_and_files_flat(tmp_path: Any) -> None:
    require(bool(os.environ.get("DISPLAY")), "no DISPLAY (run under Xvfb: scripts/dev.py test)")
    with (
        site(tmp_path, tmp_path / "telemetry") as running,
        NapariSession(running.world, tmp_path / "napari.log") as napari,
    ):
        result = soak(napari, SECONDS)
        napari.ask("send", step="send after the soak")
        world = running.world
        counted = int(world.one("SELECT COALESCE(SUM(count), 0) FROM layer_records"))
    print("\nsoak samples (t s, steps, RSS KiB, threads, fds, pending bytes):")
    for s in result["samples"]:
        print(
            "  {t:6.1f} {steps:4d} {rss_kib:8d} {threads:3d} {fds:4d} {pending_bytes:7d}".format(
                **s
            )
        )
    warm = after_warmup(result["samples"])
    assert len(warm) >= 3, result["samples"]  # some work after the warm-up
    first, last = warm[0], warm[-1]
    assert result["sends"] >= 3, result
    peak = max(s["rss_kib"] for s in warm)  # while working, not only once the layers are closed
    assert peak - first["rss_kib"] <= MEMORY_GROWTH_KIB, warm
    assert last["rss_kib"] - first["rss_kib"] <= MEMORY_GROWTH_KIB, warm
    assert max(s["pending_bytes"] for s in result["samples"]) <= PENDING_BOUND, result["samples"]
    # Paused after the warm-up and at the end (sends and flushes done): nothing more open.
    warmed, end = result["quiet"]
    assert end["steps"] > warmed["steps"]
    assert len(end["threads"]) <= len(warmed["threads"]), result["quiet"]
    assert len(_telemetry_kind(end["files"])) <= len(_telemetry_kind(warmed["files"])), warmed
    assert counted == result["layers"]  # each layer napari made, once
    assert world.sent_copies() == world.stored_batches()
