"""Record types: what each level's stream may carry, field by field.

The field descriptions are the data catalogue users read (``napari-telemetry catalogue``,
``docs/data-catalogue.md``, the consent dialog), so they are written for them.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, StrictBool, StringConstraints

from ._base import RecordBase
from ._counters import COUNTER_PATTERN, PLUGIN_PATTERN, RECORD_LABEL_PATTERN
from ._keys import CommandKey, CounterKey, LayerKey, PluginKey, SessionKey
from ._names import PUBLIC_ARRAY_LIBRARIES

# A public version: no local part ("+g1a2b3c", "+acme"), which can name a private build.
_Version = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z.!_-]+$")
]
# "14", "11", "server-2022", "ubuntu-24", "opensuse-leap-15", "arch", "other": a release number,
# or up to three lower-case words and a number of up to four digits. No dots (no builds), no
# dates (a rolling release's snapshot day), no spaces, no paths.
OS_VERSION_PATTERN = r"^([0-9]{1,4}|[a-z][a-z0-9]{0,19}(-[a-z][a-z0-9]{0,19}){0,2}(-[0-9]{1,4})?)$"
_OsVersion = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=OS_VERSION_PATTERN)
]
_Name = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
]
_CommandId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")
]


def a_number(value: Any) -> Any:
    """Refuse what JSON does not call a number (``true``, ``"3"``), which pydantic's lax mode would
    read as 1 and 3; numbers of any type (``3.0``, NumPy's) go on to the integer check."""
    if isinstance(value, bool | str | bytes):
        raise ValueError(f"a whole number is needed, got {value!r}")
    return value


_Int = Annotated[int, BeforeValidator(a_number)]
_Count = Annotated[int, Field(ge=1, le=1_000_000_000), BeforeValidator(a_number)]
# napari's layer class and the data's element type; napari's glue checks them before it counts.
LAYER_TYPE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,39}$"
DTYPE_PATTERN = r"^[a-z0-9_<>|=]{1,24}$"


class SessionRecord(RecordBase):
    """napari launches on one day, by software and platform versions."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = SessionKey._fields
    COUNT_FIELD: ClassVar[str | None] = "launches"

    type: Literal["session"] = Field(
        "session", description="Record type: napari launches with this software and platform."
    )
    napari_version: _Version = Field(
        description="napari version, e.g. `0.6.4` (without a local `+…` part, which can name a "
        "private build)."
    )
    python_version: _Version = Field(
        description="Python version as major.minor.micro, e.g. `3.12.4`."
    )
    os_name: Literal["Linux", "macOS", "Windows", "other"] = Field(
        description="Operating system family: `Linux`, `macOS`, `Windows` or `other`."
    )
    os_version: _OsVersion = Field(
        description="Coarse OS version: macOS/Windows release (e.g. `14`, `11`, `server-2022`) "
        "or, on Linux, a well-known distribution's id and major version (e.g. `ubuntu-24`, "
        "`fedora-40`); `other` for anything else. Never a kernel build or host name."
    )
    arch: Literal["x86_64", "arm64", "other"] = Field(
        description="CPU architecture: `x86_64`, `arm64` or `other`."
    )
    launches: _Count = Field(1, description="How many times napari was started that day.")


class PluginRecord(RecordBase):
    """One installed plugin that is public and installed in a stable version."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = PluginKey._fields

    type: Literal["plugin"] = Field(
        "plugin",
        description="Record type: an installed plugin listed in napari's public plugin index.",
    )
    name: _Name = Field(
        description="Normalized distribution name of a plugin listed in the public napari plugin "
        "index (private, unlisted or locally developed plugins are never recorded)."
    )
    version: _Version = Field(
        description="Installed version; only stable releases that the index lists "
        "(no pre-release, development or local versions)."
    )


