"""What the project promises about its public numbers, stated once for everyone who states it.

The consent dialog tells a person this before they agree; the collector's release settings take
their defaults from it; the dashboard's methodology and ``docs/privacy.md`` say the same, and tests
hold each of them to it. The privacy figures (ε) are OpenDP's maps of these settings, checked by
the collector's tests (which have OpenDP; the plugin does not), so a change to a budget here fails
a test until its ε is recomputed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ._weeks import RAW_RETENTION_DAYS


class Publication(BaseModel):
    """The default collector's release policy, in the numbers people are told."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rho_week: float = Field(
        description="zCDP ρ of a week's tables (plugins' counters included), per weekly id and "
        "week."
    )
    rho_window: float = Field(
        description="zCDP ρ of the quarter's release (plugin install-weeks and plugins' "
        "counters), per weekly id and week."
    )
    delta: float = Field(description="δ of each release (half selection, half conversion).")
    epsilon_unit: float = Field(
        description="ε of one weekly id's week (its week and its quarter), at ``delta_unit``."
    )
    rho_year: float = Field(
        description="zCDP ρ an installation present in every week of 52 spends in all: 52 week "
        "releases at one weekly id each, four quarter releases at 13 weekly ids each (its ids "
        "are not linkable, so a quarter counts each of its weeks), by OpenDP's maps."
    )
    delta_year: float = Field(
        description="δ of that year: each release's own δ, with a quarter's partition-selection "
        "δ taken at the installation's 13 weekly ids in it."
    )
    epsilon_year: float = Field(description="ε of that year at ``delta_year``.")
    grace_days: int = Field(description="Days after a week ends before it is released.")
    raw_retention_days: int = Field(description="Days the collector keeps raw batches.")
    log_retention_days: int = Field(description="Days the collector keeps its own logs.")
    dashboard_url: str = Field(description="Where the public numbers are published.")

    @property
    def rho_unit(self) -> float:
        """ρ one weekly id's week spends in all: its week's tables and its quarter's."""
        return self.rho_week + self.rho_window

    @property
    def delta_unit(self) -> float:
        """δ of one weekly id's week: one week release and one quarter release."""
        return 2 * self.delta


PUBLICATION = Publication(
    rho_week=0.35,
    rho_window=0.15,
    delta=1e-7,
    epsilon_unit=5.64,
    rho_year=849.7,
    delta_year=0.0279,
    epsilon_year=1052.6,
    grace_days=3,
    raw_retention_days=RAW_RETENTION_DAYS,
    log_retention_days=14,
    dashboard_url="https://telemetry.napari.org",
)
