"""Integers on the wire are JSON numbers: ``true`` and ``"3"`` are refused (the collector's
published schema says ``integer``), while the numbers napari hands the glue (NumPy's) count."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from napari_telemetry.schema import LayerRecord, SessionRecord

LAYER: dict[str, Any] = {"type": "layer", "layer_type": "Image", "data_type": "numpy.ndarray",
                         "ndim": 2, "dtype": "uint8", "multiscale": False, "levels": 1,
                         "size_bucket": 20, "count": 1}  # fmt: skip


@pytest.mark.parametrize("field", ["ndim", "levels", "size_bucket", "count"])
@pytest.mark.parametrize("value", [True, "3", b"3"])
def test_what_json_does_not_call_a_number_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match="a whole number is needed"):
        LayerRecord.model_validate({**LAYER, field: value})
    if not isinstance(value, bytes):
        with pytest.raises(ValidationError):
            LayerRecord.model_validate_json(json.dumps({**LAYER, field: value}))


@pytest.mark.parametrize("value", [3, 3.0, np.int64(3), np.int32(3), np.uint8(3)])
def test_numbers_of_any_type_count(value: object) -> None:
    assert LayerRecord.model_validate({**LAYER, "ndim": value}).ndim == 3
    key = ("0.6.4", "3.12.4", "Linux", "ubuntu-24", "x86_64")
    assert SessionRecord.from_key(key, n=value).launches == 3  # type: ignore[arg-type]


def test_a_fraction_is_no_whole_number() -> None:
    with pytest.raises(ValidationError):
        LayerRecord.model_validate({**LAYER, "ndim": 2.5})
