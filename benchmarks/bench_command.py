"""Cost of the command wrapper per call, against the bare app-model ``execute_command``.

Run: ``python benchmarks/bench_command.py``. Prints microseconds per call and the overhead,
measured in one run (no absolute targets: machines differ).
"""

from __future__ import annotations

import os
import tempfile
import timeit

os.environ["NAPARI_TELEMETRY_DIR"] = tempfile.mkdtemp(prefix="bench-telemetry-")
os.environ["NAPARI_TELEMETRY_URL"] = "http://127.0.0.1:9/{level}"
os.environ["NAPARI_TELEMETRY_INDEX_URL"] = "http://127.0.0.1:9/index"
os.environ.pop("DO_NOT_TRACK", None)

from app_model import Application

from napari_telemetry._napari import _commands, _runtime
from napari_telemetry.core import _consent, _store
from napari_telemetry.schema import Level

N = 50_000
ROUNDS = 15


def per_call(app: Application) -> float:
    """Microseconds per ``execute_command`` in one timing."""
    run = app.commands.execute_command
    return timeit.timeit(lambda: run("napari.bench"), number=N) / N * 1e6


def _set(app: Application, level: Level | None) -> None:
    _commands.unwrap(app.commands, "execute_command")
    if level is not None:
        _consent.record_consent(level)
        _store.get_recorder().set_level(level, _consent.current_token())
        _commands.wrap_execute_command(app.commands, _runtime._rt)


def main() -> None:
    """Interleave the three set-ups round by round and keep each one's best (a busy machine)."""
    app = Application("bench")
    app.commands.register_command("napari.bench", lambda: None, title="bench")
    setups = {"bare execute_command": None, "wrapped, level full": Level.FULL}
    setups["wrapped, level basic (dropped)"] = Level.BASIC
    best = dict.fromkeys(setups, float("inf"))
    for _ in range(ROUNDS):
        for name, level in setups.items():
            _set(app, level)
            best[name] = min(best[name], per_call(app))
    bare = best["bare execute_command"]
    for name, us in best.items():
        print(
            f"{name:32s} {us:6.2f} µs/call  overhead {us - bare:+5.2f} µs  ratio {us / bare:4.2f}"
        )
    Application.destroy("bench")


if __name__ == "__main__":
    main()
