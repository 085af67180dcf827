"""``POST /v1/deletion``: delete the raw rows of a user's weekly ids at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints, ValidationError
from starlette.concurrency import run_in_threadpool

from napari_telemetry.schema import WireModel

from ._body import read_json_body
from ._deps import resources_of
from ._limits import client_key, too_many
from ._openapi import json_body
from ._problems import invalid, responses

MAX_IDS = 12
UserId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]

router = APIRouter(tags=["deletion"])


class DeletionRequest(WireModel):
    """Weekly ids whose raw data must be deleted (the client lists those of the last 9 weeks)."""

    user_ids: list[UserId] = Field(
        min_length=1, max_length=MAX_IDS, description="Weekly ids (32 hex digits each)."
    )


class Accepted(BaseModel):
    """The raw rows are deleted and later batches for these ids will be dropped."""

    deleted: bool = Field(description="Always true: deletion is done before answering.")


@router.post(
    "/v1/deletion",
    status_code=202,
    response_model=Accepted,
    summary="Delete the raw data of weekly ids",
    responses=responses(400, 413, 415, 422, 429, 503),
    openapi_extra=json_body(DeletionRequest),
)
async def delete_ids(request: Request) -> JSONResponse:
    resources = resources_of(request)
    raw = await read_json_body(request, resources.settings.max_body_bytes)
    try:
        ids = DeletionRequest.model_validate_json(raw).user_ids
    except ValidationError as e:
        return invalid(e)
    # Each id becomes a tombstone kept 9 weeks: a client's ids per minute are bounded too.
    wait = resources.deletions.hit(client_key(request.scope), cost=len(set(ids)))
    if wait is not None:
        return too_many(wait)
    await run_in_threadpool(lambda: resources.storage().forget(ids))
    resources.metrics.deleted.inc(len(set(ids)))
    return JSONResponse(Accepted(deleted=True).model_dump(), status_code=202)
