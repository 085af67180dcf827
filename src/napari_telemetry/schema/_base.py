"""The one frozen pydantic base every wire model derives from."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    """Frozen, strict about unknown fields: what is not described is not accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class RecordBase(WireModel):
    """A record of one level's stream.

    ``KEY_FIELDS`` identify a record when a day's records are merged into a batch (they are
    the fields of the record's key type, ``_keys``);
    ``COUNT_FIELD`` (if any) is summed over records with the same key, otherwise
    records with the same key are kept once.
    """

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ()
    COUNT_FIELD: ClassVar[str | None] = None
