"""Rows from wire batches: the envelope row, typed record tuples, multi-row INSERT text."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from napari_telemetry.schema import Batch

from ._tables import INSERT_COLUMNS, RECORD_FIELDS


@functools.lru_cache(maxsize=256)
def multi_insert(table: str, rows: int, marker: str) -> str:
    """``INSERT INTO table (...) VALUES (...), (...)`` for *rows* rows, in the driver's style."""
    columns = INSERT_COLUMNS[table]
    one = "(" + ", ".join([marker] * len(columns)) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * rows)


def envelope_row(batch: Batch, digest: str, today: date) -> dict[str, Any]:
    row = batch.model_dump(mode="json", exclude={"records"})
    row["received_on"] = today
    row["digest"] = digest
    return row


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    get = operator.attrgetter(*names)
    return get if len(names) > 1 else lambda record: (get(record),)


_FIELD_GETTERS = {rtype: _getter(names) for rtype, names in RECORD_FIELDS.items()}


def record_rows(group: Iterable[Batch]) -> dict[str, list[tuple[Any, ...]]]:
    """Record rows as tuples in ``INSERT_COLUMNS`` order, by record type."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for batch in group:
        head = (str(batch.batch_id), batch.user_id, batch.week)
        for record in batch.records:
            rows.setdefault(record.type, []).append(head + _FIELD_GETTERS[record.type](record))
    return rows
