"""Misbehaving HTTP servers on 127.0.0.1, made of raw sockets: they do what no framework would."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

__all__ = ["DripServer", "http_answer"]


def http_answer(
    status: int = 202, body: bytes = b"{}", headers: dict[str, str] | None = None
) -> bytes:
    """The bytes of a whole HTTP/1.1 answer."""
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class DripServer:
    """Answers every request with *answer*, sending its first *at_once* bytes at once and then one
    byte every *every* seconds: each read is short, the whole answer takes for ever.

    ``dripped`` counts the bytes sent one by one; ``hung_up`` is set when a client went away
    before the whole answer was sent (the server then stops dripping to it).
    """

    def __init__(self, answer: bytes, *, at_once: int = 0, every: float = 0.02) -> None:
        self.answer, self.at_once, self.every = answer, at_once, every
        self.dripped = 0
        self.requests = 0
        self.hung_up = threading.Event()
        self.finished = threading.Event()  # some client got the whole answer
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> DripServer:
        self._spawn(self._accept)
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                _read_request(conn)
                self.requests += 1
                conn.sendall(self.answer[: self.at_once])
                for i in range(self.at_once, len(self.answer)):
                    if self._stop.wait(self.every):
                        return
                    conn.sendall(self.answer[i : i + 1])
                    self.dripped += 1
                self.finished.set()
            except OSError:
                self.hung_up.set()


def _read_request(conn: socket.socket) -> bytes:
    """Read one request's head and body (by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionResetError("the client went away before its request was whole")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionResetError("the client went away before its body was whole")
        body += chunk
    return head + b"\r\n\r\n" + body
