"""An in-memory rate limiter that never keeps a client address, not even hashed on disk."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import os
import threading
import time
from collections.abc import Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

_MAX_SOURCES = 100_000  # bound memory under a flood of distinct addresses


class RateLimiter:
    """Fixed-window request counters keyed by a salted digest of the client address.

    The salt is random, lives only in memory and changes with every window, so the counters
    cannot be linked to an address or across windows, and nothing is ever written anywhere.
    """

    def __init__(
        self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[bytes, int] = {}
        self._salt = b""
        self._ends = -math.inf

    def hit(self, source: str, cost: int = 1) -> int | None:
        """Count *cost* for *source*; the seconds to wait when over the limit, else None."""
        now = self._clock()
        with self._lock:
            if now >= self._ends:
                self._counts.clear()
                self._salt = os.urandom(16)
                self._ends = now + self.window
            key = hashlib.blake2b(source.encode(), key=self._salt, digest_size=16).digest()
            if key not in self._counts and len(self._counts) >= _MAX_SOURCES:
                return None
            count = self._counts[key] = self._counts.get(key, 0) + cost
            if count > self.limit:
                return max(1, math.ceil(self._ends - now))
        return None


def client_key(scope: Scope) -> str:
    """The rate-limit key of a request's client: its address, or its /64 for IPv6.

    ``scope["client"]`` is the peer, or the address a trusted proxy forwarded (uvicorn's
    ``forwarded_allow_ips``). One IPv6 subscriber gets a whole /64, so the full address would
    give every request of a flood a fresh counter.
    """
    client = scope.get("client")
    host = client[0] if client else "-"
    if ":" not in host:
        return host
    try:
        address = ipaddress.IPv6Address(host)
    except ValueError:
        return host
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return f"{int(address) >> 64:x}::/64"


def too_many(wait: int) -> JSONResponse:
    """429 with ``Retry-After: wait``."""
    return JSONResponse({"detail": "too many requests"}, 429, headers={"Retry-After": str(wait)})


class RateLimitMiddleware:
    """Answer 429 with Retry-After to a client address over its limit, before reading the body."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            wait = self.limiter.hit(client_key(scope))
            if wait is not None:
                await too_many(wait)(scope, receive, send)
                return
        await self.app(scope, receive, send)
