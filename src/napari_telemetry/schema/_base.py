"""The one frozen pydantic base every wire model derives from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    """Frozen, strict about unknown fields: what is not described is not accepted.

    Each model builds its validator on first use (``defer_build``), not when its module is
    imported: a napari launch validates a record or two and builds no batch, so napari's
    memory does not carry the validators of every model the collector uses.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=False, defer_build=True
    )


class RecordBase(WireModel):
    """A record of one level's stream.

    ``KEY_FIELDS`` identify a record when a day's records are merged into a batch (they are
    the fields of the record's key type, ``_keys``);
    ``COUNT_FIELD`` (if any) is summed over records with the same key, otherwise
    records with the same key are kept once.
    """

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ()
    COUNT_FIELD: ClassVar[str | None] = None

    @classmethod
    def from_key(cls, key: Sequence[object], n: int = 1) -> Self:
        """The record with the values of *key* (its key type's, in order) and count *n*.

        The one step from a key to the wire: the store builds its batches with it, and the
        recorder checks a new key with it before it counts one. Raises ``ValueError``
        (pydantic's ``ValidationError`` is one) when the key does not fit the record.
        """
        if len(key) != len(cls.KEY_FIELDS):
            raise ValueError(
                f"{cls.__name__} needs {len(cls.KEY_FIELDS)} key values, got {len(key)}"
            )
        values = dict(zip(cls.KEY_FIELDS, key, strict=True))
        if cls.COUNT_FIELD:
            values[cls.COUNT_FIELD] = n
        return cls.model_validate(values)
