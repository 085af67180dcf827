"""``POST /v1/{level}/batches``: one route per level, validated with that level's wire model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from napari_telemetry.schema import BATCH_MODELS, SENDING_LEVELS, Level, WeekRefused, check_week
from napari_telemetry_server.storage import Outcome, batch_digest

from ._body import read_json_body
from ._deps import resources_of
from ._openapi import json_body
from ._problems import conflict, invalid, refused_week, responses

router = APIRouter(tags=["ingest"])


class Stored(BaseModel):
    """The batch is safe with the collector (stored now, or already stored before)."""

    batch_id: str = Field(description="The batch's identifier, echoed.")
    stored: bool = Field(
        description="True when stored now; false for a duplicate or a deleted id."
    )
    dropped: int = Field(
        0,
        description="Records of the batch not stored: plugin counters that no collection "
        "manifest in force that week approves, plugins or commands outside the public index.",
    )


Handler = Callable[..., Awaitable[JSONResponse]]


def _handler(level: Level) -> Handler:
    model = BATCH_MODELS[level]

    async def ingest(request: Request) -> JSONResponse:
        resources = resources_of(request)
        raw = await read_json_body(request, resources.settings.max_body_bytes)
        try:
            batch = model.model_validate_json(raw)
        except ValidationError as e:
            return invalid(e)
        try:
            check_week(batch.week, resources.today())
        except WeekRefused as e:
            return refused_week(e)
        digest = batch_digest(batch)  # as sent: a retry stays the same if the index changed
        received = len(batch.records)
        batch = resources.collection.filter(resources.plugins.filter(batch)).batch
        dropped = received - len(batch.records)
        outcome = await resources.writer.submit(batch, digest)
        resources.metrics.count(level.value, outcome)
        if outcome is Outcome.CONFLICT:
            return conflict(str(batch.batch_id))
        stored = outcome is Outcome.STORED
        if stored:
            resources.metrics.dropped.inc(dropped)
        reply = Stored(batch_id=str(batch.batch_id), stored=stored, dropped=dropped)
        return JSONResponse(reply.model_dump(), status_code=201 if reply.stored else 200)

    return ingest


for _level in SENDING_LEVELS:
    router.add_api_route(
        f"/v1/{_level.value}/batches",
        _handler(_level),
        methods=["POST"],
        name=f"ingest_{_level.value}",
        summary=f"Send one day of the `{_level.value}` stream",
        status_code=201,
        response_model=Stored,
        responses={
            200: {
                "description": "Duplicate (or deleted id): nothing more stored.",
                "model": Stored,
            },
            **responses(400, 409, 413, 415, 422, 429, 503),
        },
        openapi_extra=json_body(BATCH_MODELS[_level]),
    )
