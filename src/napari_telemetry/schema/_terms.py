"""What each field may contain, and what changed since a user agreed, in plain words.

A consent record keeps the terms of every field it agreed to (the field's JSON Schema without
its wording). When the level's hash changes, comparing those with today's terms says, field by
field, what is new: ``layer.os_name: now also reports `other```. A field whose meaning changes
while its type does not gets ``json_schema_extra={"meaning": 2}`` (and so a new hash).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._batch import BATCH_MODELS, RECORD_MODELS
from ._catalogue import _strip_prose, level_fields
from ._levels import Level

Terms = dict[str, dict[str, Any]]
_KINDS = {"string": "text", "integer": "a whole number", "number": "a number",
          "boolean": "yes or no", "array": "a list", "object": "a group of values"}  # fmt: skip
_LIMITS = (
    ("maximum", "at most {}"),
    ("minimum", "at least {}"),
    ("maxLength", "at most {} characters long"),
    ("minLength", "at least {} characters long"),
)


def level_terms(level: Level) -> Terms:
    """Every ``record.field`` (and ``envelope.field``) a user at *level* sends → its terms."""
    terms: Terms = {}
    for stream in level.streams():
        schema = BATCH_MODELS[stream].model_json_schema()
        for name, field in schema["properties"].items():
            if name not in ("records", "level"):  # the stream itself, and the list of records
                terms[f"envelope.{name}"] = _strip_prose(field)
        for record in schema.get("$defs", {}).values():
            rtype = record.get("properties", {}).get("type", {}).get("const")
            for name, field in record.get("properties", {}).items() if rtype else ():
                if name != "type":
                    terms[f"{rtype}.{name}"] = _strip_prose(field)
    return terms


def changes(
    level: Level, agreed: Mapping[str, Any] | None, agreed_fields: tuple[str, ...]
) -> list[str]:
    """What a user who agreed to *level* under *agreed* terms would now send differently.

    *agreed* is None for an agreement recorded before terms were kept: then only added and
    removed fields (from *agreed_fields*) can be named.
    """
    now, descriptions = level_terms(level), level_fields(level)
    then = dict(agreed) if agreed is not None else dict.fromkeys(agreed_fields)
    lines = _new_kinds(now.keys() - then, then.keys())
    lines += [f"`{name}`: new: {descriptions.get(name, '')}" for name in sorted(now.keys() - then)]
    lines += [f"`{name}`: no longer sent" for name in sorted(then.keys() - now)]
    for name in sorted(now.keys() & then):
        old = then[name]
        if isinstance(old, dict) and old != now[name]:
            lines.append(f"`{name}`: {'; '.join(_words(old, now[name]))}")
    if agreed is None:
        lines.append(
            "what some fields may contain changed: you agreed with an older napari-telemetry "
            "that did not keep the details (the data catalogue lists every field)"
        )
    elif not lines:
        lines.append("how batches are put together changed, but no field's content did")
    return lines


def _new_kinds(added: set[str], kept: Iterable[str]) -> list[str]:
    """A record type that is new as a whole, said first and in its own words."""
    known = {name.partition(".")[0] for name in kept}
    kinds = sorted({name.partition(".")[0] for name in added} - known - {"envelope"})
    return [
        f"new kind of record, `{kind}`: {RECORD_MODELS[kind].model_fields['type'].description}"
        for kind in kinds
        if kind in RECORD_MODELS
    ]


def _words(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = _value_words(old, new)
    if old.get("type") != new.get("type"):
        out.append(f"is now {_kind(new)} (was {_kind(old)})")
    for key, template in _LIMITS:
        if old.get(key) != new.get(key):
            was = template.format(old[key]) if key in old else "no limit"
            limit = template.format(new[key]) if key in new else "without that limit"
            out.append(f"now {limit} (was {was})")
    if old.get("pattern") != new.get("pattern"):
        out.append("now takes values of another form")
    if old.get("meaning") != new.get("meaning"):
        out.append("means something new (see its description)")
    return out or ["what it may contain changed"]


def _value_words(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = _values(old), _values(new)
    if before is None or after is None:
        return []
    added = ", ".join(f"`{v}`" for v in after if v not in before)
    gone = ", ".join(f"`{v}`" for v in before if v not in after)
    return ([f"now also reports {added}"] if added else []) + (
        [f"no longer reports {gone}"] if gone else []
    )


def _values(terms: dict[str, Any]) -> list[Any] | None:
    if "enum" in terms:
        return list(terms["enum"])
    return [terms["const"]] if "const" in terms else None


def _kind(terms: dict[str, Any]) -> str:
    return _KINDS.get(str(terms.get("type")), "another kind of value")
