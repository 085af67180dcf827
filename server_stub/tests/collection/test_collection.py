"""The collection manifest: signed from the reviewed file, served, and the judge of each week."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from napari_telemetry.schema import (
    FullBatch,
    SignedCollection,
    canonical_json,
    iso_week,
    shift_week,
)
from napari_telemetry_server import Settings
from napari_telemetry_server._cli import main
from napari_telemetry_server.collection import Approvals, latest_version, sign_collection
from napari_telemetry_server.keys import key_id
from tests.collector_testing import LiveServer

TODAY = date.today()
LATER = TODAY + timedelta(days=300)


def reviewed(*, labels: str = '["cyto", "nuclei"]', extra: str = "") -> str:
    """The operators' reviewed file with one plugin and two counters."""
    return f"""\
[plugins.napari-example]
review = "https://github.com/napari/napari-telemetry-collection/pull/1"

[plugins.napari-example.counters.segmentations]
description = "How often a segmentation ran, whatever the data."
owner = "maintainers@example.org"
expires = {LATER}
data_category = "interaction"

[plugins.napari-example.counters.models]
description = "Which pretrained model a segmentation used, by the model's name."
labels = {labels}
owner = "maintainers@example.org"
expires = {LATER}
data_category = "technical"
{extra}"""


EXPIRED = """
[plugins.napari-example.counters.old_viewer]
description = "How often the old viewer mode was used, before it went."
owner = "maintainers@example.org"
expires = 2026-01-01
data_category = "interaction"
"""


def sign(folder: Path, text: str, *keys: Ed25519PrivateKey, today: date = TODAY) -> Any:
    return sign_collection(text, list(keys) or [Ed25519PrivateKey.generate()], folder,
                           today=today)  # fmt: skip


