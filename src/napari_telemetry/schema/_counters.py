"""Plugin counters as a plugin declares them: the file it ships, field by field.

A plugin ships ``napari-telemetry.toml`` next to its ``napari.yaml`` (npe2 drops keys it does not
know from the manifest, so the counters cannot live there). The same rules hold for the
operators' reviewed file (``_collection``), which carries each approved plugin's declaration, and
for the records the client sends (``_records.CounterRecord``): one source for all three.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr

DECLARATION_FILE = "napari-telemetry.toml"
MAX_LABELS = 32
MAX_COUNTERS = 16  # per plugin: each counter costs privacy budget once it is released
# A counter's name: a short snake_case word, as Glean's metric names.
COUNTER_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
# A label names one thing of a closed list (a model, a mode): no spaces, no free text.
LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
RECORD_LABEL_PATTERN = r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,39})?$"  # empty: a counter without labels
# A plugin's normalized distribution name (PEP 503), as the public index spells it.
PLUGIN_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
DATA_CATEGORIES = ("technical", "interaction")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https://[^\s/]+\.[^\s]+$")


def _counter_name(value: str) -> str:
    if not re.match(COUNTER_PATTERN, value):
        raise ValueError(
            f"a counter's name is 1 to 40 lower-case letters, digits and `_`, starting with a "
            f"letter (like `segmentations`); got {value!r}"
        )
    return value


def _label(value: str) -> str:
    if not re.match(LABEL_PATTERN, value):
        raise ValueError(
            "a label is 1 to 40 letters, digits, `_`, `.` or `-`, starting with a letter or a "
            f"digit (a model's or a mode's name, never free text); got {value!r}"
        )
    if value.isdigit():
        raise ValueError(f"a label names something; a bare number is not a label: {value!r}")
    return value


def _plugin(value: str) -> str:
    if not re.match(PLUGIN_PATTERN, value):
        normal = re.sub(r"[-_.]+", "-", value).lower()
        raise ValueError(
            f"write the plugin's normalized distribution name, {normal!r}, not {value!r}"
        )
    return value


def _contact(value: str) -> str:
    if not (_EMAIL.match(value) or _URL.match(value)):
        raise ValueError(
            "the owner is an e-mail address or an https:// address where the maintainers "
            f"answer; got {value!r}"
        )
    return value


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    twice = [v for v in values if v in seen or seen.add(v)]  # type: ignore[func-returns-value]
    if twice:
        raise ValueError(f"each label once: {twice[0]!r} is listed twice")
    return values


CounterName = Annotated[StrictStr, AfterValidator(_counter_name)]
Label = Annotated[StrictStr, AfterValidator(_label)]
PluginName = Annotated[StrictStr, AfterValidator(_plugin)]
Labels = Annotated[tuple[Label, ...], Field(max_length=MAX_LABELS), AfterValidator(_unique)]
Contact = Annotated[StrictStr, AfterValidator(_contact)]
Description = Annotated[StrictStr, Field(min_length=20, max_length=500)]


class _Declared(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # as WireModel


class CounterDeclaration(_Declared):
    """One counter, as its plugin declares it and the operators review it."""

    description: Description = Field(
        description="What the counter counts, in words a user reads before agreeing."
    )
    labels: Labels = Field(
        default=(),
        description="The closed list of labels a count may carry (at most 32); none: the "
        "counter counts without a label.",
    )
    owner: Contact = Field(description="Who answers for the counter: an e-mail or https URL.")
    expires: date = Field(description="The first day the counter is no longer counted.")
    data_category: Literal["technical", "interaction"] = Field(
        description="Glean's data category: `technical` (how the software behaves) or "
        "`interaction` (what a user did with it). Nothing more sensitive is accepted."
    )


class Declaration(_Declared):
    """The plugin's ``napari-telemetry.toml``: the counters the installed version may count."""

    format: Literal[1] = Field(1, description="Version of this file's format.")
    plugin: PluginName = Field(
        description="The plugin's normalized distribution name; it must be the distribution "
        "that ships the file."
    )
    counters: dict[CounterName, CounterDeclaration] = Field(
        min_length=1,
        max_length=MAX_COUNTERS,
        description="The counters, by name; each is counted as `<plugin>.<name>`.",
    )
