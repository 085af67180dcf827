"""The switches that sit above a user's consent: environment variables, site policy, CI.

Every reader here is forgiving: a nonsense value is logged once and read the safer way
(less telemetry), never raised.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from napari_telemetry.schema import Level

from . import _paths

log = logging.getLogger("napari_telemetry")

_FALSE = {"", "0", "false", "no", "off", "n"}
_TRUE = {"1", "true", "yes", "on", "y"}
_OFF = {"0", "off", "false", "none", "no", "n"}
_POLICY_VERSION = 1
_CI_VARS = ("CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "BUILDKITE")
DEFAULT_URL = "https://{level}.telemetry.napari.org"
# The list napari's plugin dialog uses (npe2api), fetched weekly at middle and full.
DEFAULT_INDEX_URL = "https://api.napari.org/api/extended_summary"


@cache
def _warn_once(message: str) -> None:
    log.warning(message)


def _truthy(name: str, *, safe: bool) -> bool:
    """Read a boolean variable; a nonsense value means *safe*."""
    value = os.environ.get(name, "").strip().lower()
    if value in _FALSE:
        return False
    if value not in _TRUE:
        _warn_once(f"{name}={value!r} is not a yes/no value; reading it as {safe}")
        return safe
    return True


def do_not_track() -> bool:
    """``DO_NOT_TRACK`` is set to anything but a false value."""
    return _truthy("DO_NOT_TRACK", safe=True)


def debug() -> bool:
    """``NAPARI_TELEMETRY_DEBUG``: log what would be sent and send nothing."""
    return _truthy("NAPARI_TELEMETRY_DEBUG", safe=True)


def env_cap() -> Level | None:
    """The cap from ``NAPARI_TELEMETRY``: ``Level.NONE`` for off, a level, or None if unset."""
    raw = os.environ.get("NAPARI_TELEMETRY")
    if raw is None or not raw.strip():
        return None
    value = raw.strip().lower()
    if value in _OFF:
        return Level.NONE
    if value in _TRUE:
        return None  # "on" never raises anything: the consent record decides
    try:
        return Level.parse(value)
    except ValueError:
        _warn_once(f"NAPARI_TELEMETRY={raw!r} is not off/basic/middle/full; reading it as off")
        return Level.NONE


@dataclass(frozen=True)
class Policy:
    """The site policy an administrator put next to the environment."""

    max_level: Level | None = None
    locked: bool = False
    endpoint: str | None = None
    plugin_index: str | None = None  # a mirror's URL, or "off"
    ca_bundle: str | None = None  # PEM file or folder that uploads verify with (``_trust``)
    problem: str | None = None  # why a policy file that exists could not be used


def _bad_policy(problem: str) -> Policy:
    _warn_once(f"site policy ignored and telemetry kept off: {problem}")
    return Policy(max_level=Level.NONE, locked=True, problem=problem)


def policy() -> Policy:
    """Read the site policy; an unusable file turns telemetry off (an admin meant to restrict)."""
    path = _paths.policy_file()
    try:
        data = _paths.read_json(path)
    except FileNotFoundError:
        return Policy()
    except (OSError, ValueError) as e:
        return _bad_policy(f"the policy file could not be read ({type(e).__name__})")
    if not isinstance(data, dict):
        return _bad_policy("the policy file is not a JSON object")
    if data.get("version", _POLICY_VERSION) != _POLICY_VERSION:
        return _bad_policy(f"policy version {data.get('version')!r} is newer than this plugin")
    try:
        return _parse_policy(data)
    except (TypeError, ValueError) as e:
        return _bad_policy(str(e))


_POLICY_KEYS = {"version", "max_level", "locked", "endpoint", "plugin_index", "ca_bundle"}


def _parse_policy(data: dict[str, object]) -> Policy:
    unknown = set(data) - _POLICY_KEYS
    if unknown:
        _warn_once(f"site policy: unknown keys ignored: {sorted(unknown)!r}")
    max_level = data.get("max_level")
    locked = data.get("locked", False)
    endpoint = data.get("endpoint")
    plugin_index = data.get("plugin_index")
    if max_level is not None and not isinstance(max_level, str):
        raise TypeError(f"max_level must be a level name, got {max_level!r}")
    if not isinstance(locked, bool):
        raise TypeError(f"locked must be true or false, got {locked!r}")
    if endpoint is not None and not (isinstance(endpoint, str) and _valid_url(endpoint)):
        raise ValueError(f"endpoint must be an http(s) URL, got {endpoint!r}")
    if plugin_index is not None and not (
        isinstance(plugin_index, str) and (_valid_url(plugin_index) or _is_off(plugin_index))
    ):
        raise ValueError(f'plugin_index must be an http(s) URL or "off", got {plugin_index!r}')
    return Policy(
        max_level=Level.parse(max_level) if max_level is not None else None,
        locked=locked,
        endpoint=endpoint,
        plugin_index=plugin_index,
        ca_bundle=_ca_bundle(data.get("ca_bundle")),
    )


def _ca_bundle(value: object) -> str | None:
    """The policy's CA bundle as a path; relative to the policy file's folder."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"ca_bundle must be the path of a PEM file or folder, got {value!r}")
    return str(_paths.policy_file().parent / os.path.expanduser(value.strip()))


