"""The attacks of issue 11 against the released numbers, and the DP bound checked empirically.

Each attack compares the releases of two neighbouring data sets: without and with one victim's
weekly id. Differential privacy promises P[release ∈ E | with] ≤ e^ε · P[release ∈ E | without] + δ
for every event E, however many made-up ids surround the victim. The tests run the real OpenDP
mechanisms a few thousand times on both data sets and check that bound for the events an
attacker would use, with Clopper–Pearson intervals (a false alarm has probability below 1e-6).
A control runs the same check on a mechanism with almost no noise and must see the bound broken,
so the check can fail.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from scipy.stats import beta

from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.public._release_dims import DIMS
from napari_telemetry_server.public._release_dp import Mechanism, Query
from napari_telemetry_server.public._release_plan import week_mechanism

pytestmark = pytest.mark.slow  # seconds per test: left out of the quick loop

TRIALS = 2000
ALPHA = 1e-6
RARE = "napari-rare-lab"


def subset(mechanism: Mechanism, *names: str) -> Mechanism:
    """The queries *names* of *mechanism*: a release of its own, with its own (ε, δ)."""
    return Mechanism(tuple(q for q in mechanism.queries if q.name in names), mechanism.delta)


def week() -> Mechanism:
    return week_mechanism(ReleaseSettings())


def rate(mechanism: Mechanism, data: dict[str, Counter[str]], event: Callable[[Any], bool]) -> int:
    """How many of TRIALS releases of *data* fall in *event*."""
    return sum(bool(event(mechanism.release(data))) for _ in range(TRIALS))


def bound_holds(hits_with: int, hits_without: int, epsilon: float, delta: float) -> bool:
    """False only if the data show, beyond chance, that the (ε, δ) bound is broken either way."""

    def low(k: int) -> float:
        return 0.0 if k == 0 else float(beta.ppf(ALPHA / 4, k, TRIALS - k + 1))

    def high(k: int) -> float:
        return 1.0 if k == TRIALS else float(beta.ppf(1 - ALPHA / 4, k + 1, TRIALS - k))

    e = math.exp(epsilon)
    return (
        low(hits_with) <= e * high(hits_without) + delta
        and low(hits_without) <= e * high(hits_with) + delta
    )


def neighbours(fakes: int, name: str = "plugins.plugin") -> tuple[dict[str, Any], dict[str, Any]]:
    """Background, and *fakes* made-up ids sharing the victim's rare value; then the victim."""
    without = {name: Counter({"napari-svg": 400, RARE: fakes})}
    with_victim = {name: Counter({"napari-svg": 400, RARE: fakes + 1})}
    return without, with_victim


@pytest.mark.parametrize("fakes", [4, 40])
def test_made_up_ids_do_not_lift_a_rare_plugin_into_the_open(fakes: int) -> None:
    """Four or forty minted ids beside one real user: whether the rare plugin shows up says
    next to nothing about the user (with four it is never published at all)."""
    mechanism = subset(week(), "plugins.plugin")
    privacy = mechanism.privacy()
    without, with_victim = neighbours(fakes)
    shown = rate(mechanism, with_victim, lambda out: RARE in out["plugins.plugin"])
    if fakes == 4:
        assert shown == 0  # 5 against a threshold of 57: published with probability below δ
    assert bound_holds(shown, rate(mechanism, without, lambda out: RARE in out["plugins.plugin"]),
                       privacy["epsilon"], privacy["delta"])  # fmt: skip


def test_enough_made_up_ids_to_publish_it_still_hide_the_victim() -> None:
    """At the threshold (56 fakes), publishing or not says little about the victim."""
    mechanism = subset(week(), "plugins.plugin")
    privacy = mechanism.privacy()
    threshold = mechanism.queries[0].threshold
    assert threshold is not None
    without, with_victim = neighbours(threshold - 1)
    for event in (
        lambda out: RARE in out["plugins.plugin"],
        lambda out: out["plugins.plugin"].get(RARE, 0) >= threshold + 5,
    ):
        assert bound_holds(rate(mechanism, with_victim, event), rate(mechanism, without, event),
                           privacy["epsilon"], privacy["delta"])  # fmt: skip


def test_the_victims_calls_cannot_be_read_off_the_published_sum() -> None:
    """The attacker knows its fakes' calls: published calls minus theirs is the victim's, plus
    noise far wider than one id's clipped contribution."""
    mechanism = subset(week(), "commands.command", "commands.command.calls")
    privacy = mechanism.privacy()
    key, fakes, their_calls = "napari napari:rare_tool", 100, 100 * 3
    without = {"commands.command": Counter({key: fakes}),
               "commands.command.calls": Counter({key: their_calls})}  # fmt: skip
    with_victim = {"commands.command": Counter({key: fakes + 1}),
                   "commands.command.calls": Counter({key: their_calls + 7})}  # fmt: skip

    def guessed_seven(out: Any) -> bool:
        calls = out["commands.command.calls"].get(key)
        return calls is not None and abs(calls - their_calls - 7) <= 2

    hits = rate(mechanism, with_victim, guessed_seven)
    assert hits < TRIALS * 0.05  # the sum's noise scale is about 140 calls
    assert bound_holds(hits, rate(mechanism, without, guessed_seven), privacy["epsilon"],
                       privacy["delta"])  # fmt: skip


def test_a_total_minus_its_breakdown_reveals_nothing_beyond_epsilon() -> None:
    """Active installs minus the sum over operating systems: noise, not the victim's OS."""
    mechanism = subset(week(), "installs.active", "environment.os")
    privacy = mechanism.privacy()
    oses = Counter({"Linux": 200, "macOS": 100})
    without = {"installs.active": Counter({"active": 300}), "environment.os": oses}
    with_victim = {"installs.active": Counter({"active": 301}),
                   "environment.os": oses + Counter({"other": 1})}  # fmt: skip

    def residue(out: Any) -> int:
        return int(out["installs.active"]["active"] - sum(out["environment.os"].values()))

    for cut in (-10, 0, 1, 10):
        event: Callable[[Any], bool] = lambda out, cut=cut: residue(out) >= cut  # noqa: E731
        assert bound_holds(rate(mechanism, with_victim, event), rate(mechanism, without, event),
                           privacy["epsilon"], privacy["delta"]), cut  # fmt: skip


def test_the_check_fails_on_a_mechanism_with_almost_no_noise() -> None:
    """A control: scaled down to almost no noise, the threshold gives the victim away."""
    honest = subset(week(), "plugins.plugin")
    privacy = honest.privacy()
    real = honest.queries[0]
    leaky = Mechanism((Query(real.name, real.per_id, 500.0, delta=real.delta),), honest.delta)
    threshold = leaky.queries[0].threshold
    assert threshold is not None
    without, with_victim = neighbours(threshold - 1)

    def shown(out: Any) -> bool:
        return RARE in out["plugins.plugin"]

    hits_with, hits_without = rate(leaky, with_victim, shown), rate(leaky, without, shown)
    assert not bound_holds(hits_with, hits_without, privacy["epsilon"], privacy["delta"])


def test_every_released_table_is_in_the_attacked_mechanism() -> None:
    """The subsets above are the very queries the weekly release runs."""
    names = {q.name for q in week().queries}
    assert {"plugins.plugin", "commands.command", "commands.command.calls", "installs.active",
            "environment.os"} <= names  # fmt: skip
    assert names >= {d.name for d in DIMS}
