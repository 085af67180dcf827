"""What a release publishes and how much privacy it spends: the operator's release settings.

Every public number is a differentially private release (``_release_dp``) with the privacy unit
"one weekly id in one week". The settings below declare the budget (zero-concentrated DP, ρ),
how it is split across tables (plugins' counters included), the contribution bounds enforced
before any noise, the grace period for late uploads and the long window. They are stored with
every release and fixed per quarter (``ledger.pinned``); released periods are frozen.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, cast

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from napari_telemetry.schema import PUBLICATION, week_start

# The weekly budget's split, table group by table group (shares of ``rho_week``); each group's
# share is divided evenly between its dimensions. The weights favour what the dashboard leads
# with (installs, plugins) and keep every table's 95 % accuracy within a few installs at 1,000
# weekly ids (docs/privacy.md has the frontier). Plugins' counters take 0.15 of it (ρ = 0.0525).
DEFAULT_SPLIT: dict[str, float] = {
    "installs": 0.08,
    "environment": 0.23,
    "plugins": 0.13,
    "plugin_versions": 0.10,
    "commands": 0.10,
    "command_calls": 0.05,
    "layers": 0.16,
    "counters": 0.15,
}
# The quarter's budget (shares of ``rho_window``): plugin install-weeks, counters' install-weeks.
DEFAULT_WINDOW_SPLIT: dict[str, float] = {"plugins": 0.8, "counters": 0.2}
# The group a release before plugins' counters did not have: a split without it releases none.
COUNTERS = "counters"


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
        description="zCDP budget ρ of the long-window release (plugin install-weeks and "
        "plugins' counters per quarter), per weekly id and week; 0 turns it off.",
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
    max_counters: int = Field(
        4, ge=1, le=64, description="Plugins' counters (plugin and counter) per weekly id."
    )
    max_counter_labels: int = Field(
        2, ge=1, le=32, description="Labels per counter and weekly id (each counted once)."
    )
    first_week: str | None = Field(
        None,
        description="The release calendar's first week (e.g. `2026-W48`), read when the ledger "
        "is created; by default the week it is created in. Never taken from the data.",
    )
    split: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_SPLIT),
        description="Shares of `rho_week` per table group; they must add up to 1. Without "
        "`counters` (and without it in `window_split`), plugins' counters are not released.",
    )
    window_split: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_WINDOW_SPLIT),
        description="Shares of `rho_window` between plugin install-weeks and plugins' counters; "
        "they must add up to 1.",
    )

    @model_validator(mode="after")
    def _check_split(self) -> ReleaseSettings:
        _shares("split", self.split, DEFAULT_SPLIT)
        _shares("window_split", self.window_split, DEFAULT_WINDOW_SPLIT)
        if (COUNTERS in self.split) != (COUNTERS in self.window_split):
            raise ValueError(
                "`counters` must be in both split and window_split (plugins' counters released "
                "weekly and quarterly) or in neither (not released)"
            )
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
        """The settings a release *document* states (the environment is not read).

        A release made before plugins' counters were released states no window split: its
        quarter released plugin install-weeks alone, and no counters.
        """
        stated = cast("dict[str, object]", document["settings"])
        return cls.model_validate({"window_split": {"plugins": 1.0}, **stated})

    @property
    def counters(self) -> bool:
        """Whether plugins' counters are released (weekly and quarterly)."""
        return COUNTERS in self.split

    @property
    def weaker_than_default(self) -> bool:
        """Whether one weekly id's week spends more than the project's ceiling of ρ = 0.5."""
        return self.rho_per_unit > RHO_CEILING + 1e-12

    @property
    def rho_per_unit(self) -> float:
        """What one weekly id in one week spends in all: its week plus its window."""
        return self.rho_week + (self.rho_window if self.window != "none" else 0.0)


def _shares(name: str, shares: dict[str, float], default: dict[str, float]) -> None:
    """ValueError unless *shares* names *default*'s groups (``counters`` may be left out) and
    its positive shares add up to 1."""
    unknown = set(shares) - set(default)
    missing = set(default) - set(shares) - {COUNTERS}
    if unknown or missing:
        raise ValueError(
            f"{name} must name exactly {sorted(default)} (`{COUNTERS}` may be left out); "
            f"unknown {sorted(unknown)}, missing {sorted(missing)}"
        )
    if any(v <= 0 for v in shares.values()) or abs(sum(shares.values()) - 1) > 1e-9:
        raise ValueError(f"{name} shares must be positive and add up to 1, got {shares!r}")


@lru_cache
def release_settings() -> ReleaseSettings:
    """The process's release settings (from the environment)."""
    return ReleaseSettings()