def test_signing_writes_the_next_version_verifiable_over_its_canonical_json(
    tmp_path: Path,
) -> None:
    key, next_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    first = sign(tmp_path, reviewed(), key)
    second = sign(tmp_path, reviewed(extra=EXPIRED), key, next_key)  # a rotation: both sign
    assert (first.version, second.version, latest_version(tmp_path)) == (1, 2, 2)
    assert second.left_out == ["plugins.napari-example.counters.old_viewer"]
    document = json.loads((tmp_path / "collection.json").read_bytes())
    assert document == json.loads((tmp_path / "history" / "000002.json").read_bytes())
    envelope = SignedCollection.model_validate(document)
    assert envelope.signed.expires == TODAY + timedelta(days=60)
    assert sorted(envelope.signed.plugins["napari-example"].counters) == [
        "models",
        "segmentations",
    ]
    signed = canonical_json(document["signed"])  # what the client computes
    for signature, signer in zip(document["signatures"], (key, next_key), strict=True):
        assert signature["key_id"] == key_id(signer.public_key())
        signer.public_key().verify(base64.b64decode(signature["signature"]), signed)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (reviewed(labels='["cyto", "Cyto"]'), "differ only by case"),
        (reviewed().replace("interaction", "highly_sensitive"), "'technical' or 'interaction'"),
        (reviewed().replace("review =", "reviewed ="), "`review` is missing"),
        ("plugins = 3", "plugins"),
    ],
)
def test_a_reviewed_file_with_errors_signs_nothing(tmp_path: Path, text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        sign(tmp_path, text)
    assert not (tmp_path / "collection.json").exists()
    assert latest_version(tmp_path) == 0


def _batch(week: str, *records: tuple[str, str, str]) -> FullBatch:
    return FullBatch.model_validate({
        "schema_version": 1, "batch_id": "6f1c3a5e-8d4b-4c2a-9e7f-0a1b2c3d4e5f", "level": "full",
        "user_id": "0" * 32, "week": week, "first_report": False, "install_age": "month",
        "client_version": "0.1.0",
        "records": [{"type": "counter", "plugin": p, "counter": c, "label": lab, "count": 2}
                    for p, c, lab in records]
        + [{"type": "command", "command_id": "napari.x", "plugin": "napari", "count": 1}],
    })  # fmt: skip


def test_each_week_is_judged_by_the_manifests_in_force_that_week(tmp_path: Path) -> None:
    weeks_ago = TODAY - timedelta(days=21)
    sign(tmp_path, reviewed(), today=weeks_ago)  # v1: cyto and nuclei
    sign(tmp_path, reviewed(labels='["cyto"]'))  # v2, today: nuclei removed
    approvals = Approvals(tmp_path)
    then, now = iso_week(weeks_ago), iso_week(TODAY + timedelta(days=7))
    assert ("napari-example", "models", "nuclei") in approvals.approved(then)
    assert ("napari-example", "models", "nuclei") not in approvals.approved(now)
    assert ("napari-example", "segmentations", "") in approvals.approved(now)
    late = approvals.filter(_batch(then, ("napari-example", "models", "nuclei")))
    assert late.dropped == 0  # a late batch is judged by the manifest its client counted under
    filtered = approvals.filter(
        _batch(
            now,
            ("napari-example", "models", "nuclei"),  # removed
            ("napari-example", "models", "cyto"),  # approved
            ("napari-example", "segmentations", "cyto"),  # a label on an unlabelled counter
            ("napari-other", "segmentations", ""),  # another plugin
        )
    )
    assert filtered.dropped == 3
    kept = [(r.type, getattr(r, "label", None)) for r in filtered.batch.records]
    assert kept == [("counter", "cyto"), ("command", None)]


def test_a_counter_past_its_end_is_dropped_from_the_weeks_after(tmp_path: Path) -> None:
    soon = TODAY + timedelta(days=10)
    sign(tmp_path, reviewed().replace(str(LATER), str(soon), 1))  # segmentations ends soon
    approvals = Approvals(tmp_path)
    this_week, later = iso_week(TODAY), shift_week(iso_week(soon), 1)
    assert ("napari-example", "segmentations", "") in approvals.approved(this_week)
    assert ("napari-example", "segmentations", "") not in approvals.approved(later)


def test_without_a_manifest_nothing_is_approved(tmp_path: Path) -> None:
    approvals = Approvals(tmp_path / "nothing")
    assert approvals.current() is None
    filtered = approvals.filter(_batch(iso_week(TODAY), ("napari-example", "models", "cyto")))
    assert filtered.dropped == 1


# ------------------------------------------------------------------ over HTTP


def test_the_collector_serves_the_signed_manifest_as_written(
    serve: Callable[..., LiveServer], settings: Settings
) -> None:
    server = serve(settings)
    missing = httpx.get(f"{server.url}/v1/collection")
    assert missing.status_code == 404
    assert "no plugin counter is approved" in missing.json()["detail"]
    sign(settings.collection_dir, reviewed())
    served = httpx.get(f"{server.url}/v1/collection")
    assert served.status_code == 200
    assert served.content == (settings.collection_dir / "collection.json").read_bytes()
    sign(settings.collection_dir, reviewed(labels='["cyto"]'))  # re-signed: no restart
    assert httpx.get(f"{server.url}/v1/collection").json()["signed"]["version"] == 2


def test_ingest_stores_approved_counters_and_drops_the_rest(
    serve: Callable[..., LiveServer],
    settings: Settings,
    make_batch: Callable[..., dict[str, Any]],
) -> None:
    sign(settings.collection_dir, reviewed())
    server = serve(settings)
    batch = make_batch("full", n=2)
    batch["records"] += [
        {"type": "counter", "plugin": "napari-example", "counter": "models", "label": "cyto",
         "count": 4},
        {"type": "counter", "plugin": "napari-example", "counter": "models", "label": "tissue",
         "count": 1},
        {"type": "counter", "plugin": "napari-example", "counter": "clicks", "label": "",
         "count": 9},
    ]  # fmt: skip
    answer = httpx.post(f"{server.url}/v1/full/batches", json=batch)
    assert answer.status_code == 201
    assert answer.json()["dropped"] == 2
    storage = server.app.state.resources.storage()
    counts = storage.counts()
    assert (counts["counter_records"], counts["command_records"]) == (1, 1)
    with storage.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT plugin, counter, label, count FROM counter_records")
        assert rows.all() == [("napari-example", "models", "cyto", 4)]
    again = httpx.post(f"{server.url}/v1/full/batches", json=batch)  # a retry is a retry
    assert (again.status_code, again.json()["stored"]) == (200, False)


def test_a_batch_of_an_older_client_without_counters_is_stored_as_before(
    collector: LiveServer, make_batch: Callable[..., dict[str, Any]]
) -> None:
    answer = httpx.post(f"{collector.url}/v1/full/batches", json=make_batch("full", n=4))
    assert (answer.status_code, answer.json()["dropped"]) == (201, 0)


def test_check_sign_and_show_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "collection.toml"
    file.write_text(reviewed(extra=EXPIRED))
    assert main(["collection", "check", str(file)]) == 0
    assert capsys.readouterr().out.endswith("can be signed.\n")
    folder, key = tmp_path / "signed", tmp_path / "collection_key.pem"
    args = ["collection", "sign", str(file), "--dir", str(folder), "--key", str(key)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"created a new collection key {key}" in out
    assert "left out (expired): plugins.napari-example.counters.old_viewer" in out
    assert "signed collection manifest version 1 (2 counters)" in out
    assert main(["collection", "show", "--dir", str(folder)]) == 0
    shown = capsys.readouterr().out
    assert f"napari-example.models until {LATER} (cyto, nuclei)" in shown
    assert main(["key", "--key", str(key), "--pem"]) == 0
    assert "-----BEGIN PUBLIC KEY-----" in capsys.readouterr().out
    file.write_text(reviewed(labels='["a b"]'))
    assert main(["collection", "check", str(file)]) == 1
    assert "never free text" in capsys.readouterr().out
    assert main(["collection", "sign", str(file), "--dir", str(folder), "--key", str(key)]) == 2
    assert "nothing signed" in capsys.readouterr().err
