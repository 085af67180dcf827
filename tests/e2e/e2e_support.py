"""Real processes for the end-to-end tests: the collector, and a local copy of the plugin index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

import pytest

BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from demo import INDEX, IndexServer, free_port  # noqa: E402  (the demo's own pieces, tested here)

__all__ = [
    "BIN",
    "INDEX",
    "Collector",
    "IndexServer",
    "dashboard_text",
    "free_port",
    "other_installs",
    "require",
]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


def require(condition: bool, reason: str) -> None:
    """Skip without *condition*; fail instead where everything must run (CI)."""
    if condition:
        return
    if os.environ.get("NAPARI_TELEMETRY_REQUIRE_ALL"):
        pytest.fail(f"required for this run: {reason}")
    pytest.skip(reason)


class Collector:
    """`napari-telemetry-server serve` as a process on a free port with a fresh SQLite file."""

    def __init__(
        self, folder: Path, plugin_index: Path, bindir: Path = BIN, *options: str
    ) -> None:
        if not plugin_index.is_file():  # the collector would only warn, and name no plugin
            raise FileNotFoundError(f"no plugin index file at {plugin_index}")
        folder.mkdir(parents=True, exist_ok=True)
        self.db = folder / "raw.db"
        self.port, self.metrics_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._cmd = [str(bindir / "napari-telemetry-server"), "serve", "--host", "127.0.0.1"]
        self._cmd += ["--port", str(self.port), "--db", str(self.db)]
        self._cmd += ["--metrics-port", str(self.metrics_port)]
        self._cmd += ["--log-dir", str(folder / "logs"), "--plugin-index", str(plugin_index)]
        self._cmd += options
        self._log = folder / "stdout.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Collector:
        with self._log.open("wb") as out:
            self._proc = subprocess.Popen(self._cmd, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"collector exited: {self._log.read_text()}")
            try:
                self.health()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"collector did not start: {self._log.read_text()}")

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def health(self) -> dict[str, object]:
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def requests(self) -> int:
        """Requests the collector received (its operators' counters; health checks excepted)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        lines = [
            line
            for line in text.splitlines()
            if line.startswith("napari_telemetry_requests_total")
        ]
        return int(sum(float(line.rsplit(" ", 1)[1]) for line in lines))


def other_installs(
    collector: Collector, week: str, n: int, records: dict[str, list[dict[str, object]]]
) -> None:
    """*n* other installs of *week* over HTTP, each sending *records* on each level's stream.

    One session alone is never published (differential privacy hides it); the tests add
    installs that share some of what it reported, so that it has company to be counted with.
    """
    import uuid

    for _ in range(n):
        user = uuid.uuid4().hex
        for level, recs in records.items():
            body = {
                "schema_version": 1, "batch_id": str(uuid.uuid4()), "level": level,
                "user_id": user, "week": week, "first_report": False, "install_age": "month",
                "client_version": "0.1.0", "records": recs,
            }  # fmt: skip
            request = urllib.request.Request(
                f"{collector.url}/v1/{level}/batches", data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"}, method="POST",
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 201


def dashboard_text(index: Path, fragment: str = "") -> str:
    """Everything the dashboard shows (text and chart labels) once its charts have rendered;
    *fragment* such as ``#plugin=NAME`` opens a plugin's page."""
    require(Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(index.as_uri() + fragment)
            page.wait_for_selector("body[data-rendered=true]", timeout=30_000)
            text = str(page.inner_text("body")) + str(page.content())
        finally:
            browser.close()
    assert errors == []
    return text
