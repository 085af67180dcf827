"""One key type per record: the values that identify a record when a day's counts are merged.

Each record model's ``KEY_FIELDS`` are its key type's fields (``_records``), so napari's glue
builds a key by name and the store writes its values in the order the model reads them back.
"""

from __future__ import annotations

from typing import NamedTuple


class SessionKey(NamedTuple):
    """What identifies a ``session`` record."""

    napari_version: str
    python_version: str
    os_name: str
    os_version: str
    arch: str


class PluginKey(NamedTuple):
    """What identifies a ``plugin`` record."""

    name: str
    version: str


class CommandKey(NamedTuple):
    """What identifies a ``command`` record."""

    command_id: str
    plugin: str


class LayerKey(NamedTuple):
    """What identifies a ``layer`` record."""

    layer_type: str
    data_type: str
    ndim: int
    dtype: str
    multiscale: bool
    levels: int
    size_bucket: int


class CounterKey(NamedTuple):
    """What identifies a ``counter`` record."""

    plugin: str
    counter: str
    label: str
