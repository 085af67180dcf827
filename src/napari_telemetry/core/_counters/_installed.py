"""Installed plugins and the counters each declares, found through package metadata.

A plugin is a distribution with a ``napari.manifest`` entry point (``pkg.mod:napari.yaml``);
its declaration is ``napari-telemetry.toml`` in the same folder as that manifest (npe2 drops
manifest keys it does not know, so the counters cannot live in ``napari.yaml``). The folder is
found with ``importlib.util.find_spec`` of the top-level package only, which imports nothing of
the plugin. The same entry point binds a counting handle to its plugin: code in the manifest's
top-level package counts for that distribution. (``packages_distributions()`` cannot be used:
it finds no package of an editable install.)
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from napari_telemetry.schema import (
    DECLARATION_FILE,
    Declaration,
    DeclarationError,
    normalized_name,
    read_declaration,
)

log = logging.getLogger("napari_telemetry")
GROUP = "napari.manifest"
MAX_FILE_BYTES = 100_000


@dataclass(frozen=True)
class Installed:
    """One installed plugin: its name, its top-level package and what it declares."""

    plugin: str  # normalized distribution name
    top: str  # the top-level package of its manifest entry point
    declaration: Declaration | None = None
    problem: str | None = None  # why a declaration file it ships cannot be used


def installed() -> list[Installed]:
    """Every plugin with a ``napari.manifest`` entry point, sorted by name; never raises."""
    found: dict[str, Installed] = {}
    try:
        points = list(entry_points(group=GROUP))
    except Exception:
        log.debug("the napari.manifest entry points cannot be read", exc_info=True)
        return []
    for point in points:
        try:
            item = _installed(point)
        except Exception:
            log.debug("a plugin's entry point cannot be read", exc_info=True)
            continue
        if item is not None:
            found.setdefault(item.plugin, item)
    return sorted(found.values(), key=lambda item: item.plugin)


def bindings(plugins: list[Installed]) -> dict[str, str]:
    """Top-level package → plugin, for packages that belong to exactly one plugin.

    A top-level package two plugins share (a namespace package) binds to neither: its code
    cannot be told apart, so it counts for no plugin.
    """
    owners: dict[str, set[str]] = {}
    for item in plugins:
        owners.setdefault(item.top, set()).add(item.plugin)
    return {top: next(iter(names)) for top, names in owners.items() if len(names) == 1}


def _installed(point: EntryPoint) -> Installed | None:
    dist = point.dist
    if dist is None:
        return None
    plugin = normalized_name(dist.name)
    module, _, _ = point.value.partition(":")
    top = module.strip().split(".")[0]
    if not top.isidentifier():
        return None
    path = _folder(module.strip())
    if path is None or not (path / DECLARATION_FILE).is_file():
        return Installed(plugin, top)
    declaration, problem = _read(path / DECLARATION_FILE, plugin)
    return Installed(plugin, top, declaration, problem)


def _folder(module: str) -> Path | None:
    """The folder of package *module*, found without importing the plugin."""
    top, *rest = module.split(".")
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: nothing is imported
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location).joinpath(*rest)
        if folder.is_dir():
            return folder
    return None


def _read(path: Path, plugin: str) -> tuple[Declaration | None, str | None]:
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError(f"{DECLARATION_FILE} is larger than {MAX_FILE_BYTES} bytes")
        declaration = read_declaration(raw.decode("utf-8"))
    except (OSError, UnicodeError, ValueError) as e:
        problems = e.problems if isinstance(e, DeclarationError) else [e]
        return None, f"{DECLARATION_FILE} is unusable: {problems[0]}"
    if declaration.plugin != plugin:
        why = f"it declares counters for {declaration.plugin!r}, but it ships with {plugin!r}"
        return None, f"{DECLARATION_FILE} is ignored: {why}"
    return declaration, None
