"""Helpers of the collector tests (a module of its own: test modules import it by name)."""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI

from napari_telemetry_server._serve import server_config


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
