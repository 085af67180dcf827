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
    """Whether the collector can store batches now."""

    status: Literal["ok", "unavailable"] = Field(description="`ok` when storage answers.")
    requests: int = Field(
        description="Requests received since the collector started, health checks excepted "
        "(a bare count: lets operators and tests see that silent clients stayed silent)."
    )


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
            {"status": "unavailable", "requests": resources.limiter.received},
            status_code=503,
            headers={"Retry-After": "60"},
        )
    return JSONResponse({"status": "ok", "requests": resources.limiter.received})
