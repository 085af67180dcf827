"""``GET /v1/collection``: the signed collection manifest of approved plugin counters."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from napari_telemetry.schema import SignedCollection

from ._deps import ResourcesDep
from ._problems import responses

router = APIRouter(tags=["collection"])


@router.get(
    "/v1/collection",
    response_model=SignedCollection,
    summary="The signed collection manifest (approved plugin counters)",
    responses=responses(404),
)
async def collection(resources: ResourcesDep) -> Response:
    """The manifest exactly as the operators signed it: clients verify its signature with the
    key they ship, and count only the counters it approves."""
    raw = await run_in_threadpool(resources.collection.current)
    if raw is None:
        detail = "no collection manifest is signed here: no plugin counter is approved"
        return JSONResponse({"detail": detail}, status_code=404)
    return Response(raw, media_type="application/json", headers={"Cache-Control": "no-cache"})
