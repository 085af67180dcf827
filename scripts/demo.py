"""The whole system on this machine: collector, napari with the plugin, then the dashboard.

Run through ``python3 scripts/dev.py run`` (which sets up .venv first). Everything lives in
``.demo/`` (its own ``NAPARI_TELEMETRY_DIR``, so your real consent and ids are untouched):

1. the collector on 127.0.0.1 with an embedded SQLite database, first filled with a year of
   synthetic installs (``napari-telemetry-server demo``) whose finished weeks are released with
   differential privacy, as a real collector's would be;
2. napari with the plugin pointed at it: a real window where there is a display (the consent
   dialog asks you first), otherwise a short scripted session (``scripts/demo_session.py``) with
   consent given at ``full`` by the CLI;
3. when napari closes: send, aggregate, publish, and serve the dashboard until Ctrl-C. Your own
   session is stored by the collector for the current week, which is never published: it is
   released, with noise and together with everyone else's, once the week is over (that is the
   point of differential privacy: no single session can be seen on the dashboard).
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
INDEX = ROOT / "tests" / "napari_glue" / "data" / "extended_summary.json"


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
        if not index.is_file():  # served as a 404, it would only show up as no plugin named
            raise FileNotFoundError(f"no plugin index file at {index}")
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


def your_session(raw_db: Path, env: dict[str, str]) -> str:
    """Where this session's batches are now, in a sentence (read from the collector's rows)."""
    import re
    import sqlite3
    from contextlib import closing
    from datetime import date, timedelta

    from napari_telemetry.schema import iso_week

    week = iso_week(date.today())
    ids = subprocess.run([str(BIN / "napari-telemetry"), "ids"], env=env, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    mine = re.findall(rf"{week}\s+([0-9a-f]{{32}})", ids)
    with closing(sqlite3.connect(raw_db)) as conn:
        (stored,) = (
            conn.execute(
                "SELECT count(*) FROM batches WHERE week = ? AND user_id = ?", (week, *mine[:1])
            ).fetchone()
            if mine
            else (0,)
        )
    monday = date.fromisocalendar(*date.today().isocalendar()[:2], 1)
    release = monday + timedelta(days=7 + 3)
    return (f"your session: {stored} batch(es) of {week} stored by the collector; that week is "
            f"released on {release} or later, with noise, together with everyone else's, and "
            "never before it is over")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=ROOT / ".demo", help="demo folder")
    parser.add_argument("--fresh", action="store_true", help="start from an empty demo folder")
    parser.add_argument("--headless", action="store_true", help="scripted session, no window")
    parser.add_argument("--no-serve", action="store_true", help="publish, then stop")
    parser.add_argument("--weeks", type=int, default=52, help="weeks of synthetic history")
    args = parser.parse_args(argv)
    demo: Path = args.dir.resolve()
    if args.fresh and demo.exists():
        shutil.rmtree(demo)
    demo.mkdir(parents=True, exist_ok=True)
    headless = args.headless or bool(os.environ.get("NAPARI_TELEMETRY_DEMO_HEADLESS"))
    port = free_port()
    collector = demo / "collector"  # what `napari-telemetry-server demo` seeds
    raw_db, agg_db, site = collector / "raw.sqlite", collector / "aggregates.sqlite", demo / "site"
    env = {
        **os.environ,
        "NAPARI_TELEMETRY_DIR": str(demo / "client"),
        "NAPARI_TELEMETRY_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("DO_NOT_TRACK", None)
    env.pop("NAPARI_TELEMETRY", None)
    server = BIN / "napari-telemetry-server"
    if not raw_db.exists():
        log(f"seeding {args.weeks} weeks of synthetic installs (released as a collector would)")
        step([str(server), "demo", "--dir", str(collector), "--weeks", str(args.weeks),
              "--no-serve"], env)  # fmt: skip
    serve = [str(server), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(raw_db)]
    serve += ["--plugin-index", str(INDEX), "--log-dir", str(demo / "logs")]
    log(f"collector on http://127.0.0.1:{port} (database {raw_db})")
    with background(serve, env, demo / "collector.log"), IndexServer(INDEX) as index_url:
        env["NAPARI_TELEMETRY_INDEX_URL"] = index_url
        wait_http(f"http://127.0.0.1:{port}/healthz")
        napari_session(env, headless)
        step([str(BIN / "napari-telemetry"), "send", "--now"], env)
    step([str(server), "aggregate", "--db", str(raw_db), "--out", str(agg_db)], env)
    step([str(server), "publish", "--aggregates", str(agg_db), "--out", str(site)], env)
    log(your_session(raw_db, env))
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
