"""A pending file's batch id is kept only in the wire's one spelling (schema.BATCH_ID_PATTERN)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date

import pytest

from napari_telemetry.core import _consent, _paths
from napari_telemetry.core._store._files import read
from napari_telemetry.schema import BATCH_ID_PATTERN, Level

COMMAND = ("napari:layers.add", "napari")


@pytest.mark.parametrize(
    ("header", "kept"),
    [(str(uuid.uuid4()), True), (str(uuid.uuid4()).upper(), False), (uuid.uuid4().hex, False)],
    ids=["as-written", "capitals", "no-hyphens"],  # the same names in every pytest-xdist worker
)
def test_a_header_id_in_another_spelling_is_replaced(header: str, kept: bool) -> None:
    """The collector refuses other spellings: such a file would never be sent."""
    _consent.record_consent(Level.FULL)
    path = _paths.pending_dir("full") / f"{date.today().isoformat()}.jsonl"
    path.parent.mkdir(parents=True)
    line = json.dumps({"c": _consent.current_token(), "t": "command", "k": COMMAND, "n": 2})
    path.write_text(f'{{"batch_id": "{header}"}}\n{line}\n')
    got = read(path)
    assert (got.batch_id == header) is kept
    assert re.match(BATCH_ID_PATTERN, got.batch_id)
    assert got.corrupt == (0 if kept else 1)  # a header it cannot use is counted, as corrupt
