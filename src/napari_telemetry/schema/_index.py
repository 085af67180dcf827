"""The public plugin index's rules: which plugin names and versions it makes public.

Pure and I/O-free, so the client (which fetches and caches the index, ``_public_index``) and the
collector (which reads the operator's copy) judge a plugin by exactly the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from packaging.version import InvalidVersion, Version

from ._names import normalized_name

_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def is_stable(version: str) -> bool:
    """A release with no pre-release, development or local part."""
    try:
        v = Version(version)
    except InvalidVersion:
        return False
    return not (v.is_prerelease or v.is_devrelease or v.local)


@dataclass(frozen=True)
class PublicIndex:
    """Normalized plugin name → the versions the index lists for it."""

    versions: Mapping[str, frozenset[str]]
    fetched: date

    def is_public(self, name: str) -> bool:
        """Listed under its normalized name (enough to name a command's owner)."""
        return normalized_name(name) in self.versions

    def is_public_stable(self, name: str, version: str | None) -> bool:
        """Listed under its normalized name, in exactly this stable version."""
        if not version or not is_stable(version):
            return False
        return version in self.versions.get(normalized_name(name), frozenset())


def parse_summary(data: Any) -> dict[str, frozenset[str]]:
    """Read an ``extended_summary`` list; malformed entries are skipped, a wrong shape raises."""
    if not isinstance(data, list):
        raise ValueError(f"the plugin index is not a list but a {type(data).__name__!r}")
    out: dict[str, frozenset[str]] = {}
    for entry in data:
        if not isinstance(entry, dict):
            continue
        name = entry.get("normalized_name") or entry.get("name")
        versions = entry.get("pypi_versions")
        if isinstance(name, str) and _NAME.match(name) and isinstance(versions, list):
            out[normalized_name(name)] = frozenset(v for v in versions if isinstance(v, str))
    return out
