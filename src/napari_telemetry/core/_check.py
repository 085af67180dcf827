"""``napari-telemetry check``: can this computer reach every endpoint, and write its data folder?

One command an administrator (or a user asked by one) runs on a machine: it contacts each
collector's ``/healthz`` and the plugin index exactly as an upload would (same trust store, same
proxy settings, same deadline) and names the problem where there is one. Nothing is sent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from napari_telemetry.schema import SENDING_LEVELS

from . import _store, _switches, _trust
from ._transport import Transport, TransportError, get_transport

TIMEOUT = 10.0
_PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@dataclass(frozen=True)
class Probe:
    """One endpoint tried: what it is for, where, and what happened."""

    what: str
    url: str
    ok: bool
    detail: str


@dataclass
class CheckReport:
    """Every endpoint tried, the settings they were tried with, and the data folder."""

    trust: str
    proxies: list[str]
    probes: list[Probe] = field(default_factory=list)
    folder: str | None = None  # the data folder's problem, if any

    @property
    def ok(self) -> bool:
        """Whether everything worked."""
        return self.folder is None and all(p.ok for p in self.probes)


def check(transport: Transport | None = None) -> CheckReport:
    """Try every endpoint of this computer's settings; never raises for a network problem."""
    report = CheckReport(_trust.choose().words(), _proxy_settings())
    client = transport or get_transport()
    bases: dict[str, list[str]] = {}
    for level in SENDING_LEVELS:
        base = _switches.base_url(level)
        if base is not None:
            bases.setdefault(base, []).append(level.value)
    for base, levels in bases.items():
        report.probes.append(_try(client, f"collector ({', '.join(levels)})", f"{base}/healthz"))
    index = _switches.index_url()
    if index is not None:
        report.probes.append(_try(client, "plugin index", index))
    report.folder = _store.storage_problem()
    return report


def _try(client: Transport, what: str, url: str) -> Probe:
    shown = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
    try:
        response = client.get(url, {"Accept": "application/json"}, TIMEOUT, limit=4096)
    except TransportError as e:
        return Probe(what, shown, False, str(e))
    if 200 <= response.status < 300:
        return Probe(what, shown, True, f"reached (HTTP {response.status})")
    return Probe(what, shown, False, f"answered HTTP {response.status} at {urlsplit(url).path}")


def _proxy_settings() -> list[str]:
    found = []
    for name in _PROXY_VARS:
        value = os.environ.get(name) or os.environ.get(name.lower())
        if value:
            found.append(f"{name}={value}")
    return found
