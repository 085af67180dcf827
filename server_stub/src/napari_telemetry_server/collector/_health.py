"""``GET /healthz``: whether the collector can store batches now."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from napari_telemetry_server.storage import StorageUnavailable

from ._deps import ResourcesDep
from ._problems import responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Whether the collector can store batches now, and nothing countable.

    The operators' counters are not here: they are exact counts (when uploads and deletions
    happen), so they are served on a loopback port of their own (``serve --metrics-port``).
    """

    status: Literal["ok", "unavailable"] = Field(description="`ok` when storage answers.")


@router.get(
    "/healthz",
    response_model=Health,
    summary="Liveness and storage check",
    responses=responses(503),
)
async def healthz(resources: ResourcesDep) -> JSONResponse:
    try:
        await run_in_threadpool(lambda: resources.storage().check())
    except StorageUnavailable:
        return JSONResponse(
            {"status": "unavailable"}, status_code=503, headers={"Retry-After": "60"}
        )
    return JSONResponse({"status": "ok"})
