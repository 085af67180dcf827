"""napari's resident memory and launch time with napari-telemetry active against without it.

Run under a display: ``DISPLAY=:99 LIBGL_ALWAYS_SOFTWARE=1 python benchmarks/bench_memory.py``.

Each launch is a fresh interpreter: ``napari.Viewer(show=False)``, then 4 s of napari's event loop
(telemetry starts at launch exactly as for a user: npe2's discovery, the queued start, the
indicator), then the process's VmRSS from ``/proc/self/status``, the telemetry threads alive and
whether the HTTP stack was imported.

"Without" is napari with the plugin **not installed**: a second virtual environment made here
whose site-packages are symbolic links to every entry of this one except napari-telemetry's (its
distribution metadata and its editable-install ``.pth``), so npe2 cannot discover it. Every other
package is the same file on disk. Launches alternate with and without, so a busy machine slows
both alike.

"With" is telemetry at ``full`` with nothing due (the normal launch): consent recorded, the public
plugin index cached, no pending data. Two more cases are printed: the same with a cached index
of realistic size (900 plugins, 14 versions each), and a launch whose index is due for its weekly
fetch (the HTTP stack is imported then; the fetch fails fast against a dead port).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 5
ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, sys, threading, time
t0 = time.perf_counter()
import napari
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication
viewer = napari.Viewer(show=False)
launch = time.perf_counter() - t0
app = QApplication.instance()
QTimer.singleShot(4000, app.quit)
app.exec()
rss = int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])
http = [m for m in sys.modules if m.split('.')[0] in
        ('requests', 'urllib3', 'charset_normalizer', 'idna', 'certifi', 'truststore')]
print('RESULT ' + json.dumps({
    'rss_kb': rss, 'launch_s': launch, 'http_modules': len(http),
    'threads': sorted(t.name for t in threading.enumerate() if 'telemetry' in t.name),
    'telemetry_modules': len([m for m in sys.modules if m.startswith('napari_telemetry')]),
}))
"""


def no_plugin_env(folder: Path) -> Path:
    """A venv that is this one without napari-telemetry (links, not copies); its python."""
    here = Path(sys.prefix)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    (source,) = (here / "lib").glob("python3*/site-packages")
    (target,) = (folder / "lib").glob("python3*/site-packages")
    for entry in source.iterdir():
        name = entry.name
        if name.startswith(("napari_telemetry", "_editable_impl_napari_telemetry")):
            continue
        if not (target / name).exists():
            (target / name).symlink_to(entry)
    return folder / "bin" / "python"


def plugin_index(path: Path, plugins: int, versions: int) -> None:
    """A cached public plugin index of *plugins* entries of *versions* versions each."""
    entries = {
        f"napari-plugin-{i:04d}": [f"{major}.{minor}.0" for major in range(3)
                                   for minor in range(versions // 3 + 1)][:versions]
        for i in range(plugins)
    }  # fmt: skip
    entries["napari-svg"] = ["0.2.0", "0.2.1"]
    data = {"version": 1, "fetched": time.strftime("%Y-%m-%d"), "plugins": entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def telemetry_dir(root: Path, name: str, index: tuple[int, int] | None) -> Path:
    folder = root / name
    env = {**os.environ, "NAPARI_TELEMETRY_DIR": str(folder)}
    cli = [sys.executable, "-m", "napari_telemetry", "enable", "--level", "full"]
    subprocess.run(cli, env=env, check=True, capture_output=True)
    if index is not None:
        plugin_index(folder / "cache" / "public_plugins.json", *index)
    return folder


def launch(python: Path, folder: Path | None) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST", "CI"}}
    env.update(NAPARI_TELEMETRY_URL="http://127.0.0.1:9/{level}",
               NAPARI_TELEMETRY_INDEX_URL="http://127.0.0.1:9/index")  # fmt: skip
    if folder is not None:
        env["NAPARI_TELEMETRY_DIR"] = str(folder)
    done = subprocess.run([str(python), "-c", PROBE], env=env, capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, float] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        bare = no_plugin_env(root / "no-plugin-venv")
        cases = {
            "with telemetry (test index)": telemetry_dir(root, "small", (6, 3)),
            "with telemetry (index of 900)": telemetry_dir(root, "large", (900, 14)),
            "with telemetry (index fetch due)": telemetry_dir(root, "due", None),
        }
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in ["without", *cases]}
        for _ in range(ROUNDS):
            runs["without"].append(launch(bare, None))
            for name, folder in cases.items():
                if "due" in name:  # never fetched (or a week old): this launch fetches it
                    (folder / "cache" / "public_plugins.json").unlink(missing_ok=True)
                runs[name].append(launch(Path(sys.executable), folder))
        base = statistics.median(r["rss_kb"] for r in runs["without"])
        base_t = statistics.median(r["launch_s"] for r in runs["without"])
        print(f"napari without the plugin: RSS median {base / 1024:.1f} MiB, "
              f"Viewer() {base_t * 1000:.0f} ms (n={ROUNDS})")  # fmt: skip
        for name in cases:
            rss = [r["rss_kb"] for r in runs[name]]
            t = statistics.median(r["launch_s"] for r in runs[name])
            last = runs[name][-1]
            print(
                f"{name:34} RSS +{(statistics.median(rss) - base) / 1024:5.2f} MiB "
                f"(runs {min(rss) / 1024:.1f}-{max(rss) / 1024:.1f} MiB), "
                f"launch ratio {t / base_t:.3f}, HTTP modules {last['http_modules']:.0f}, "
                f"telemetry threads after 4 s {last['threads']}"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
