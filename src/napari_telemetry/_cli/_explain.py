"""``napari-telemetry preview --explain``: every field of a batch with the schema's description.

The same descriptions the preview dock shows on hover and the data catalogue lists.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from napari_telemetry.schema import BATCH_MODELS, RECORD_TYPES, Level, level_fields

_WIDTH = 99


def descriptions(level: Level) -> dict[str, str]:
    """``envelope.<field>`` and ``<record type>.<field>`` (``type`` too) → description."""
    fields = level_fields(level)
    envelope = BATCH_MODELS[level].model_fields  # with `level` and `records` of this stream
    fields.update({f"envelope.{name}": info.description or "" for name, info in envelope.items()})
    for model in RECORD_TYPES[level]:
        kind = model.model_fields["type"]
        fields[f"{kind.default}.type"] = kind.description or ""
    return fields


def explain_lines(
    batch: dict[str, Any], counters: Mapping[tuple[str, str], str] | None = None
) -> list[str]:
    """One batch, field by field: ``name: value`` and its description below it.

    A plugin's counter record also says what that counter counts (*counters*: its approved
    description by (plugin, counter)).
    """
    try:
        fields = descriptions(Level(str(batch.get("level"))))
    except (ValueError, KeyError):  # not a level that sends: nothing to explain with
        fields = {}
    lines = [f"batch {batch.get('batch_id')} ({batch.get('level')} stream)"]
    for name, value in batch.items():
        shown = len(value) if name == "records" else value
        lines += _field("  ", name, shown, fields.get(f"envelope.{name}", ""))
    for number, record in enumerate(batch.get("records") or [], 1):
        rtype = record.get("type", "?")
        lines.append(f"    record {number}, {rtype}: {fields.get(f'{rtype}.type', '')}".rstrip())
        for name, value in record.items():
            if name != "type":
                lines += _field("      ", name, value, fields.get(f"{rtype}.{name}", ""))
        what = (counters or {}).get((record.get("plugin"), record.get("counter")))
        if rtype == "counter" and what:
            lines += _field("      ", "what it counts", "", what)
    return lines


def _field(indent: str, name: str, value: object, description: str) -> list[str]:
    text = textwrap.wrap(description, _WIDTH - len(indent) - 4) or ["(no description)"]
    return [f"{indent}{name}: {value}", *(f"{indent}    {line}" for line in text)]
