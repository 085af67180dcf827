"""Raw-storage tables, generated from the wire models so storage cannot drift from the schema."""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo
from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, MetaData, String, Table
from sqlalchemy.types import TypeEngine

from napari_telemetry.schema import RECORD_TYPES, RecordBase

metadata = MetaData()
SCHEMA_LOCK = 0x6E61_7061  # PostgreSQL advisory lock id for creating the tables ("napa")

batches = Table(
    "batches",
    metadata,
    Column("batch_id", String(36), primary_key=True),
    Column("level", String(8), nullable=False),
    Column("user_id", String(32), nullable=False, index=True),
    Column("week", String(8), nullable=False, index=True),
    Column("first_report", Boolean, nullable=False),
    Column("install_age", String(16), nullable=False),
    Column("client_version", String(40), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("received_on", Date, nullable=False, index=True),
    # batch_digest() of what the batch said, so a batch_id sent again with other content is
    # told apart from a retry (NULL in rows stored before digests existed: taken as a retry).
    Column("digest", String(32), nullable=True),
)

tombstones = Table(
    "tombstones",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("until", Date, nullable=False),
)


def _column_type(info: FieldInfo) -> TypeEngine[Any]:
    """The SQL type of one wire-model field (a Literal, bool, int or constrained str)."""
    annotation = info.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        raise TypeError(f"optional wire fields are not storable: {annotation!r}")
    if get_origin(annotation) is Literal:
        return String(max(len(str(v)) for v in get_args(annotation)))
    if annotation is bool:
        return Boolean()
    if annotation is int:
        return Integer()
    if annotation is str:
        lengths = [getattr(m, "max_length", None) for m in info.metadata]
        return String(next((n for n in lengths if isinstance(n, int)), 200))
    raise TypeError(f"no SQL type for wire field annotation {annotation!r}")


def _record_table(model: type[RecordBase]) -> Table:
    name = f"{model.model_fields['type'].default}_records"
    fields = [
        Column(field, _column_type(info), nullable=False)
        for field, info in model.model_fields.items()
        if field != "type"
    ]
    batch_fk = ForeignKey("batches.batch_id", ondelete="CASCADE")
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("batch_id", String(36), batch_fk, nullable=False, index=True),
        Column("user_id", String(32), nullable=False),
        Column("week", String(8), nullable=False),
        *fields,
        Index(f"ix_{name}_user_week", "user_id", "week"),
    )


record_tables: dict[str, Table] = {
    model.model_fields["type"].default: _record_table(model)
    for models in RECORD_TYPES.values()
    for model in models
    if issubclass(model, RecordBase)
}

# Column order of the record INSERTs: batch_id, user_id, week, then the record's own fields.
INSERT_COLUMNS = {
    t.name: [c.name for c in t.columns if c.name != "id"] for t in record_tables.values()
}
RECORD_FIELDS = {rtype: INSERT_COLUMNS[t.name][3:] for rtype, t in record_tables.items()}
