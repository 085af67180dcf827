"""Error replies: one JSON shape for every refusal, and the handlers that produce it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from napari_telemetry.schema import WeekRefused
from napari_telemetry_server.storage import StorageUnavailable

from ._body import BodyError

RETRY_STORAGE_SECONDS = 60
log = logging.getLogger(__name__)


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str = Field(description="What was wrong, in one sentence.")


class Issue(BaseModel):
    """One validation problem."""

    loc: list[str | int] = Field(description="Where in the body.")
    msg: str = Field(description="What is wrong there.")
    type: str = Field(description="Machine-readable kind of problem.")


class Invalid(BaseModel):
    """The body is not a valid batch for this endpoint."""

    detail: list[Issue] = Field(description="Every problem found.")


def _problem(status: int, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers or None)


def conflict(batch_id: str) -> JSONResponse:
    """409: this batch_id is stored with other content (a client bug, never a retry)."""
    return _problem(409, f"batch {batch_id} was already received with other content")


def invalid(e: ValidationError) -> JSONResponse:
    """422 listing where and why, without echoing the input back."""
    issues = e.errors(include_input=False, include_url=False, include_context=False)
    detail = [{"loc": list(i["loc"]), "msg": i["msg"], "type": i["type"]} for i in issues]
    return JSONResponse({"detail": detail}, status_code=422)


def refused_week(e: WeekRefused) -> JSONResponse:
    """422 for a week outside the window, in the shape of a validation error (``loc`` week)."""
    issue = {"loc": ["week"], "msg": str(e), "type": e.problem.value}
    return JSONResponse({"detail": [issue]}, status_code=422)


async def _body_error(_: Request, e: Exception) -> JSONResponse:
    assert isinstance(e, BodyError)
    return _problem(e.status, e.detail)


async def _unavailable(_: Request, e: Exception) -> JSONResponse:
    log.warning("answering 503: %s", e)
    return _problem(503, str(e), **{"Retry-After": str(RETRY_STORAGE_SECONDS)})


async def _validation(_: Request, e: Exception) -> JSONResponse:
    assert isinstance(e, ValidationError)
    return invalid(e)


def install_handlers(app: FastAPI) -> None:
    """Map BodyError, ValidationError and StorageUnavailable to their HTTP answers."""
    app.add_exception_handler(BodyError, _body_error)
    app.add_exception_handler(StorageUnavailable, _unavailable)
    app.add_exception_handler(ValidationError, _validation)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI descriptions of the refusals a route can answer."""
    text = {
        400: "With `Content-Encoding: gzip`, a body that is not one complete gzip stream (plain "
        "JSON, corrupt, truncated or followed by other bytes); or a client gone before the end.",
        404: "Nothing to serve here (no collection manifest was signed).",
        409: "This batch_id was already received with other content; nothing stored.",
        413: "Body larger than the limit, raw or once inflated.",
        415: "`Content-Type` is not `application/json` (UTF-8 if a charset is named), or "
        "`Content-Encoding` is neither `gzip` nor `identity`.",
        422: "Body is not a valid document for this endpoint; `detail` lists every problem "
        "(`loc`, `msg`, `type`). For a batch also: a record type its level does not send, a "
        '`batch_id` in another spelling, a week outside the window (`loc` `["week"]`, `type` '
        "`week_before_retention`, `week_in_future` or `week_not_in_calendar`).",
        429: "Too many requests from this client address in a minute (for deletion: too many "
        "weekly ids); retry after `Retry-After` seconds.",
        503: "Storage is unavailable; retry after `Retry-After` seconds.",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        out[code] = {"description": text[code], "model": Invalid if code == 422 else Problem}
        if code in (429, 503):
            out[code]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return out