def ci_reason() -> str | None:
    """Why this run must never prompt (CI, a test run, no display), or None."""
    for name in _CI_VARS:
        if os.environ.get(name, "").strip().lower() not in _FALSE:
            return f"{name} is set (a CI run)"
    if os.environ.get("PYTEST_CURRENT_TEST"):
        return "this is a test run"
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return "there is no display"
    return None


def _valid_url(url: str) -> bool:
    parts = urlsplit(url.replace("{level}", "level"))
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def base_url(level: Level) -> str | None:
    """Collector base URL for *level*'s stream, or None when the configured one is unusable."""
    raw = os.environ.get("NAPARI_TELEMETRY_URL", "").strip()
    source = "NAPARI_TELEMETRY_URL"
    if not raw:
        raw, source = policy().endpoint or DEFAULT_URL, "site policy endpoint"
    if not _valid_url(raw):
        _warn_once(f"{source}={raw!r} is not an http(s) URL; nothing will be sent")
        return None
    return raw.replace("{level}", level.value).rstrip("/")


def _is_off(value: str) -> bool:
    return value.strip().lower() in _OFF


def index_url() -> str | None:
    """Where the public plugin index comes from; None when switched off (or unusable).

    ``NAPARI_TELEMETRY_INDEX_URL`` (a mirror, or ``off``), else the site policy's
    ``plugin_index``, else napari's plugin API. Off means nothing is fetched and, without an
    index, no plugin is ever named.
    """
    raw = os.environ.get("NAPARI_TELEMETRY_INDEX_URL", "").strip()
    source = "NAPARI_TELEMETRY_INDEX_URL"
    if not raw:
        raw, source = policy().plugin_index or DEFAULT_INDEX_URL, "site policy plugin_index"
    if _is_off(raw):
        return None
    if not _valid_url(raw):
        _warn_once(f"{source}={raw!r} is not an http(s) URL; the plugin index is not fetched")
        return None
    return raw


def collection_url() -> str | None:
    """Where the signed collection manifest comes from: the `full` collector's
    ``/v1/collection``; None when the plugin index is switched off (nothing is fetched then) or
    the collector URL is unusable."""
    if index_url() is None:
        return None
    base = base_url(Level.FULL)
    return f"{base}/v1/collection" if base else None


def collection_keys_file() -> Path | None:
    """``NAPARI_TELEMETRY_COLLECTION_KEYS``: a PEM file of the public keys to trust instead of
    the ones this plugin ships (an institution's own collector, or a test); None when unset."""
    value = os.environ.get("NAPARI_TELEMETRY_COLLECTION_KEYS", "").strip()
    return Path(value).expanduser() if value else None


def batches_url(level: Level) -> str | None:
    """Where *level*'s batches go: ``{base}/v1/{level}/batches``."""
    base = base_url(level)
    return f"{base}/v1/{level.value}/batches" if base else None
