"""Misbehaving HTTP servers on 127.0.0.1, made of raw sockets: they do what no framework would."""

from __future__ import annotations

import http.client
import socket
import threading
from types import TracebackType
from urllib.parse import urlsplit

__all__ = ["DripServer", "FaultGate", "http_answer"]


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


class FaultGate:
    """The collector's front door for the fault matrix: passes requests through to the real
    collector, or misbehaves as ``mode`` says. Raw sockets, so it can do what no server would.

    Modes: ``pass``; ``down`` (nothing listens: connection refused); ``500``; ``429`` (with
    Retry-After); ``413``; ``garbage`` (bytes that are no HTTP answer); ``redirect`` (307 to
    *elsewhere*); ``close-after-store`` (passed through, then the connection closed without an
    answer); ``drip`` (passed through, the answer dripped a byte at a time).
    """

    def __init__(self, upstream: str, elsewhere: str) -> None:
        self._upstream = urlsplit(upstream)
        self.elsewhere = elsewhere
        self.seen: dict[str, int] = {}  # requests answered, by mode
        self.mode = "pass"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._port = 0
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def set(self, mode: str) -> None:
        """Switch the fault; ``down`` closes the port, any other mode opens it again."""
        if mode == "down" and self._listener is not None:
            self._listener.close()
            self._listener = None
        elif mode != "down" and self._listener is None:
            self._listen()
        self.mode = mode

    def close(self) -> None:
        self._stop.set()
        self.set("down")
        for thread in self._threads:
            thread.join(timeout=5)

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self._port))
        listener.listen(16)
        listener.settimeout(0.1)
        self._listener, self._port = listener, listener.getsockname()[1]
        self._spawn(self._accept, listener)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set() and listener is self._listener:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                request = _read_request(conn)
                mode = self.mode
                self.seen[mode] = self.seen.get(mode, 0) + 1
                self._answer(conn, mode, request)
            except OSError:
                pass

    def _answer(self, conn: socket.socket, mode: str, request: bytes) -> None:
        path = request.split(b" ", 2)[1].decode()
        canned = {
            "500": http_answer(500, b"<html>Internal Server Error</html>"),
            "429": http_answer(429, b"{}", {"Retry-After": "120"}),
            "413": http_answer(413, b'{"detail": "too large"}'),
            "garbage": b"\x00\xffSPDY?\r\n\x17\x03\x03 not HTTP at all\r\n\r\n",
            "redirect": http_answer(307, b"", {"Location": f"{self.elsewhere}{path}"}),
        }
        if mode in canned:
            conn.sendall(canned[mode])
            return
        answer = self._forward(request)
        if mode == "close-after-store":
            return  # stored upstream; the client hears nothing
        if mode == "drip":
            for i in range(len(answer)):
                if self._stop.wait(0.2):
                    return
                conn.sendall(answer[i : i + 1])
            return
        conn.sendall(answer)

    def _forward(self, request: bytes) -> bytes:
        """Send *request* to the real collector; its answer as bytes."""
        head, _, body = request.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        headers.pop("Host", None)
        upstream = http.client.HTTPConnection(self._upstream.hostname, self._upstream.port, 30)
        try:
            upstream.request(method, path, body, headers)
            reply = upstream.getresponse()
            data = reply.read()
            extra = {k: v for k, v in reply.getheaders() if k.lower() == "retry-after"}
            return http_answer(reply.status, data, extra)
        finally:
            upstream.close()