class CommandRecord(RecordBase):
    """How often a command or one of napari's actions (key bindings, buttons) ran on one day."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = CommandKey._fields
    COUNT_FIELD: ClassVar[str | None] = "count"

    type: Literal["command"] = Field(
        "command", description="Record type: use of a napari or plugin command."
    )
    command_id: _CommandId = Field(
        description="Identifier of the command as declared by napari or by a public plugin's "
        "manifest, e.g. `napari.window.file.open_files_dialog`, or the name of a napari action "
        "run by a key binding or a button, e.g. `napari:toggle_ndisplay` (Ctrl+Y). "
        "Never its arguments."
    )
    plugin: _Name = Field(
        description="Who owns the command: `napari` for napari itself, otherwise the normalized "
        "name of a plugin installed at a stable version listed in the public plugin index (the "
        "commands of any other plugin are not counted)."
    )
    count: _Count = Field(1, description="How many times the command ran that day.")


class LayerRecord(RecordBase):
    """Layers added on one day, by kind and data description (never the data itself)."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = LayerKey._fields
    COUNT_FIELD: ClassVar[str | None] = "count"

    type: Literal["layer"] = Field("layer", description="Record type: layers added to a viewer.")
    layer_type: Annotated[str, StringConstraints(pattern=LAYER_TYPE_PATTERN)] = Field(
        description="napari layer class, e.g. `Image`, `Labels`, `Points`."
    )
    data_type: Annotated[
        str,
        StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,39}\.[A-Za-z_][A-Za-z0-9_]{0,59}$"),
    ] = Field(
        description="Top-level module and class of the layer data, e.g. `numpy.ndarray`, "
        "`dask.Array`, `zarr.Array`, `builtins.list`: only for classes of public array "
        f"libraries ({', '.join(f'`{m}`' for m in PUBLIC_ARRAY_LIBRARIES)}) or of public, "
        "stable plugins; `other.Other` for any other class (a script's, an in-house package's)."
    )
    ndim: _Int = Field(ge=0, le=64, description="Number of data dimensions.")
    dtype: Annotated[str, StringConstraints(pattern=DTYPE_PATTERN)] = Field(
        description="Element type of the data, e.g. `uint8`, `float32`; "
        "`unknown` when not an array."
    )
    multiscale: StrictBool = Field(
        description="Whether the layer is multiscale (an image pyramid)."
    )
    levels: _Int = Field(
        ge=1, le=64, description="Number of pyramid levels (1 if not multiscale)."
    )
    size_bucket: _Int = Field(
        ge=-1,
        le=80,
        description="Size class of the data: the power of two just above its size in bytes "
        "(shape × item size of the largest level), as an exponent; e.g. 20 means up to 1 MiB. "
        "-1 when unknown. Never the shape or values.",
    )
    count: _Count = Field(1, description="How many such layers were added that day.")


class CounterRecord(RecordBase):
    """How often a plugin counted one of its approved counters on one day, by label."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = CounterKey._fields
    COUNT_FIELD: ClassVar[str | None] = "count"

    type: Literal["counter"] = Field(
        "counter",
        description="Record type: a plugin's own counter, counted only when you switched that "
        "plugin's counters on in the napari-telemetry settings dock.",
    )
    plugin: Annotated[str, StringConstraints(max_length=100, pattern=PLUGIN_PATTERN)] = Field(
        description="Normalized name of the plugin that counted, e.g. `napari-stardist`: only "
        "a plugin whose counters the collector's operators approved in a public review and "
        "that you switched on."
    )
    counter: Annotated[str, StringConstraints(max_length=40, pattern=COUNTER_PATTERN)] = Field(
        description="The counter's name as the plugin declares it, e.g. `segmentations`; its "
        "description (what it counts) is shown next to the plugin's switch and in the preview."
    )
    label: Annotated[str, StringConstraints(max_length=40, pattern=RECORD_LABEL_PATTERN)] = Field(
        description="One label of the counter's closed, approved list, e.g. a model's name "
        "(never free text, a file name or a number from your data); empty for a counter "
        "without labels."
    )
    count: _Count = Field(1, description="How many times it was counted that day.")
