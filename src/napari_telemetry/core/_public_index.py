"""Which installed plugins may be named: a cached copy of napari's public plugin index.

The index is the npe2api ``extended_summary`` list the napari plugin dialog uses. It is fetched at
most weekly, in a background thread, through the core transport, and kept compact in
``cache_dir()``: ``public_plugins.txt`` (a line per plugin: its normalized name, then its
versions, separated by spaces) and ``public_plugins.json`` (when it was fetched or tried). A
launch reads only the lines of napari's installed plugins: parsing all of a real index (about a
thousand plugins with their versions) would leave about 1 MiB in napari's memory for good.
When it cannot be had, nothing is public: a plugin is never named from a guess.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

# The index's rules are the schema's, shared with the collector.
from napari_telemetry.schema import PublicIndex, normalized_name, parse_summary

from . import _paths, _switches, _weekly
from ._state import state
from ._weekly import Fetcher

log = logging.getLogger("napari_telemetry")

_CACHE_VERSION = 2  # 1 kept the versions in the JSON file: read again from the next fetch
_lock = threading.Lock()


def _cache_file() -> Path:
    return _paths.cache_dir() / "public_plugins.json"


def _lines_file() -> Path:
    return _paths.cache_dir() / "public_plugins.txt"


def _read_cache() -> dict[str, Any]:
    return _paths.read_state(_cache_file(), version=_CACHE_VERSION)


def load_cached() -> PublicIndex | None:
    """The index from the cache file, or None when there is none or it is unusable."""
    raw = _read_cache()
    try:
        fetched = date.fromisoformat(raw["fetched"])
        return PublicIndex(_read_lines(state.index_scope), fetched)
    except Exception:  # missing, half-written by an older plugin, hand-edited
        return None


def _read_lines(scope: frozenset[str] | None) -> dict[str, frozenset[str]]:
    """The cached versions of the plugins in *scope* (all: None); a line at a time, so that the
    other plugins' lines never stay in memory."""
    versions: dict[str, frozenset[str]] = {}
    with _lines_file().open(encoding="utf-8") as lines:
        for line in lines:
            name, _, rest = line.partition(" ")
            if scope is None or name in scope:
                versions[name] = frozenset(rest.split())
    return versions


def keep_only(names: Iterable[str]) -> None:
    """Keep only these plugins' entries in memory (napari's installed plugins).

    A real index lists about a thousand plugins with all their versions (a few MB in memory);
    a napari process only ever asks about the plugins installed in it.
    """
    scope = frozenset(normalized_name(n) for n in names)
    with _lock:
        state.index_scope = scope
        if state.index and state.index[0] is not None:
            index = state.index[0]
            state.index[0] = _scoped(index.versions, index.fetched)


def _scoped(plugins: Mapping[str, Iterable[object]], fetched: date) -> PublicIndex:
    scope = state.index_scope
    versions = {
        str(k): frozenset(map(str, v)) for k, v in plugins.items() if scope is None or k in scope
    }
    return PublicIndex(versions, fetched)


def current() -> PublicIndex | None:
    """The index this process uses (read from the cache once), or None when unavailable.

    Switched off (``_switches.index_url()`` is None), there is none: no plugin is named.
    """
    if _switches.index_url() is None:
        return None
    with _lock:
        if not state.index:
            state.index.append(load_cached())
        return state.index[0]


def needs_refresh(today: date) -> bool:
    """Whether the cache is missing or a week old, and no failed attempt happened today."""
    raw = _read_cache()
    return not _weekly.tried_lately(raw, today) and _weekly.stale(raw, today)


def refresh(fetcher: Fetcher | None = None, today: date | None = None) -> PublicIndex | None:
    """Fetch the index now and cache it; on any failure keep the old cache and return None."""
    today = today or date.today()
    url = _switches.index_url()
    if url is None:
        return None  # switched off: nothing is fetched
    raw = _read_cache()
    try:
        body = _weekly.get(fetcher or _weekly.default_fetcher(), url, "the plugin index")
        if body is None:
            raise ValueError("the plugin index answered HTTP 404")
        versions = parse_summary(json.loads(body))
    except Exception as e:
        log.debug("the public plugin index could not be fetched: %r", e)
        _write({**raw, "version": _CACHE_VERSION, "attempted": str(today)})
        return None
    write_cache(versions, today)
    index = _scoped(versions, today)
    with _lock:
        state.index[:] = [index]
    return index


def write_cache(versions: Mapping[str, Iterable[str]], fetched: date) -> None:
    """Keep *versions* (normalized name: versions) as the index fetched on *fetched*: the lines
    first, then the date that makes them used. Never raises (a failed write is logged)."""
    lines = "".join(
        f"{name} {' '.join(sorted(filter(_word, v)))}\n"
        for name, v in sorted(versions.items())
        if _word(name)
    )
    try:
        _paths.write_atomic(_lines_file(), lines.encode())
    except OSError:
        log.debug("the public plugin index could not be cached", exc_info=True)
    else:
        _write({"version": _CACHE_VERSION, "fetched": str(fetched)})


def _word(text: str) -> bool:
    """A name or version the line format keeps (no real one has a space; a hostile index's
    would split into other versions)."""
    return bool(text) and not any(c.isspace() for c in text)


def _write(value: dict[str, Any]) -> None:
    try:
        _paths.write_json(_cache_file(), value)
    except OSError:
        log.debug("the public plugin index could not be cached", exc_info=True)


def refresh_in_background(
    on_done: Callable[[PublicIndex], None] | None = None, fetcher: Fetcher | None = None
) -> threading.Thread | None:
    """Refresh in a daemon thread when due; *on_done* gets the new index (off the GUI thread)."""
    if _switches.index_url() is None or not needs_refresh(date.today()):
        return None
    return _weekly.in_background("napari-telemetry-index", lambda: refresh(fetcher), on_done)
