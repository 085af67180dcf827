"""Turn a pending file into the exact envelopes that go on the wire."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from napari_telemetry._version import __version__
from napari_telemetry.core import _identity
from napari_telemetry.schema import (
    BATCH_MODELS,
    MAX_BATCH_BYTES,
    MAX_RECORDS,
    RECORD_MODELS,
    Level,
    RecordBase,
)

from ._files import DayFile, Key

log = logging.getLogger("napari_telemetry")
_COUNT_MAX = 1_000_000_000
TokenCheck = Callable[[str, Level], str]  # _consent.judge_token: "send" | "stale" | "keep"


def valid_key(rtype: str, key: tuple[object, ...]) -> bool:
    """Whether a record with this key would pass the schema (its wire model, built once)."""
    try:
        RECORD_MODELS[rtype].from_key(key)
    except (KeyError, ValueError):
        return False
    return True


@dataclass
class Built:
    """Envelopes built from one pending file, and what was left out."""

    envelopes: list[dict[str, Any]] = field(default_factory=list)
    stale: int = 0
    invalid: int = 0
    keep: set[Key] = field(default_factory=set)  # lines left for another environment's plugin


def build(day: DayFile, judge: TokenCheck) -> Built:
    """The envelopes for one pending file; lines whose consent no longer holds are left out,
    and so are lines whose consent only another plugin can judge (``keep``)."""
    level, out = day.level, Built()
    merged: dict[tuple[str, tuple[object, ...]], int] = {}
    verdicts: dict[str, str] = {}  # a file holds few tokens: judge each once
    for entry, n in day.entries.items():
        token, rtype, key = entry
        if token not in verdicts:
            verdicts[token] = judge(token, level)
        if verdicts[token] == "keep":
            out.keep.add(entry)
        elif verdicts[token] != "send":
            out.stale += 1
        else:
            merged[(rtype, key)] = merged.get((rtype, key), 0) + n
    records = []
    for (rtype, key), n in sorted(merged.items(), key=lambda kv: repr(kv[0])):
        try:
            records.append(RECORD_MODELS[rtype].from_key(key, min(n, _COUNT_MAX)))
        except (KeyError, ValueError):
            out.invalid += 1
    if records:
        out.envelopes = _envelopes(day, level, records)
    return out


def _envelopes(day: DayFile, level: Level, records: list[RecordBase]) -> list[dict[str, Any]]:
    week = _identity.iso_week(day.day)
    common = {
        "level": level.value,
        "user_id": _identity.user_id(week),
        "week": week,
        "first_report": _identity.first_report(level),
        "install_age": _identity.install_age(day.day),
        "client_version": __version__.split("+", 1)[0],  # a local label can name a build
    }
    model = BATCH_MODELS[level]
    probe = model.model_validate({**common, "batch_id": day.batch_id, "records": records[:1]})
    empty = len(wire_bytes(probe.model_dump(mode="json"))) - _size(records[0])
    return [
        model.model_validate(
            {**common, "batch_id": _chunk_id(day.batch_id, i), "records": chunk}
        ).model_dump(mode="json")
        for i, chunk in enumerate(_pack(records, empty))
    ]


def wire_bytes(value: object) -> bytes:
    """*value* as the uploader sends it: compact JSON (before gzip)."""
    return json.dumps(value, separators=(",", ":")).encode()


def _pack(records: list[RecordBase], empty: int) -> list[list[RecordBase]]:
    """Records in order, cut into chunks of at most MAX_RECORDS that fit MAX_BATCH_BYTES."""
    chunks: list[list[RecordBase]] = [[]]
    size = empty
    for record in records:
        extra = _size(record) + 1  # and a comma
        if chunks[-1] and (len(chunks[-1]) == MAX_RECORDS or size + extra > MAX_BATCH_BYTES):
            chunks.append([])
            size = empty
        chunks[-1].append(record)
        size += extra
    return chunks


def _size(record: RecordBase) -> int:
    return len(wire_bytes(record.model_dump(mode="json")))


def _chunk_id(batch_id: str, index: int) -> str:
    """The first chunk keeps the file's id; further ones derive a stable random-form id."""
    if index == 0:
        return batch_id
    digest = hashlib.sha256(f"{batch_id}/{index}".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))
