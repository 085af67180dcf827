"""The shape of a usage certificate: strict models, so nothing unsigned can ride along.

``verify`` validates a certificate file against these before checking its signature: no field
may be missing, added or of another type (``"12"`` is not ``12``), and the key id must be 16 hex
digits.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

KIND = "napari-telemetry-usage-certificate"
_Week = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-W[0-9]{2}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Released(_Strict):
    """What both kinds certify of a quarter: its released figure's lower bound and how it was
    released (the fields come before the subject's; signatures are over sorted keys)."""

    period: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-Q[1-4]$")]
    first_week: _Week
    last_week: _Week
    weeks: int = Field(ge=1, le=14)
    at_least: int = Field(ge=1)
    confidence: float
    released_install_weeks: int = Field(ge=0)
    noise_scale: float = Field(gt=0)
    rho: float = Field(gt=0)
    epsilon: float = Field(gt=0)
    delta: float = Field(gt=0, lt=1)
    method: str
    issued_on: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


class Statement(_Released):
    """What is certified: at least ``at_least`` weekly installs, on average, in ``period``."""

    type: Literal["napari-telemetry-usage-certificate"]
    version: Literal[2]
    plugin: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,100}$")]


class CounterStatement(_Released):
    """What is certified of a plugin's counter: at least ``at_least`` weekly installs counted
    it (with that label), on average, in ``period``."""

    type: Literal["napari-telemetry-counter-certificate"]
    version: Literal[1]
    plugin: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)]
    counter: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    label: Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,39})?$")]


class Certificate(_Strict):
    """A signed statement (of a plugin's installs, or of one of its counters)."""

    statement: Annotated[Statement | CounterStatement, Field(discriminator="type")]
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
    signature: Annotated[str, StringConstraints(max_length=200)]
