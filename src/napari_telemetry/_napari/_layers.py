"""Describe a layer's data from metadata only: never pixels, names, paths or shapes.

Only ``type(data)``, ``data.shape``, ``data.dtype`` and, for pyramids, ``len(data)`` and
``data[0]`` are touched. Those are metadata on numpy, dask, zarr and napari's ``MultiScaleData``;
``np.asarray``, ``.compute()``, iteration and comparisons never happen here.
"""

from __future__ import annotations

import logging
import re
import site
import sys
import sysconfig
from functools import cache
from math import prod
from typing import Any

from napari_telemetry.schema import (
    DTYPE_PATTERN,
    LAYER_TYPE_PATTERN,
    OTHER_DATA_TYPE,
    LayerKey,
    public_data_type,
)

log = logging.getLogger("napari_telemetry")

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DTYPE = re.compile(DTYPE_PATTERN)
_LAYER_TYPE = re.compile(LAYER_TYPE_PATTERN)
MAX_BUCKET = 80


def describe_layer(layer: Any, public_plugins: frozenset[str] = frozenset()) -> LayerKey:
    """The ``LayerRecord`` key of *layer*; whatever cannot be read safely is ``unknown``/-1.

    *public_plugins*: normalized names of the installed public, stable plugins, whose classes
    may be named as data types (see ``data_type``). Never raises: a layer's properties are
    someone else's code, and any of them may.
    """
    layer_type = _layer_type(layer)
    multiscale = _multiscale(layer)
    try:
        data = layer.data
    except Exception:
        return LayerKey(
            layer_type=layer_type,
            data_type=OTHER_DATA_TYPE,
            ndim=_ndim(layer),
            dtype="unknown",
            multiscale=multiscale,
            levels=1,
            size_bucket=-1,
        )
    levels, top = _levels(data) if multiscale else (1, data)
    shape = _shape(top)
    ndim = len(shape) if shape is not None else _ndim(layer)
    dtype, itemsize = _dtype(top)
    return LayerKey(
        layer_type=layer_type,
        data_type=data_type(top, public_plugins),
        ndim=min(ndim, 64),
        dtype=dtype,
        multiscale=multiscale,
        levels=levels,
        size_bucket=size_bucket(shape, itemsize),
    )


def _layer_type(layer: object) -> str:
    """napari's layer class (``Image``, ``Labels``…); a user's own subclass is sent as its base."""
    for cls in type(layer).__mro__:
        module = str(getattr(cls, "__module__", ""))
        if module.startswith("napari.") and _LAYER_TYPE.match(cls.__name__):
            return cls.__name__
    return "Other"


def data_type(obj: object, public_plugins: frozenset[str] = frozenset()) -> str:
    """``<top-level module>.<class>`` of a public library's type, e.g. ``dask.Array``.

    Named only when the module is a public array library (the schema's list) or an installed
    public, stable plugin (in *public_plugins*, imported from site-packages); a class from a
    user's script, an in-house package or a plugin under development is ``other.Other``.
    """
    cls = type(obj)
    top = str(getattr(cls, "__module__", "") or "").split(".")[0]
    name = str(getattr(cls, "__name__", ""))
    if not (_IDENT.match(top) and _IDENT.match(name)):
        return OTHER_DATA_TYPE

    def is_public(plugin: str) -> bool:
        return plugin in public_plugins and _installed(top)

    return public_data_type(f"{top}.{name}", is_public)  # too long for the schema: other


@cache
def _installed(top: str) -> bool:
    """Whether the module *top* was imported from site-packages (not a checkout or a script)."""
    spec = getattr(sys.modules.get(top), "__spec__", None)
    origin = str(getattr(spec, "origin", None) or "")
    roots = {p for key in ("purelib", "platlib") if (p := sysconfig.get_paths().get(key))}
    roots.update(site.getsitepackages())  # e.g. Debian's /usr/lib/python3/dist-packages
    return bool(origin) and any(origin.startswith(root) for root in roots)


def size_bucket(shape: tuple[int, ...] | None, itemsize: int | None) -> int:
    """Exponent of the power of two just above ``prod(shape) * itemsize`` bytes; -1 if unknown."""
    if shape is None or itemsize is None:
        return -1
    nbytes = prod(shape) * itemsize
    return min(max(nbytes - 1, 0).bit_length(), MAX_BUCKET)


def _multiscale(layer: Any) -> bool:
    try:
        return getattr(layer, "multiscale", False) is True
    except Exception:
        return False


def _levels(data: Any) -> tuple[int, Any]:
    try:
        n = len(data)
        return (min(max(n, 1), 64), data[0]) if n else (1, None)
    except Exception:
        return 1, None


def _shape(data: Any) -> tuple[int, ...] | None:
    try:
        shape = data.shape
        if not isinstance(shape, tuple) or len(shape) > 64:
            return None
        dims = tuple(
            int(s) for s in shape if isinstance(s, int) or type(s).__name__.startswith("int")
        )
        return dims if len(dims) == len(shape) and all(d >= 0 for d in dims) else None
    except Exception:
        return None


def _dtype(data: Any) -> tuple[str, int | None]:
    try:
        dtype = data.dtype
        name = str(getattr(dtype, "name", ""))
        itemsize = getattr(dtype, "itemsize", None)
        if not _DTYPE.match(name):
            return "unknown", None
        return name, itemsize if isinstance(itemsize, int) and itemsize > 0 else None
    except Exception:
        return "unknown", None


def _ndim(layer: Any) -> int:
    try:
        value = layer.ndim
    except Exception:
        return 0
    return min(value, 64) if isinstance(value, int) and value >= 0 else 0
