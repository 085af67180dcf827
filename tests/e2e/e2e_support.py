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
from demo import IndexServer, free_port  # noqa: E402  (the demo's own pieces, tested here)

__all__ = ["Collector", "IndexServer", "require"]


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
        folder.mkdir(parents=True, exist_ok=True)
        self.db = folder / "raw.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._cmd = [str(bindir / "napari-telemetry-server"), "serve", "--host", "127.0.0.1"]
        self._cmd += ["--port", str(self.port), "--db", str(self.db)]
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
        """Requests the collector received (its own count; health checks not included)."""
        return int(self.health()["requests"])  # type: ignore[call-overload]
