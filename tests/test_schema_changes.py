"""What changed since a user agreed, field by field, in plain words (schema._terms)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from napari_telemetry.schema import Level, changes, level_fields, level_terms


def _agreed(edit: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Today's full-level terms, with some fields as an older schema had them."""
    terms = copy.deepcopy(level_terms(Level.FULL))
    for name, old in edit.items():
        terms[name] = {**terms[name], **old}
        terms[name] = {k: v for k, v in terms[name].items() if v is not None}
    return terms


def test_every_field_the_level_sends_has_terms() -> None:
    for level in (Level.BASIC, Level.MIDDLE, Level.FULL):
        assert set(level_terms(level)) == set(level_fields(level))
    assert level_terms(Level.BASIC)["session.os_name"]["enum"] == ["Linux", "macOS", "Windows",
                                                                   "other"]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "said"),
    [
        ({"session.os_name": {"enum": ["Linux", "macOS", "Windows"]}},
         "`session.os_name`: now also reports `other`"),
        ({"session.arch": {"enum": ["x86_64", "arm64", "other", "ppc64"]}},
         "`session.arch`: no longer reports `ppc64`"),
        ({"layer.ndim": {"maximum": 32}}, "`layer.ndim`: now at most 64 (was at most 32)"),
        ({"layer.multiscale": {"type": "integer"}},
         "`layer.multiscale`: is now yes or no (was a whole number)"),
        ({"layer.dtype": {"pattern": "^[a-z0-9]{1,24}$"}},
         "`layer.dtype`: now takes values of another form"),
        ({"command.command_id": {"maxLength": 100}},
         "`command.command_id`: now at most 200 characters long "
         "(was at most 100 characters long)"),
        ({"layer.levels": {"meaning": 1}},
         "`layer.levels`: means something new (see its description)"),
    ],
)  # fmt: skip
def test_a_changed_field_is_said_in_plain_words(old: dict[str, Any], said: str) -> None:
    agreed = _agreed(old)
    assert (
        changes(Level.FULL, agreed, tuple(agreed)) == [said]
        or said in changes(Level.FULL, agreed, tuple(agreed))[0]
    )


def test_added_and_removed_fields() -> None:
    agreed = _agreed({})
    del agreed["layer.size_bucket"]
    agreed["layer.path"] = {"type": "string"}
    got = changes(Level.FULL, agreed, tuple(agreed))
    assert got[0].startswith("`layer.size_bucket`: new: Size class of the data")
    assert got[1] == "`layer.path`: no longer sent"


def test_no_field_changed_says_so() -> None:
    agreed = _agreed({})
    assert changes(Level.FULL, agreed, tuple(agreed)) == [
        "how batches are put together changed, but no field's content did"
    ]


def test_an_agreement_without_terms_names_what_it_can() -> None:
    names = tuple(n for n in level_fields(Level.MIDDLE) if n != "plugin.version")
    got = changes(Level.MIDDLE, None, names)
    assert got[0].startswith("`plugin.version`: new: ")
    assert "older napari-telemetry" in got[1]
