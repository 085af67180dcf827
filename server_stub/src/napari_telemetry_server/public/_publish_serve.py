"""``dashboard``: serve a published site folder over HTTP (read-only, no access log).

Any static host does the same; this is for a quick look or a small public host that runs no
other web server. It never touches the raw database, so it can run on a different machine.
"""

from __future__ import annotations

import functools
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _Handler(SimpleHTTPRequestHandler):
    """Static files only; nothing is logged, so no client address is ever written anywhere."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".json": "application/json",
        ".csv": "text/csv; charset=utf-8",
        ".pem": "text/plain; charset=utf-8",
        ".js": "text/javascript",
    }

    def log_message(self, format: str, *args: Any) -> None:
        return

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "public, max-age=300")
        super().end_headers()

    def send_head(self) -> Any:
        try:
            return super().send_head()
        except ValueError:  # a NUL byte in the path: open() refuses it; no such file
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver prints a traceback *with the client address* to stderr (the journal);
        # a client that hangs up mid-file is routine, and nothing may record who it was.
        return


def make_server(folder: Path, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """A server for *folder* (which must hold a published ``index.html``); port 0 picks one."""
    if not (folder / "index.html").is_file():
        raise ValueError(f"{str(folder)!r} holds no published site; run `publish --out` first")
    handler = functools.partial(_Handler, directory=str(folder))
    return _Server((host, port), handler)
