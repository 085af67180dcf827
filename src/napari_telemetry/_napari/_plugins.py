"""Which plugins may be named: public and installed at a stable version (middle and full)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from napari_telemetry.schema import (
    CORE,
    CommandKey,
    PluginKey,
    PublicIndex,
    command_owner,
    normalized_name,
)

log = logging.getLogger("napari_telemetry")

# napari's built-in plugin is napari itself, and every user of this plugin has this plugin.
NOT_PLUGINS = frozenset({CORE, "builtins", "napari-telemetry"})
_COMMAND_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")


def installed_public_plugins(manifests: Iterable[Any], index: PublicIndex) -> list[PluginKey]:
    """``(normalized name, version)`` of each public, stable plugin among *manifests*.

    A manifest whose metadata cannot be read is skipped (logged at debug), never fatal.
    """
    found: set[PluginKey] = set()
    for mf in manifests:
        try:
            key = _plugin_key(mf, index)
        except Exception:
            log.debug("skipping a plugin whose manifest cannot be read", exc_info=True)
            continue
        if key is not None:
            found.add(key)
    return sorted(found)


def _plugin_key(mf: Any, index: PublicIndex) -> PluginKey | None:
    name = normalized_name(str(mf.name))
    if name in NOT_PLUGINS or getattr(mf, "visibility", "public") != "public":
        return None
    meta = mf.package_metadata
    version = getattr(meta, "version", None) if meta is not None else None
    if not isinstance(version, str) or not index.is_public_stable(name, version):
        return None
    return PluginKey(name=name, version=version)


class CommandOwners:
    """Map a command id to who may be named as its owner: ``napari``, a public plugin, or None.

    *public* holds the normalized names of the installed plugins that are public and installed
    at a stable version (``installed_public_plugins``): exactly the plugins ``middle`` names. A
    listed plugin installed at a development version is not named, so its commands are not
    counted (the schema's ``command_owner`` rule, which also reads napari's action names,
    ``<owner>:<action>``, run by key bindings; the collector applies it again).
    """

    def __init__(self, public: Iterable[str] = ()) -> None:
        self._public = frozenset(public)
        self._cache: dict[str, CommandKey | None] = {}

    def __call__(self, command_id: str) -> str | None:
        """The owner to record for *command_id*, or None to not count it (cached)."""
        key = self.key(command_id)
        return None if key is None else key.plugin

    def key(self, command_id: str) -> CommandKey | None:
        """The key to count *command_id* under, or None to not count it (made once per id)."""
        try:
            return self._cache[command_id]
        except KeyError:
            owner = self._lookup(command_id)
            key = self._cache[command_id] = (
                None if owner is None else CommandKey(command_id, owner)
            )
            return key

    def _lookup(self, command_id: str) -> str | None:
        if not isinstance(command_id, str) or not _COMMAND_ID.match(command_id):
            return None
        return command_owner(command_id, self._public.__contains__)
