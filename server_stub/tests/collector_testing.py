"""Helpers of the collector tests (a module of its own: test modules import it by name)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from napari_telemetry_server.collector import server_config


def unavailable(reason: str) -> NoReturn:
    """Skip for want of a system tool; fail in CI (NAPARI_TELEMETRY_REQUIRE_ALL), which has it."""
    if os.environ.get("NAPARI_TELEMETRY_REQUIRE_ALL"):
        pytest.fail(f"NAPARI_TELEMETRY_REQUIRE_ALL is set, but {reason}")
    pytest.skip(reason)


def dropped(sock: socket.socket, *, drip: bytes = b"", give_up: float = 60.0) -> bool:
    """Whether the server closes *sock* (sending *drip* a byte at a time meanwhile)."""
    end = time.monotonic() + give_up
    sock.settimeout(0.25)
    while time.monotonic() < end:
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            pass
        except ConnectionError:
            return True
        if drip:
            try:
                sock.sendall(drip[:1])
            except ConnectionError:
                return True
            drip = drip[1:] or b" "
    return False


def counters(url: str) -> dict[str, float]:
    """The operators' counters at *url* (Prometheus text), as ``{"name{label=value}": n}``."""
    from prometheus_client.parser import text_string_to_metric_families  # lazy: tests using it

    text = httpx.get(url, timeout=5).raise_for_status().text
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return out


def received(url: str) -> int:
    """Requests the collector counted (its operators' counters; health checks excepted)."""
    found = counters(url)
    return int(sum(n for k, n in found.items() if k.startswith("napari_telemetry_requests_total")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Clock:
    """A calendar day tests move by hand."""

    def __init__(self, day: Any) -> None:
        self.day = day

    def __call__(self) -> Any:
        return self.day


class LiveServer:
    """uvicorn serving *app* on a free port of 127.0.0.1, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._server = uvicorn.Server(server_config(app, host="127.0.0.1", port=0))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("test server failed to start")
            self._thread.join(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()


# Root ignores file modes; drop the capabilities that let it, so "read-only" means read-only.
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-fowner"] if os.geteuid() == 0 else []


class Process:
    """``napari-telemetry-server serve`` in a process of its own, as an operator runs it."""

    def __init__(
        self, args: list[str], folder: Path, env: dict[str, str], port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        given = args.index("--metrics-port") + 1 if "--metrics-port" in args else None
        self.metrics_url = f"http://127.0.0.1:{args[given]}/metrics" if given else None
        prefix = UNPRIVILEGED if shutil.which("setpriv") else []
        cmd = [*prefix, sys.executable, "-m", "napari_telemetry_server", "serve"]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), *args]
        self._out = (folder / "stdout.txt").open("ab")
        self.proc = subprocess.Popen(
            cmd, stdout=self._out, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code in (200, 503):
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError((folder / "stdout.txt").read_text())

    def stop(self) -> None:
        """Stop as Ctrl-C does (uvicorn's graceful shutdown)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(20)
        self._out.close()

    def kill(self) -> None:
        """``kill -9``: no shutdown, no last checkpoint."""
        self.proc.kill()
        self.proc.wait(20)
        self._out.close()
