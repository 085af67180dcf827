"""The OpenAPI document: the wire models the routes read themselves, and what else is enforced.

A schema-valid request must be accepted (schemathesis checks it, server_stub/tests/collector/
test_collector_fuzz.py), so the document states every rule the collector applies beyond the
models' JSON Schema: the one spelling of ``batch_id``, the weeks accepted on the day it is served
(the window moves with the collector's clock), and what ``Content-Encoding: gzip`` requires.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from napari_telemetry.schema import (
    BATCH_ID_PATTERN,
    BATCH_MODELS,
    RAW_RETENTION_DAYS,
    newest_week,
    oldest_week,
    shift_week,
)

_REF = "#/components/schemas/{model}"
_BODY_MODELS: dict[str, type[BaseModel]] = {}
_BATCHES = {model.__name__ for model in BATCH_MODELS.values()}

BODY = (
    "JSON (`application/json`, UTF-8). It may be compressed: with `Content-Encoding: gzip` the "
    "body must be one gzip stream (plain JSON, a corrupt or a truncated stream is refused with "
    "400), and the inflated size has the same limit as the raw one (413)."
)
BATCH_ID = (
    " Written as `str(uuid.uuid4())` does: lower-case, 8-4-4-4-12 hex digits, version 4 (any "
    "other spelling is refused with 422)."
)
WEEK = (
    f" The collector accepts only the weeks from the oldest still inside its {RAW_RETENTION_DAYS}"
    "-day raw retention to the current ISO week by its clock (a day ahead allowed for a clock "
    "that runs fast): `enum` lists them on the day this document was served. Any other week is "
    "refused with 422, `type` `week_before_retention`, `week_in_future` or "
    "`week_not_in_calendar`."
)


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads and validates *model* from a JSON body itself."""
    _BODY_MODELS[model.__name__] = model
    schema = {"$ref": _REF.format(model=model.__name__)}
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "description": BODY, "content": content}}


def accepted_weeks(today: date) -> list[str]:
    """Every week a batch may name on *today*, oldest first (``check_week``'s window)."""
    weeks = [oldest_week(today)]
    while weeks[-1] != newest_week(today):
        weeks.append(shift_week(weeks[-1], 1))
    return weeks


def openapi_builder(app: FastAPI, today: Callable[[], date]) -> Callable[[], dict[str, Any]]:
    """A replacement for ``app.openapi``: the body models added, the week window of *today*."""
    static: dict[str, Any] = {}
    served: dict[date, dict[str, Any]] = {}

    def build() -> dict[str, Any]:
        if not static:
            static.update(_document(app))
        day = today()
        if day not in served:
            served.clear()
            served[day] = _with_weeks(static, accepted_weeks(day))
        app.openapi_schema = served[day]
        return served[day]

    return build


def _document(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, model in _BODY_MODELS.items():
        schema = model.model_json_schema(ref_template=_REF)
        components.update(schema.pop("$defs", {}))
        components[name] = schema
        if name in _BATCHES:
            batch_id = schema["properties"]["batch_id"]
            batch_id["pattern"] = BATCH_ID_PATTERN
            batch_id["description"] += BATCH_ID
            schema["properties"]["week"]["description"] += WEEK
    _require_discriminators(components)
    return doc


def _require_discriminators(components: dict[str, Any]) -> None:
    """A record of the full stream needs its ``type``: the discriminator tells them apart.

    OpenAPI requires a discriminator's property in each schema it maps to; pydantic leaves it
    optional there, because one record type alone (a session) may leave it out.
    """
    for node in _walk(components):
        tag = node.get("discriminator", {}).get("propertyName")
        for ref in node.get("discriminator", {}).get("mapping", {}).values():
            target = components[ref.rsplit("/", 1)[-1]]
            target["required"] = sorted({*target.get("required", []), tag})


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _walk(item)]
    if not isinstance(node, dict):
        return []
    return [node, *(found for value in node.values() for found in _walk(value))]


def _with_weeks(static: dict[str, Any], weeks: list[str]) -> dict[str, Any]:
    doc = copy.deepcopy(static)
    for name in _BATCHES:
        doc["components"]["schemas"][name]["properties"]["week"]["enum"] = weeks
    return doc
