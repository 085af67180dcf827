"""An in-memory rate limiter that never keeps a client address, not even hashed on disk."""

from __future__ import annotations

import hashlib
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
        self.received = 0  # requests seen since start, health checks excepted (see /healthz)

    def hit(self, source: str) -> int | None:
        """Count one request from *source*; seconds to wait when over the limit, else None."""
        now = self._clock()
        with self._lock:
            if now >= self._ends:
                self._counts.clear()
                self._salt = os.urandom(16)
                self._ends = now + self.window
            key = hashlib.blake2b(source.encode(), key=self._salt, digest_size=16).digest()
            if key not in self._counts and len(self._counts) >= _MAX_SOURCES:
                return None
            count = self._counts[key] = self._counts.get(key, 0) + 1
            if count > self.limit:
                return max(1, math.ceil(self._ends - now))
        return None


class RateLimitMiddleware:
    """Answer 429 with Retry-After to a client address over its limit, before reading the body."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/healthz":
            self.limiter.received += 1  # a count only: nothing about who sent it
        if scope["type"] == "http" and scope["method"] == "POST":
            client = scope.get("client")
            wait = self.limiter.hit(client[0] if client else "-")
            if wait is not None:
                headers = {"Retry-After": str(wait)}
                reply = JSONResponse({"detail": "too many requests"}, 429, headers=headers)
                await reply(scope, receive, send)
                return
        await self.app(scope, receive, send)
