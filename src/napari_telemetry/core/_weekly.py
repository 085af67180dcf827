"""What the plugin fetches weekly: napari's public plugin index and the signed collection manifest.

Both follow one schedule (at most weekly, once a day after a failed attempt), one GET through the
core transport with a hard timeout, and one kind of thread (a daemon, never napari's GUI thread).
Each cache records ``fetched`` (the last success) and ``attempted`` (the last failure) as ISO
dates. Nothing here imports the HTTP stack: the transport is imported only for a request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar

log = logging.getLogger("napari_telemetry")

MAX_AGE = timedelta(days=7)
RETRY_AFTER_FAILURE = timedelta(days=1)
TIMEOUT = 10.0
T = TypeVar("T")


class Response(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def body(self) -> bytes: ...


class Fetcher(Protocol):
    """The part of the core transport a weekly fetch needs: a GET with a hard timeout."""

    def get(self, url: str, headers: Mapping[str, str], timeout: float) -> Response: ...


def default_fetcher() -> Fetcher:
    from ._transport import get_transport  # HTTP: only for a request

    return get_transport()


def get(fetcher: Fetcher, url: str, what: str, *, max_bytes: int | None = None) -> bytes | None:
    """The JSON body served at *url*; None for a 404 (the server says it has none). Any other
    answer than a 2xx, or a body above *max_bytes*, raises ValueError naming *what*."""
    resp = fetcher.get(url, {"Accept": "application/json"}, TIMEOUT)
    if resp.status == 404:
        return None
    if not 200 <= resp.status < 300:
        raise ValueError(f"{what} answered HTTP {resp.status!r}")
    if max_bytes is not None and len(resp.body) > max_bytes:
        raise ValueError(f"{what} is too large")
    return resp.body


def tried_lately(cache: Mapping[str, Any], today: date) -> bool:
    """Whether a fetch failed less than a day ago (then none is tried before tomorrow)."""
    attempted = parse_date(cache.get("attempted"))
    return attempted is not None and today - attempted < RETRY_AFTER_FAILURE


def stale(cache: Mapping[str, Any], today: date) -> bool:
    """Whether the cache was never filled, or was filled a week ago or more."""
    fetched = parse_date(cache.get("fetched"))
    return fetched is None or today - fetched >= MAX_AGE


def parse_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def in_background(
    name: str, work: Callable[[], T | None], on_done: Callable[[T], None] | None
) -> threading.Thread:
    """Run *work* in a daemon thread; *on_done* gets its result unless None (off the GUI
    thread). Nothing raised there reaches anyone: it is logged at debug level."""

    def run() -> None:
        try:
            result = work()
            if result is not None and on_done is not None:
                on_done(result)
        except Exception:
            log.debug("%s failed", name, exc_info=True)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
