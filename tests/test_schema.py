"""The wire schema: strict models, per-level streams, stable consent hashes."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

import pydantic
import pytest

from napari_telemetry import schema
from napari_telemetry.schema import (
    BATCH_MODELS,
    RECORD_MODELS,
    CommandKey,
    CommandRecord,
    LayerKey,
    LayerRecord,
    Level,
    PluginKey,
    PluginRecord,
    RecordBase,
    SessionKey,
    SessionRecord,
)


def envelope(level: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "batch_id": str(uuid.uuid4()),
        "level": level,
        "user_id": "0123456789abcdef0123456789abcdef",
        "week": "2026-W48",
        "first_report": True,
        "install_age": "week",
        "client_version": "0.1.0",
        "records": records,
    }


SESSION = {
    "type": "session",
    "napari_version": "0.9.2",
    "python_version": "3.11.7",
    "os_name": "Linux",
    "os_version": "debian-12",
    "arch": "x86_64",
    "launches": 2,
}
PLUGIN = {"type": "plugin", "name": "napari-svg", "version": "0.2.1"}
COMMAND = {
    "type": "command",
    "command_id": "napari:window:file:open",
    "plugin": "napari",
    "count": 3,
}
LAYER = {
    "type": "layer",
    "layer_type": "Image",
    "data_type": "dask.Array",
    "ndim": 3,
    "dtype": "uint16",
    "multiscale": False,
    "levels": 1,
    "size_bucket": 27,
    "count": 1,
}
BY_LEVEL = {"basic": [SESSION], "middle": [PLUGIN], "full": [COMMAND, LAYER]}


@pytest.mark.parametrize("level", ["basic", "middle", "full"])
def test_valid_batch_round_trips(level: str) -> None:
    model = BATCH_MODELS[Level(level)]
    batch = model.model_validate(envelope(level, BY_LEVEL[level]))
    again = model.model_validate_json(batch.model_dump_json())
    assert again == batch
    assert [r.type for r in batch.records] == [r["type"] for r in BY_LEVEL[level]]


@pytest.mark.parametrize(
    ("level", "record"),
    [("basic", PLUGIN), ("middle", SESSION), ("full", SESSION), ("basic", COMMAND)],
)
def test_record_type_of_another_level_is_rejected(level: str, record: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        BATCH_MODELS[Level(level)].model_validate(envelope(level, [record]))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.update(extra_field=1),
        lambda e: e["records"][0].update(path="/home/alice/cells.tif"),
        lambda e: e.update(batch_id="not-a-uuid"),
        lambda e: e.update(batch_id=str(uuid.uuid1())),
        lambda e: e.update(user_id="alice"),
        lambda e: e.update(week="2026-11-28"),
        lambda e: e.update(schema_version=2),
        lambda e: e.update(install_age="3 days"),
        lambda e: e["records"][0].update(count=0),
        lambda e: e["records"][0].update(command_id="x" * 500),
        lambda e: e["records"][0].update(command_id="/home/alice"),
    ],
)
def test_invalid_envelopes_are_rejected(mutate: Any) -> None:
    data = envelope("full", [dict(COMMAND)])
    mutate(data)
    with pytest.raises(pydantic.ValidationError):
        BATCH_MODELS[Level.FULL].model_validate(data)


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "1", None])
@pytest.mark.parametrize("where", ["first_report", "multiscale"])
def test_booleans_are_strict(where: str, value: Any) -> None:
    data = envelope("full", [dict(LAYER)])
    (data if where == "first_report" else data["records"][0])[where] = value
    model = BATCH_MODELS[Level.FULL]
    with pytest.raises(pydantic.ValidationError, match=where):
        model.model_validate(data)
    with pytest.raises(pydantic.ValidationError, match=where):
        model.model_validate_json(json.dumps(data))  # what the collector does


def test_records_are_bounded() -> None:
    data = envelope("full", [COMMAND] * (schema.MAX_RECORDS + 1))
    with pytest.raises(pydantic.ValidationError):
        BATCH_MODELS[Level.FULL].model_validate(data)


def test_every_field_is_described() -> None:
    models = [schema.BatchBase, *(m for ms in schema.RECORD_TYPES.values() for m in ms)]
    undescribed = [
        f"{m.__name__}.{name}"
        for m in models
        for name, info in m.model_fields.items()
        if not (info.description and info.description.strip())
    ]
    assert undescribed == []


def test_level_order_and_streams() -> None:
    assert Level.FULL.streams() == (Level.BASIC, Level.MIDDLE, Level.FULL)
    assert Level.BASIC.streams() == (Level.BASIC,)
    assert Level.NONE.streams() == ()
    assert Level.MIDDLE.includes(Level.BASIC)
    assert not Level.BASIC.includes(Level.MIDDLE)
    assert Level.parse(" Middle ") is Level.MIDDLE
    with pytest.raises(ValueError, match="'loud'"):
        Level.parse("loud")


def test_level_hashes_differ_and_are_stable_across_processes() -> None:
    hashes = {lv: schema.computed_level_hash(lv) for lv in schema.SENDING_LEVELS}
    assert len(set(hashes.values())) == 3
    code = "from napari_telemetry import schema as s; print(s.computed_level_hash(s.Level.FULL))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == hashes[Level.FULL]


@pytest.mark.parametrize("level", list(Level))
def test_the_pinned_consent_hashes_are_the_models(level: Level) -> None:
    # A launch checks consent against the pinned hash (it builds no JSON Schema): a model change
    # that alters what a level collects must come with its new hash, or nobody is asked again.
    assert schema.level_hash(level) == schema.computed_level_hash(level), (
        f"what {level.value!r} collects changed: set LEVEL_HASHES[Level.{level.name}] in "
        f"schema/_catalogue.py to {schema.computed_level_hash(level)!r} (users at that level "
        "will be asked for their consent again)"
    )


def test_level_hash_ignores_wording_but_not_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    before = schema.computed_level_hash(Level.BASIC)
    from napari_telemetry.schema import _catalogue

    original = _catalogue.BATCH_MODELS[Level.BASIC].model_json_schema()

    def reworded(*a: Any, **k: Any) -> dict[str, Any]:
        doc = json.loads(json.dumps(original))
        doc["description"] = "new words"
        return doc

    def widened(*a: Any, **k: Any) -> dict[str, Any]:
        doc = json.loads(json.dumps(original))
        doc["properties"]["hostname"] = {"type": "string"}
        return doc

    basic = _catalogue.BATCH_MODELS[Level.BASIC]
    monkeypatch.setattr(basic, "model_json_schema", reworded)
    assert schema.computed_level_hash(Level.BASIC) == before
    monkeypatch.setattr(basic, "model_json_schema", widened)
    assert schema.computed_level_hash(Level.BASIC) != before


def test_level_fields_grow_with_level() -> None:
    basic, middle, full = (set(schema.level_fields(lv)) for lv in schema.SENDING_LEVELS)
    assert basic < middle < full
    assert "plugin.name" in middle - basic
    assert "layer.size_bucket" in full - middle
    assert schema.level_fields(Level.NONE) == {}


def test_schema_imports_neither_qt_nor_napari() -> None:
    code = (
        "import sys, napari_telemetry.schema\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'napari', 'qtpy', 'PyQt6', 'PySide6', 'superqt', 'magicgui', 'requests', 'npe2'})\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("model", [SessionRecord, PluginRecord, CommandRecord, LayerRecord])
def test_each_record_is_keyed_by_its_key_type(model: type[RecordBase]) -> None:
    key = {SessionRecord: SessionKey, PluginRecord: PluginKey, CommandRecord: CommandKey,
           LayerRecord: LayerKey}[model]  # fmt: skip
    assert key._fields == model.KEY_FIELDS
    assert set(key._fields) <= set(model.model_fields)


def test_a_record_is_made_from_its_key_in_one_step() -> None:
    key = LayerKey("Image", "numpy.ndarray", 3, "uint8", False, 1, 20)
    record = LayerRecord.from_key(key, 7)
    assert record == LayerRecord(**key._asdict(), count=7)
    assert LayerRecord.from_key(tuple(key), 7) == record  # a key read back from a file
    assert PluginRecord.from_key(PluginKey("napari-svg", "0.2.1")).name == "napari-svg"
    assert RECORD_MODELS["command"] is CommandRecord
    with pytest.raises(ValueError, match="needs 7 key values, got 6"):
        LayerRecord.from_key(tuple(key)[:6])
    with pytest.raises(ValueError, match="count"):
        CommandRecord.from_key(CommandKey("napari.x", "napari"), 0)
    with pytest.raises(ValueError, match="layer_type"):
        LayerRecord.from_key(key._replace(layer_type="my/path"))
