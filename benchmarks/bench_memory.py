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

``--settle 35`` also reads the RSS 35 s after launch, once the recorder has written (5 s) and the
uploader has made its first check (30 s): what is only imported late is counted there.
``--against OTHER/src`` adds the test-index case with another checkout's plugin (its sources
ahead of this one's editable install on ``sys.path``), alternating with this one's, so a change
is measured against its base in the same run (``git archive main src napari.yaml | tar -x -C
/tmp/main``: the manifest links to the top-level file; then copy the generated
``src/napari_telemetry/_version.py`` beside it). The plugin's bytecode is compiled first, as pip
does when it installs a wheel; ``--no-bytecode`` makes every launch compile its sources.
"""

from __future__ import annotations

import argparse
import compileall
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
SRC = ROOT / "src"
PROBE = """
import json, sys, threading, time
t0 = time.perf_counter()
import napari
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication
viewer = napari.Viewer(show=False)
launch = time.perf_counter() - t0
app = QApplication.instance()
def vmrss():
    return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])
QTimer.singleShot(4000, app.quit)
app.exec()
rss = vmrss()
settle = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
if settle:  # later: after the recorder's first write (5 s) and the uploader's first check (30 s)
    QTimer.singleShot(int((settle - 4) * 1000), app.quit)
    app.exec()
http = [m for m in sys.modules if m.split('.')[0] in
        ('requests', 'urllib3', 'charset_normalizer', 'idna', 'certifi', 'truststore')]
print('RESULT ' + json.dumps({
    'rss_kb': rss, 'settled_kb': vmrss(), 'launch_s': launch, 'http_modules': len(http),
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
    data = {"version": 2, "fetched": time.strftime("%Y-%m-%d")}  # as core/_public_index keeps it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    lines = "".join(f"{name} {' '.join(v)}\n" for name, v in sorted(entries.items()))
    path.with_suffix(".txt").write_text(lines)


def telemetry_dir(
    root: Path, name: str, index: tuple[int, int] | None, source: Path | None = None
) -> Path:
    folder = root / name
    env = {**os.environ, "NAPARI_TELEMETRY_DIR": str(folder)}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    cli = [sys.executable, "-m", "napari_telemetry", "enable", "--level", "full"]
    subprocess.run(cli, env=env, check=True, capture_output=True)
    if index is not None:
        plugin_index(folder / "cache" / "public_plugins.json", *index)
    return folder


def launch(
    python: Path, folder: Path | None, settle: float, source: Path | None = None
) -> dict[str, float]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTEST_CURRENT_TEST", "CI"}
    }
    env.update(NAPARI_TELEMETRY_URL="http://127.0.0.1:9/{level}",
               NAPARI_TELEMETRY_INDEX_URL="http://127.0.0.1:9/index")  # fmt: skip
    if folder is not None:
        env["NAPARI_TELEMETRY_DIR"] = str(folder)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # every launch finds the plugin's bytecode as prepared
    if source is not None:  # another checkout's plugin, ahead of this one's editable install
        env["PYTHONPATH"] = str(source)
    cmd = [str(python), "-c", PROBE, str(settle)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, float] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


def prepare_bytecode(sources: list[Path], compiled: bool) -> None:
    """The plugin's bytecode compiled, as pip does when it installs a wheel (or none at all).

    Every other package of both environments was installed by pip, with its bytecode; without
    the plugin's, each launch would compile its sources, whose transient memory stays in the
    process's RSS (about 1 MiB here).
    """
    for source in sources:
        if compiled:
            compileall.compile_dir(source / "napari_telemetry", quiet=1)
        else:
            for cache in source.glob("napari_telemetry/**/__pycache__"):
                shutil.rmtree(cache)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="launches per case")
    parser.add_argument(
        "--settle", type=float, default=0.0, metavar="S",
        help="also read the RSS S seconds after launch (35: after the first write and check)",
    )  # fmt: skip
    parser.add_argument(
        "--against", type=Path, metavar="SRC",
        help="also launch with the plugin's sources from SRC (another checkout's src/), "
        "alternating with this one's: a change measured against its base in the same run",
    )  # fmt: skip
    parser.add_argument("--only-test-index", action="store_true", help="skip the other cases")
    parser.add_argument(
        "--no-bytecode", action="store_true",
        help="launch the plugin without its compiled bytecode (each launch compiles it)",
    )  # fmt: skip
    return parser.parse_args()


def main() -> None:
    args = arguments()
    root = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        bare = no_plugin_env(root / "no-plugin-venv")
        cases: dict[str, tuple[Path, Path | None]] = {
            "with telemetry (test index)": (telemetry_dir(root, "small", (6, 3)), None),
        }
        if args.against is not None:  # both on PYTHONPATH: sys.path alike (it costs ~0.1 MiB)
            cases["with telemetry (test index)"] = (cases["with telemetry (test index)"][0], SRC)
            against = telemetry_dir(root, "against", (6, 3), args.against)
            cases["with SRC's telemetry (test index)"] = (against, args.against)
        if not args.only_test_index:
            cases["with telemetry (index of 900)"] = (
                telemetry_dir(root, "large", (900, 14)),
                None,
            )
            cases["with telemetry (index fetch due)"] = (telemetry_dir(root, "due", None), None)
        prepare_bytecode([SRC, *([args.against] if args.against else [])], not args.no_bytecode)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in ["without", *cases]}
        for _ in range(args.rounds):
            runs["without"].append(launch(bare, None, args.settle))
            for name, (folder, source) in cases.items():
                if "due" in name:  # never fetched (or a week old): this launch fetches it
                    (folder / "cache" / "public_plugins.json").unlink(missing_ok=True)
                runs[name].append(launch(Path(sys.executable), folder, args.settle, source))
        report(runs, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def report(runs: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    base = statistics.median(r["rss_kb"] for r in runs["without"])
    base_t = statistics.median(r["launch_s"] for r in runs["without"])
    print(f"napari without the plugin: RSS median {base / 1024:.1f} MiB, "
          f"Viewer() {base_t * 1000:.0f} ms (n={args.rounds})")  # fmt: skip
    for name, results in runs.items():
        if name == "without":
            continue
        rss = [r["rss_kb"] for r in results]
        t = statistics.median(r["launch_s"] for r in results)
        last = results[-1]
        print(
            f"{name:34} RSS +{(statistics.median(rss) - base) / 1024:5.2f} MiB "
            f"(runs {min(rss) / 1024:.1f}-{max(rss) / 1024:.1f} MiB), "
            f"launch ratio {t / base_t:.3f}, HTTP modules {last['http_modules']:.0f}, "
            f"telemetry threads at the end {last['threads']}"
        )
    if args.settle:
        settled = statistics.median(r["settled_kb"] for r in runs["without"])
        print(f"after {args.settle:g} s: napari without the plugin {settled / 1024:.1f} MiB")
        for name, results in runs.items():
            if name != "without":
                later = statistics.median(r["settled_kb"] for r in results)
                print(f"  {name:34} RSS +{(later - settled) / 1024:5.2f} MiB")


if __name__ == "__main__":
    main()
