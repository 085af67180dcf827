"""The batch envelope: one day of one level's stream, as sent to ``/v1/{level}/batches``."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal, Union

from pydantic import Field, StrictBool, StringConstraints, field_validator

from ._base import RecordBase, WireModel
from ._levels import Level
from ._records import (
    CommandRecord,
    CounterRecord,
    LayerRecord,
    PluginRecord,
    SessionRecord,
    a_number,
)
from ._weeks import WEEK_PATTERN

SCHEMA_VERSION = 1
MAX_RECORDS = 5_000
MAX_BATCH_BYTES = 1 << 20  # the largest body (compact JSON, inflated) a collector must take
# A random (version 4) UUID as ``str(uuid.uuid4())`` writes it: one spelling on the wire, so the
# collector's published schema can state exactly what it takes (braces, ``urn:uuid:``, capitals
# or no hyphens, which Python's UUID parser would also read, are refused).
BATCH_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_BATCH_ID = re.compile(BATCH_ID_PATTERN)

FullRecord = Annotated[
    Union[CommandRecord, LayerRecord, CounterRecord],  # noqa: UP007
    Field(discriminator="type"),
]
RECORD_TYPES: dict[Level, tuple[type[RecordBase], ...]] = {
    Level.BASIC: (SessionRecord,),
    Level.MIDDLE: (PluginRecord,),
    Level.FULL: (CommandRecord, LayerRecord, CounterRecord),
}
RECORD_MODELS: dict[str, type[RecordBase]] = {
    model.model_fields["type"].default: model
    for models in RECORD_TYPES.values()
    for model in models
}
RECORD_LEVEL: dict[str, Level] = {
    rtype: level
    for level, models in RECORD_TYPES.items()
    for rtype, model in RECORD_MODELS.items()
    if model in models
}
InstallAge = Literal["week", "month", "half_year", "older"]


class BatchBase(WireModel):
    """One level's records for one day of one installation, sent once."""

    schema_version: Literal[1] = Field(
        1, description="Version of this wire format; the collector rejects others."
    )
    batch_id: uuid.UUID = Field(
        description="Random identifier of this batch, so a retried upload is stored only once."
    )
    user_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] = Field(
        description="Anonymous weekly identifier: a keyed hash of the ISO week with a random "
        "secret kept on your computer. It changes every week and cannot be linked across weeks "
        "by the collector."
    )
    week: Annotated[str, StringConstraints(pattern=WEEK_PATTERN)] = Field(
        description="ISO week of the records, e.g. `2026-W48`. No finer time is sent."
    )
    first_report: StrictBool = Field(
        description="Whether this is the first batch this computer ever sent at this level."
    )
    install_age: InstallAge = Field(
        description="How long ago telemetry was first enabled on this computer: `week`, `month`, "
        "`half_year` or `older` (a coarse bucket, never a date)."
    )
    client_version: Annotated[
        str, StringConstraints(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z.!_-]+$")
    ] = Field(
        description="Version of the napari-telemetry plugin that sent the batch (its public "
        "part, without a local `+…` label)."
    )

    @field_validator("schema_version", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        return a_number(value)  # `true` is not 1 on the wire, whatever Python thinks

    @field_validator("batch_id", mode="before")
    @classmethod
    def _one_spelling(cls, value: Any) -> Any:
        # A check beside the JSON Schema, not in it: the consent hash (level_hash) is the schema's.
        if isinstance(value, str) and not _BATCH_ID.match(value):
            raise ValueError(
                f"batch_id must be a random (version 4) UUID in lower-case 8-4-4-4-12 form, "
                f"got {value!r}"
            )
        return value

    @field_validator("batch_id")
    @classmethod
    def _uuid4_only(cls, value: uuid.UUID) -> uuid.UUID:
        if value.version != 4:
            raise ValueError(
                f"batch_id must be a random (version 4) UUID, got version {value.version!r}"
            )
        return value


class BasicBatch(BatchBase):
    """A day of the `basic` stream."""

    level: Literal["basic"] = Field(description="The stream: `basic`, sent to its own endpoint.")
    records: list[SessionRecord] = Field(
        max_length=MAX_RECORDS, description="The `session` records of that day."
    )


class MiddleBatch(BatchBase):
    """A day of the `middle` stream."""

    level: Literal["middle"] = Field(description="The stream: `middle`, sent to its own endpoint.")
    records: list[PluginRecord] = Field(
        max_length=MAX_RECORDS, description="The `plugin` records of that day."
    )


class FullBatch(BatchBase):
    """A day of the `full` stream."""

    level: Literal["full"] = Field(description="The stream: `full`, sent to its own endpoint.")
    records: list[FullRecord] = Field(
        max_length=MAX_RECORDS,
        description="The `command`, `layer` and `counter` records of that day.",
    )


Batch = Union[BasicBatch, MiddleBatch, FullBatch]  # noqa: UP007
BATCH_MODELS: dict[Level, type[BasicBatch | MiddleBatch | FullBatch]] = {
    Level.BASIC: BasicBatch,
    Level.MIDDLE: MiddleBatch,
    Level.FULL: FullBatch,
}
