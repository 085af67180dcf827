"""The schema of plugin counters: the record on the wire, the declaration, the signed manifest."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pydantic
import pytest

from napari_telemetry.schema import (
    BATCH_MODELS,
    MAX_COUNTERS,
    MAX_LABELS,
    CounterKey,
    CounterRecord,
    DeclarationError,
    DuplicateKey,
    Level,
    SignedCollection,
    canonical_json,
    changes,
    level_fields,
    level_terms,
    lint_reviewed,
    loads_unique,
    read_declaration,
)

COUNTER = {"type": "counter", "plugin": "napari-example", "counter": "models", "label": "cyto",
           "count": 3}  # fmt: skip
LATER = date.today() + timedelta(days=200)


def batch(level: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": 1, "batch_id": str(uuid.uuid4()), "level": level,
        "user_id": "0" * 32, "week": "2026-W48", "first_report": False,
        "install_age": "month", "client_version": "0.1.0", "records": records,
    }  # fmt: skip


def test_a_counter_record_travels_in_the_full_stream_only() -> None:
    full = BATCH_MODELS[Level.FULL].model_validate(batch("full", [COUNTER]))
    assert full.records[0] == CounterRecord.from_key(
        CounterKey("napari-example", "models", "cyto"), 3
    )
    with pytest.raises(pydantic.ValidationError):
        BATCH_MODELS[Level.MIDDLE].model_validate(batch("middle", [COUNTER]))


def test_a_counter_without_labels_sends_an_empty_label() -> None:
    record = CounterRecord.model_validate({**COUNTER, "label": ""})
    assert record.label == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("plugin", "Napari_Example"),
        ("plugin", "napari example"),
        ("counter", "Models"),
        ("counter", "models.cyto"),
        ("label", "my file.tif"),
        ("label", "/home/alice"),
        ("label", "x" * 41),
        ("count", 0),
        ("extra", "anything"),
    ],
)
def test_a_counter_record_outside_its_rules_is_refused(field: str, value: object) -> None:
    with pytest.raises(pydantic.ValidationError):
        CounterRecord.model_validate({**COUNTER, field: value})


def declaration(labels: int = 2, counters: int = 1) -> str:
    names = ", ".join(f'"m{i}"' for i in range(labels))
    return 'plugin = "napari-example"\n' + "".join(
        f"""
[counters.c{i}]
description = "How often something of the example ran, by its kind."
labels = [{names}]
owner = "maintainers@example.org"
expires = {LATER}
data_category = "technical"
"""
        for i in range(counters)
    )


def test_declarations_are_bounded() -> None:
    assert len(read_declaration(declaration(MAX_LABELS, MAX_COUNTERS)).counters) == MAX_COUNTERS
    with pytest.raises(DeclarationError, match="at most 32"):
        read_declaration(declaration(labels=MAX_LABELS + 1))
    with pytest.raises(DeclarationError, match="at most 16"):
        read_declaration(declaration(counters=MAX_COUNTERS + 1))


def test_a_declaration_in_yaml_shape_is_not_toml() -> None:
    with pytest.raises(DeclarationError) as info:
        read_declaration("plugin: napari-example\ncounters: {}\n")
    assert info.value.problems[0].code == "toml"


def test_the_reviewed_file_is_linted_by_the_same_rules() -> None:
    text = declaration().replace("[counters.c0]", "[plugins.napari-example.counters.c0]")
    text = text.replace('plugin = "napari-example"\n', "")
    text = '[plugins.napari-example]\nreview = "https://github.com/o/r/pull/1"\n' + text
    reviewed, problems = lint_reviewed(text, today=date.today())
    assert reviewed is not None
    assert problems == []
    _stale, problems = lint_reviewed(text, today=LATER)
    assert [p.code for p in problems] == ["expired"]


def test_canonical_json_is_what_both_sides_sign() -> None:
    value = {"b": [1, "é"], "a": {"d": 1, "c": None}}
    assert canonical_json(value) == b'{"a":{"c":null,"d":1},"b":[1,"\\u00e9"]}'


def test_a_key_named_twice_is_refused() -> None:
    with pytest.raises(DuplicateKey, match="'signed'"):
        loads_unique('{"signed": {}, "signed": {}}')


def test_the_envelope_is_strict() -> None:
    signed = {"type": "napari-telemetry-collection", "spec_version": 1, "version": 1,
              "issued": "2026-11-30", "expires": "2027-01-29", "plugins": {}}  # fmt: skip
    good = {"signed": signed, "signatures": [{"key_id": "0" * 16, "signature": "AA=="}]}
    assert SignedCollection.model_validate(good).signed.version == 1
    for bad in (
        {**good, "signatures": []},
        {**good, "extra": 1},
        {**good, "signed": {**signed, "spec_version": 2}},
        {**good, "signed": {**signed, "version": "1"}},
    ):
        with pytest.raises(pydantic.ValidationError):
            SignedCollection.model_validate(bad)


def test_users_at_full_are_told_in_plain_words_what_counters_add() -> None:
    now = level_terms(Level.FULL)
    before = {name: terms for name, terms in now.items() if not name.startswith("counter.")}
    fields = tuple(name for name in level_fields(Level.FULL) if name in before)
    lines = changes(Level.FULL, before, fields)
    assert lines[0] == (
        "new kind of record, `counter`: Record type: a plugin's own counter, counted only when "
        "you switched that plugin's counters on in the napari-telemetry settings dock."
    )
    assert [line.split("`")[1] for line in lines[1:]] == [
        "counter.count", "counter.counter", "counter.label", "counter.plugin"
    ]  # fmt: skip
