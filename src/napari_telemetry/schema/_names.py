"""Which names a record may carry: public array libraries, napari, public and stable plugins.

The client applies these rules before anything is recorded and the collector applies them again
to every batch (an older or a dishonest client may send anything), so a private, in-house
package or plugin is never named: its data type is ``other.Other`` and its commands are not
counted. ``is_public`` is the caller's judgement of a normalized plugin name: on the client a
plugin installed at a stable version the public index lists, on the collector any plugin the
index lists (the collector cannot see installed versions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

OTHER_DATA_TYPE = "other.Other"
CORE = "napari"
IsPublic = Callable[[str], bool]

PUBLIC_ARRAY_LIBRARIES: Mapping[str, str] = MappingProxyType(
    {
        "builtins": "Python's own list and tuple: points, shapes and vectors are often given so",
        "cupy": "arrays on NVIDIA GPUs",
        "dask": "lazy, chunked arrays for data larger than memory",
        "h5py": "HDF5 datasets, read lazily",
        "imageio": "imageio's ndarray subclass of its version 2 readers",
        "jax": "JAX arrays",
        "jaxlib": "JAX arrays (their class lives in jaxlib)",
        "napari": "napari's own data wrappers, e.g. for multiscale data",
        "numpy": "the reference array of every layer",
        "pandas": "data frames (points and tracks given as tables)",
        "pims": "PIMS image sequences, read lazily",
        "scipy": "SciPy's sparse matrices",
        "sparse": "pydata/sparse arrays, e.g. sparse labels",
        "tensorflow": "TensorFlow tensors",
        "tensorstore": "TensorStore's large chunked volumes",
        "torch": "PyTorch tensors",
        "xarray": "labelled N-dimensional arrays",
        "zarr": "chunked arrays on disk or in object storage (OME-Zarr)",
    }
)

_DATA_TYPE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,39})\.[A-Za-z_][A-Za-z0-9_]{0,59}$")


def normalized_name(name: str) -> str:
    """PEP 503 normalized name, as the public plugin index (and napari) spell it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def public_data_type(data_type: str, is_public: IsPublic) -> str:
    """*data_type* (``module.Class``) when its module may be named, else ``other.Other``.

    A module may be named when it is a public array library listed above, or a public plugin
    (its normalized name is the plugin's): a class from anywhere else is someone's own code.
    """
    match = _DATA_TYPE.match(data_type)
    if match is None:
        return OTHER_DATA_TYPE
    top = match[1]
    if top in PUBLIC_ARRAY_LIBRARIES or is_public(normalized_name(top)):
        return data_type
    return OTHER_DATA_TYPE


def command_owner(command_id: str, is_public: IsPublic) -> str | None:
    """Who may be named as the owner of *command_id*: ``napari``, a public plugin, or None.

    npe2 requires a plugin's command ids to start with ``<plugin name>.``; napari's own start
    with ``napari.`` (``napari:`` before 0.5, and for the names of the action manager's actions
    that key bindings run, which a plugin's would start with ``<plugin name>:``). A command of
    any other plugin is not counted at all: naming it "other" would still say that a private
    plugin ran.
    """
    if command_id.startswith(("napari.", "napari:")):
        return CORE
    head = normalized_name(re.split(r"[.:]", command_id, maxsplit=1)[0])
    return head if head != CORE and is_public(head) else None
