"""What a release publishes and how much privacy it spends: the operator's release settings.

Every public number is a differentially private release (``_release_dp``) with the privacy unit
"one weekly id in one week". The settings below declare the budget (zero-concentrated DP, ρ),
how it is split across tables, the contribution bounds enforced before any noise, the grace
period for late uploads and the long window. They are stored with every release, and a change
applies only to weeks not yet released (released weeks are frozen).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from napari_telemetry.schema import PUBLICATION, week_start

# The weekly budget's split, table group by table group (shares of ``rho_week``); each group's
# share is divided evenly between its dimensions. The weights favour what the dashboard leads
# with (installs, plugins) and keep every table's 95 % accuracy within a few installs at 1,000
# weekly ids (docs/privacy.md has the frontier).
DEFAULT_SPLIT: dict[str, float] = {
    "installs": 0.08,
    "environment": 0.27,
    "plugins": 0.15,
    "plugin_versions": 0.12,
    "commands": 0.12,
    "command_calls": 0.06,
    "layers": 0.20,
}


# The defaults spend this per weekly id and week (what people are told); more is allowed and
# flagged.
RHO_CEILING = PUBLICATION.rho_unit


class ReleaseSettings(BaseSettings):
    """How the public numbers are released; ``NAPARI_TELEMETRY_SERVER_RELEASE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="NAPARI_TELEMETRY_SERVER_RELEASE_", frozen=True, extra="forbid"
    )

    rho_week: float = Field(
        PUBLICATION.rho_week,
        gt=0,
        le=2,
        description="zCDP budget ρ of one week's release, per weekly id (every weekly table).",
    )
    rho_window: float = Field(
        PUBLICATION.rho_window,
        ge=0,
        le=2,
        description="zCDP budget ρ of the long-window release (plugin install-weeks per "
        "quarter), per weekly id and week; 0 turns the window release off.",
    )
    delta: float = Field(
        PUBLICATION.delta,
        gt=0,
        le=1e-5,
        description="δ of each release: half for partition selection of open category sets, "
        "half for converting ρ to (ε, δ).",
    )
    grace_days: int = Field(
        PUBLICATION.grace_days,
        ge=0,
        le=28,
        description="Days after a week ends before it is released (late uploads).",
    )
    window: Literal["quarter", "none"] = Field(
        "quarter",
        description="Long window for the tail of small plugins: `quarter` (the ISO weeks whose "
        "Thursday falls in a calendar quarter, 13 or 14) or `none`.",
    )
    max_plugins: int = Field(10, ge=1, le=200, description="Plugins counted per weekly id.")
    max_versions: int = Field(10, ge=1, le=200, description="Plugin versions per weekly id.")
    max_commands: int = Field(10, ge=1, le=500, description="Command ids per weekly id.")
    max_calls: int = Field(
        10, ge=1, le=10_000, description="Calls counted per weekly id and command id."
    )
    max_layer_values: int = Field(
        4, ge=1, le=64, description="Values per layer dimension (e.g. dtypes) per weekly id."
    )
    max_napari_versions: int = Field(
        2, ge=1, le=16, description="napari versions per weekly id (one per environment)."
    )
    max_python_versions: int = Field(2, ge=1, le=16, description="Python versions per weekly id.")
    first_week: str | None = Field(
        None,
        description="The release calendar's first week (e.g. `2026-W48`), read when the ledger "
        "is created; by default the week it is created in. Never taken from the data.",
    )
    split: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_SPLIT),
        description="Shares of `rho_week` per table group; they must add up to 1.",
    )

    @model_validator(mode="after")
    def _check_split(self) -> ReleaseSettings:
        unknown = set(self.split) - set(DEFAULT_SPLIT)
        missing = set(DEFAULT_SPLIT) - set(self.split)
        if unknown or missing:
            raise ValueError(
                f"split must name exactly {sorted(DEFAULT_SPLIT)}; "
                f"unknown {sorted(unknown)}, missing {sorted(missing)}"
            )
        if any(v <= 0 for v in self.split.values()) or abs(sum(self.split.values()) - 1) > 1e-9:
            raise ValueError(f"split shares must be positive and add up to 1, got {self.split!r}")
        return self

    @model_validator(mode="after")
    def _check_first_week(self) -> ReleaseSettings:
        if self.first_week is not None:
            week_start(self.first_week)  # ValueError naming it
        return self

    def stated(self) -> dict[str, object]:
        """The settings a release is counted under, as its document states them."""
        return self.model_dump(exclude={"first_week"})

    @classmethod
    def of(cls, document: dict[str, object]) -> ReleaseSettings:
        """The settings a release *document* states (the environment is not read)."""
        return cls.model_validate(document["settings"])

    @property
    def weaker_than_default(self) -> bool:
        """Whether one weekly id's week spends more than the project's ceiling of ρ = 0.5."""
        return self.rho_per_unit > RHO_CEILING + 1e-12

    @property
    def rho_per_unit(self) -> float:
        """What one weekly id in one week spends in all: its week plus its window."""
        return self.rho_week + (self.rho_window if self.window != "none" else 0.0)


@lru_cache
def release_settings() -> ReleaseSettings:
    """The process's release settings (from the environment)."""
    return ReleaseSettings()
