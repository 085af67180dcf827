"""Fuzz the collector from its own OpenAPI document over HTTP: no 5xx, answers as documented."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.collector_testing import LiveServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = [
    "POST /v1/basic/batches",
    "POST /v1/middle/batches",
    "POST /v1/full/batches",
    "POST /v1/deletion",
    "GET /v1/schema/{level}",
    "GET /v1/collection",
    "GET /healthz",
]
NO_INPUT = {"GET /healthz", "GET /v1/collection"}  # nothing there to get wrong


@pytest.mark.slow
@pytest.mark.parametrize(
    ("operation", "mode"),
    [
        (op, mode)
        for op in OPERATIONS
        for mode in GenerationMode
        if op not in NO_INPUT or mode is GenerationMode.POSITIVE
    ],
)
def test_no_server_error_and_documented_answers(
    collector: LiveServer, operation: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{collector.url}/openapi.json")
    found = {
        f"{op.method.upper()} {op.path}": op
        for op in (result.ok() for result in schema.get_all_operations())
    }
    assert set(found) == set(OPERATIONS)

    @given(case=found[operation].as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    fuzz()
