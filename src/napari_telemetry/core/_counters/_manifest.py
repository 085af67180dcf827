"""The signed collection manifest: fetched weekly in the background, cached, verified.

Fetched like the public plugin index (``_public_index``): at most weekly (daily after a
failure), on a daemon thread through the core transport, never when the index is switched off.
It comes from the `full` collector (``GET /v1/collection``), and only at `full`. A manifest is
used only when a trusted key signed it (``_keyring``), it has not expired, and its version is
not below the highest this computer trusted (the same version must have the same content): a
replayed old manifest cannot bring back a counter the operators removed. Whatever fails, the
last trusted manifest stays, until its own expiry.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from napari_telemetry.core import _paths, _switches, _weekly
from napari_telemetry.core._weekly import Fetcher
from napari_telemetry.schema import CollectionManifest, canonical_json, loads_unique

from ._keyring import Refused, trusted_keys, verify

log = logging.getLogger("napari_telemetry")
MAX_BYTES = 2_000_000
_CACHE_VERSION = 1
# A 404 is the collector's answer, not a failure: nothing is approved there, so nothing that an
# earlier manifest approved is counted any more (a collector older than counters refuses them).
NONE = "the collector serves none"
_lock = threading.Lock()


@dataclass(frozen=True)
class Trusted:
    """The manifest in use (None: none), and what to tell a user about it."""

    manifest: CollectionManifest | None
    note: str


def load(today: date | None = None) -> Trusted:
    """The cached manifest, verified again and in date; never raises."""
    today = today or date.today()
    cache = _read()
    note = cache.get("problem")
    try:
        manifest = verify(cache["document"], trusted_keys()).signed
    except (KeyError, Refused) as e:
        why = "none was fetched yet" if isinstance(e, KeyError) else str(e)
        return Trusted(None, f"no collection manifest in use: {note or why}")
    if manifest.expires <= today:
        return Trusted(None, f"the collection manifest expired on {manifest.expires}")
    words = f"collection manifest version {manifest.version} of {manifest.issued}"
    if note:
        words += f" (a newer one was refused: {note})"
    return Trusted(manifest, words)


def needs_refresh(today: date) -> bool:
    """Whether the cache is missing, a week old or expiring, and nothing failed today."""
    cache = _read()
    if _weekly.tried_lately(cache, today):
        return False
    trusted = load(today).manifest
    if trusted is None or trusted.expires - today <= _weekly.MAX_AGE:
        return True
    return _weekly.stale(cache, today)


def refresh(fetcher: Fetcher | None = None, today: date | None = None) -> Trusted | None:
    """Fetch the manifest now; None when switched off. A refused or failed fetch keeps the
    trusted one (returned, with the reason in its note)."""
    today = today or date.today()
    url = _switches.collection_url()
    keys = trusted_keys()
    if url is None or not keys:
        return None  # switched off, or nothing could be trusted: nothing is fetched
    with _lock:
        cache = _read()
        try:
            document = _fetch(fetcher or _weekly.default_fetcher(), url)
            if document is None:  # the collector has none (an older one, or none signed yet)
                _write({"fetched": str(today), "highest": cache.get("highest"), "problem": NONE})
                return load(today)
            version = _judge(verify(document, keys).signed, document, cache, today)
        except Exception as e:
            problem = str(e) if isinstance(e, Refused) else None
            log.debug("the collection manifest could not be used: %r", e)
            _write({**cache, "attempted": str(today), "problem": problem})
            return load(today)
        _write({"fetched": str(today), "highest": version, "document": document})
    return load(today)


def _fetch(fetcher: Fetcher, url: str) -> Any:
    """The document served at *url*; None for a 404 (the collector says it has none)."""
    body = _weekly.get(fetcher, url, "the collection manifest", max_bytes=MAX_BYTES)
    return None if body is None else loads_unique(body)


def _judge(new: CollectionManifest, document: Any, cache: dict[str, Any], today: date) -> int:
    """The version to remember once *new* passes TUF's checks against the cache; else Refused."""
    if new.expires <= today:
        raise Refused(f"it expired on {new.expires}")
    highest = cache.get("highest")
    if isinstance(highest, int) and new.version < highest:
        raise Refused(f"version {new.version} is older than version {highest}, trusted before")
    same = isinstance(highest, int) and new.version == highest
    old = cache.get("document")
    if same and isinstance(old, dict) and canonical_json(old) != canonical_json(document):
        raise Refused(f"version {new.version} came back with other content")
    return new.version


def _read() -> dict[str, Any]:
    return _paths.read_state(_paths.collection_file(), version=_CACHE_VERSION)


def _write(value: dict[str, Any]) -> None:
    try:
        _paths.write_json(_paths.collection_file(), {**value, "version": _CACHE_VERSION})
    except OSError:
        log.debug("the collection manifest could not be cached", exc_info=True)
