"""A whole-request deadline: the sockets of a request are shut down when its time is up.

``requests`` and urllib3 bound each read, not the request: a server that drips one byte every few
seconds keeps every read short and can hold a request (and the upload lock) for days. While a
:class:`Deadline` is entered, every socket urllib3 opens on that thread is watched; when the time
is up a timer thread shuts the connection down, so the blocked read, write or TLS handshake
returns at once and the request fails. The watch keeps a duplicate of each socket
(``socket.dup``), so it never touches a socket number that was closed and reused meanwhile.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
from types import TracebackType
from typing import Any

_local = threading.local()


class Deadline:
    """``with Deadline(seconds) as d:``: requests made inside end by the deadline at the latest."""

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"a deadline needs a positive number of seconds, got {seconds!r}")
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.name = "napari-telemetry-deadline"
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        """Whether the time ran out (what a request got after that is not to be trusted)."""
        return self._expired

    def watch(self, sock: socket.socket) -> None:
        """Shut *sock*'s connection down at the deadline (at once when it already passed)."""
        twin = sock.dup()
        with self._lock:
            self._sockets.append(twin)
            if self._expired:
                _shut(twin)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            for twin in self._sockets:
                _shut(twin)

    def __enter__(self) -> Deadline:
        if getattr(_local, "deadline", None) is not None:
            raise RuntimeError("deadlines do not nest")
        _local.deadline = self
        self._timer.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        _local.deadline = None
        self._timer.cancel()
        self._timer.join()
        with self._lock:
            for twin in self._sockets:
                twin.close()
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


class _WatchedConnection:
    """Mixed into a urllib3 connection class: each new socket is watched by this thread's
    deadline (before TLS wraps it, so a dripped handshake is bounded too)."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        deadline: Deadline | None = getattr(_local, "deadline", None)
        if deadline is not None:
            deadline.watch(sock)
        return sock


@functools.cache
def _watched_pool(pool_cls: type[Any]) -> type[Any]:
    conn_cls = pool_cls.ConnectionCls
    watched = type(f"Watched{conn_cls.__name__}", (_WatchedConnection, conn_cls), {})
    return type(f"Watched{pool_cls.__name__}", (pool_cls,), {"ConnectionCls": watched})


def watch_pools(manager: Any) -> Any:
    """Make a urllib3 pool manager's new connections report their sockets; returns *manager*.

    Works for the plain, the proxy and the SOCKS managers alike: each keeps its own pool classes,
    only their connection class gains the watch.
    """
    classes = manager.pool_classes_by_scheme
    manager.pool_classes_by_scheme = {s: _watched_pool(c) for s, c in classes.items()}
    return manager
