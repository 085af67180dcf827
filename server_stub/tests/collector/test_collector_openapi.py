"""The OpenAPI document states what the collector enforces beyond the wire models' JSON Schema:
the one spelling of ``batch_id``, the weeks accepted today, what gzip needs, why each refusal."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from napari_telemetry.schema import BATCH_ID_PATTERN, BATCH_MODELS, week_accepted
from napari_telemetry_server import Settings, Storage
from napari_telemetry_server.collector._openapi import accepted_weeks
from tests.collector_testing import Clock, LiveServer

Batch = Callable[..., dict[str, Any]]


def _doc(collector: LiveServer) -> dict[str, Any]:
    return httpx.get(f"{collector.url}/openapi.json").json()  # type: ignore[no-any-return]


def test_the_weeks_accepted_today_are_listed_and_move_with_the_clock(
    serve: Callable[..., LiveServer], settings: Settings, storage: Storage, clock: Clock
) -> None:
    collector = serve(settings, storage)
    for day in (date(2026, 3, 1), date(2026, 3, 2)):  # a Sunday (next week too), then Monday
        clock.day = day
        schemas = _doc(collector)["components"]["schemas"]
        weeks = accepted_weeks(day)
        for model in BATCH_MODELS.values():
            assert schemas[model.__name__]["properties"]["week"]["enum"] == weeks
        assert all(week_accepted(w, day) for w in weeks)
        first, last = date.fromisocalendar(*map(int, weeks[0].split("-W")), 1), day
        assert not week_accepted((first - timedelta(weeks=1)).strftime("%G-W%V"), day)
        assert not week_accepted((last + timedelta(weeks=2)).strftime("%G-W%V"), day)
    assert accepted_weeks(date(2026, 3, 1))[-1] == "2026-W10"  # Sunday: next week allowed
    assert accepted_weeks(date(2026, 3, 2))[-1] == "2026-W10"


def test_batch_id_is_one_spelling_and_the_document_says_which(
    collector: LiveServer, make_batch: Batch
) -> None:
    schemas = _doc(collector)["components"]["schemas"]
    for model in BATCH_MODELS.values():
        assert schemas[model.__name__]["properties"]["batch_id"]["pattern"] == BATCH_ID_PATTERN
    one = uuid.uuid4()
    for spelling in (
        one.hex,
        str(one).upper(),
        f"urn:uuid:{one}",
        f"{{{one}}}",
        str(uuid.uuid1()),
    ):
        assert not re.match(BATCH_ID_PATTERN, spelling)
        sent = httpx.post(f"{collector.url}/v1/middle/batches", json=make_batch(batch_id=spelling))
        assert sent.status_code == 422, spelling
        assert sent.json()["detail"][0]["loc"] == ["batch_id"]
    stored = httpx.post(f"{collector.url}/v1/middle/batches", json=make_batch(batch_id=str(one)))
    assert stored.status_code == 201


@pytest.mark.parametrize("field", ["count", "schema_version"])
@pytest.mark.parametrize("value", [True, "1"])
def test_a_number_is_a_json_number(
    collector: LiveServer, make_batch: Batch, field: str, value: object
) -> None:
    batch = make_batch("full", 2)
    if field == "count":
        batch["records"][0]["count"] = value
    else:
        batch[field] = value
    assert httpx.post(f"{collector.url}/v1/full/batches", json=batch).status_code == 422


def test_full_records_need_their_type_and_the_document_says_so(
    collector: LiveServer, make_batch: Batch
) -> None:
    schemas = _doc(collector)["components"]["schemas"]
    assert "type" in schemas["CommandRecord"]["required"]
    assert "type" in schemas["LayerRecord"]["required"]
    batch = make_batch("full", 2)
    del batch["records"][0]["type"]
    assert httpx.post(f"{collector.url}/v1/full/batches", json=batch).status_code == 422


def test_gzip_is_described_on_the_body_and_a_plain_body_labelled_gzip_is_400(
    collector: LiveServer, make_batch: Batch
) -> None:
    post = _doc(collector)["paths"]["/v1/middle/batches"]["post"]
    assert "Content-Encoding: gzip" in post["requestBody"]["description"]
    assert "gzip" in post["responses"]["400"]["description"]
    assert not [p for p in post.get("parameters", []) if p["name"] == "Content-Encoding"]
    body = json.dumps(make_batch()).encode()
    url = f"{collector.url}/v1/middle/batches"
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    assert httpx.post(url, content=body, headers=headers).status_code == 400
    assert httpx.post(url, content=gzip.compress(body), headers=headers).status_code == 201


def test_every_refusal_is_documented_with_its_reason(collector: LiveServer) -> None:
    paths = _doc(collector)["paths"]
    for level in ("basic", "middle", "full"):
        answers = paths[f"/v1/{level}/batches"]["post"]["responses"]
        assert {"400", "409", "413", "415", "422", "429", "503"} <= set(answers)
        assert "week_before_retention" in answers["422"]["description"]
        assert "Retry-After" in answers["429"]["headers"]
        assert "Retry-After" in answers["503"]["headers"]
    assert {"413", "415", "422", "429", "503"} <= set(paths["/v1/deletion"]["post"]["responses"])
