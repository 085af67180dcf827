"""The whole system on this machine: collector, napari with the plugin, then the dashboard.

Run through ``python3 scripts/dev.py run`` (which sets up .venv first). Everything lives in
``.demo/`` (its own ``NAPARI_TELEMETRY_DIR``, so your real consent and ids are untouched):

1. the collector on 127.0.0.1 with an embedded SQLite database;
2. napari with the plugin pointed at it: a real window where there is a display (the consent
   dialog asks you first), otherwise a short scripted session (``scripts/demo_session.py``) with
   consent given at ``full`` by the CLI;
3. when napari closes: send, aggregate (k = 1, it is your own data), publish, and serve the
   dashboard until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# A small copy of napari's public plugin index (the real one is fetched from the internet).
INDEX = ROOT / "tests" / "napari" / "data" / "extended_summary.json"


def log(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Wait until *url* answers 200, or raise naming it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url!r} did not answer within {timeout} s")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class IndexServer:
    """Serves the folder of a plugin index file on 127.0.0.1, so the client fetches it offline."""

    def __init__(self, index: Path) -> None:
        handler = functools.partial(_Quiet, directory=str(index.parent))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._name = index.name

    def __enter__(self) -> str:
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/{self._name}"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextlib.contextmanager
def background(cmd: list[str], env: dict[str, str], log_file: Path) -> Iterator[None]:
    """Run *cmd* for the duration of the block; stop it afterwards."""
    with log_file.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def step(cmd: list[str], env: dict[str, str]) -> None:
    log("$ " + " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd)))
    subprocess.run(cmd, env=env, check=True)


def napari_session(env: dict[str, str], headless: bool) -> None:
    """A real napari: interactive where there is a display, scripted otherwise."""
    if headless:
        log("no display of yours: consenting at 'full' by the CLI and running a scripted session")
        step([str(BIN / "napari-telemetry"), "enable", "--level", "full"], env)
        step([sys.executable, str(ROOT / "scripts" / "demo_session.py")], env)
    else:
        log("starting napari: answer the consent dialog, use napari, then close it")
        subprocess.run([sys.executable, "-m", "napari"], env=env, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=ROOT / ".demo", help="demo folder")
    parser.add_argument("--fresh", action="store_true", help="start from an empty demo folder")
    parser.add_argument("--headless", action="store_true", help="scripted session, no window")
    parser.add_argument("--no-serve", action="store_true", help="publish, then stop")
    args = parser.parse_args(argv)
    demo: Path = args.dir.resolve()
    if args.fresh and demo.exists():
        shutil.rmtree(demo)
    demo.mkdir(parents=True, exist_ok=True)
    headless = args.headless or bool(os.environ.get("NAPARI_TELEMETRY_DEMO_HEADLESS"))
    port = free_port()
    raw_db, agg_db, site = demo / "collector.db", demo / "aggregates.db", demo / "site"
    env = {
        **os.environ,
        "NAPARI_TELEMETRY_DIR": str(demo / "client"),
        "NAPARI_TELEMETRY_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("DO_NOT_TRACK", None)
    env.pop("NAPARI_TELEMETRY", None)
    server = BIN / "napari-telemetry-server"
    serve = [str(server), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(raw_db)]
    serve += ["--plugin-index", str(INDEX), "--log-dir", str(demo / "logs")]
    log(f"collector on http://127.0.0.1:{port} (database {raw_db})")
    with background(serve, env, demo / "collector.log"), IndexServer(INDEX) as index_url:
        env["NAPARI_TELEMETRY_INDEX_URL"] = index_url
        wait_http(f"http://127.0.0.1:{port}/healthz")
        napari_session(env, headless)
        step([str(BIN / "napari-telemetry"), "send", "--now"], env)
    step([str(server), "aggregate", "--db", str(raw_db), "--out", str(agg_db), "--k", "1"], env)
    step([str(server), "publish", "--aggregates", str(agg_db), "--out", str(site)], env)
    if args.no_serve:
        log(f"dashboard published in {site / 'index.html'}")
        return 0
    dash_port = free_port()
    dashboard = [str(server), "dashboard", "--dir", str(site), "--port", str(dash_port)]
    with background(dashboard, env, demo / "dashboard.log"):
        url = f"http://127.0.0.1:{dash_port}/"
        wait_http(url)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C from the first moment it is said
            log(f"dashboard: {url}   (Ctrl-C stops everything)")
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
