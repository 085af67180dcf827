"""``GET /v1/schema/{level}``: the JSON Schema each level's batches are validated with."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from napari_telemetry.schema import BATCH_MODELS, Level

router = APIRouter(tags=["schema"])


@router.get("/v1/schema/{level}", summary="JSON Schema of one level's batches")
async def level_schema(level: Literal["basic", "middle", "full"]) -> dict[str, Any]:
    """The JSON Schema the collector validates that level's batches with."""
    return BATCH_MODELS[Level(level)].model_json_schema()
