"""The collection manifest: which plugin counters the operators approved, signed.

The operators keep a reviewed file (:class:`ReviewedCollection`, TOML; a pull request is the
review) of each approved plugin's declared counters. The collector turns it into a
:class:`CollectionManifest`, signs that with Ed25519 and serves the envelope
(:class:`SignedCollection`) at ``GET /v1/collection``. The envelope follows TUF's minimum: a
version that only grows and an expiry (a client refuses a lower version, the same version with
other content, and an expired manifest), and signatures over the canonical JSON of ``signed``
(:func:`canonical_json`), each with the SHA-256 key id of the key that made it, so that a key can
be rotated by signing with the old and the new key for a while.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from ._counters import CounterDeclaration, CounterName, Description, Labels, PluginName

COLLECTION_TYPE: Literal["napari-telemetry-collection"] = "napari-telemetry-collection"
_Url = Annotated[str, StringConstraints(max_length=300, pattern=r"^https://\S+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # as WireModel


class ReviewedPlugin(_Strict):
    """One plugin in the operators' reviewed file: its declaration and where it was reviewed."""

    review: _Url = Field(description="The public review (pull request) that approved them.")
    counters: dict[CounterName, CounterDeclaration] = Field(
        min_length=1, description="The approved counters, copied from the plugin's declaration."
    )


class ReviewedCollection(_Strict):
    """The operators' reviewed file: every approved plugin, by normalized name."""

    plugins: dict[PluginName, ReviewedPlugin] = Field(default_factory=dict)


class ApprovedCounter(_Strict):
    """What a client needs to know of an approved counter."""

    description: Description = Field(description="What it counts, as users read it.")
    labels: Labels = Field(description="The approved labels (none: counted without a label).")
    expires: date = Field(description="The first day it is no longer counted.")


class ApprovedPlugin(_Strict):
    """A plugin's approved counters."""

    review: _Url = Field(description="The public review that approved them.")
    counters: dict[CounterName, ApprovedCounter]


class CollectionManifest(_Strict):
    """The signed part of the envelope."""

    type: Literal["napari-telemetry-collection"] = COLLECTION_TYPE
    spec_version: Literal[1] = 1
    version: StrictInt = Field(ge=1, description="Grows with every signing; never reused.")
    issued: date = Field(description="The day it was signed.")
    expires: date = Field(description="The first day a client no longer trusts it.")
    plugins: dict[PluginName, ApprovedPlugin] = Field(default_factory=dict)


class CollectionSignature(_Strict):
    """One signature of ``signed``: the key's id and the base64 Ed25519 signature."""

    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
    signature: Annotated[str, StringConstraints(max_length=200)]


class SignedCollection(_Strict):
    """What ``GET /v1/collection`` serves."""

    signed: CollectionManifest
    signatures: list[CollectionSignature] = Field(min_length=1, max_length=4)


def canonical_json(value: Any) -> bytes:
    """The bytes a signature covers: JSON with sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


class DuplicateKey(ValueError):
    """A JSON document names one key twice (which could hide a second value)."""


def loads_unique(raw: bytes | str) -> Any:
    """JSON of *raw*; a key named twice in one object raises :class:`DuplicateKey`."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise DuplicateKey(f"duplicate JSON key {key!r}")
            out[key] = value
        return out

    return json.loads(raw, object_pairs_hook=pairs)
