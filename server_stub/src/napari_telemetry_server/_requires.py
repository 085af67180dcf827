"""The plugin this collector runs with: its wire schema must come from the range it requires.

The collector validates batches with the plugin's models (``napari_telemetry.schema``), so a
plugin of another series would accept or refuse what this collector's storage and releases do
not expect. pip keeps the range, but ``--no-deps``, a later ``pip install napari-telemetry==…``
or a hand-made environment can leave another version installed: the collector says so at
start-up, naming both versions, instead of failing later with a traceback.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, requires, version

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from ._version import __version__

PLUGIN = "napari-telemetry"
SERVER = "napari-telemetry-server"


class IncompatiblePlugin(RuntimeError):
    """The installed napari-telemetry lies outside the range this collector requires."""


def required_plugin() -> SpecifierSet | None:
    """The range of napari-telemetry this collector was installed with (None: not installed)."""
    try:
        lines = requires(SERVER) or []
    except PackageNotFoundError:  # run from a source tree nobody installed: nothing to compare
        return None
    for line in lines:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) == PLUGIN and requirement.marker is None:
            return requirement.specifier
    return None


def check_plugin() -> None:
    """Raise IncompatiblePlugin unless the installed plugin is in the range the collector needs.

    Development versions count (``0.1.0.dev5+g1234abc``): both are built from the same tag.
    """
    wanted = required_plugin()
    if wanted is None:
        return
    try:
        found: str | None = version(PLUGIN)
    except PackageNotFoundError:
        found = None
    if found is not None and wanted.contains(found, prereleases=True):
        return
    installed = f"napari-telemetry {found} is installed" if found else "none is installed"
    raise IncompatiblePlugin(
        f"napari-telemetry-server {__version__} needs napari-telemetry{wanted} (they share the "
        f"wire schema), but {installed}; install a matching one: "
        f"pip install 'napari-telemetry{wanted}'"
    )
