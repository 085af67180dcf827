"""What each installed plugin may count: declared by the installed version AND approved.

Pure and I/O-free. A counter is offered when the installed declaration and the trusted
manifest both name it and neither's expiry has come; its labels are those both list (a counter
that one side labels and the other does not is not offered: its counts could not be told
apart). The description shown is the approved one, as reviewed in public.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from napari_telemetry.schema import (
    ApprovedCounter,
    CollectionManifest,
    CounterDeclaration,
    Declaration,
)

from ._choices import Agreed, Choice

State = Literal["on", "off", "changed"]


@dataclass(frozen=True)
class CounterOffer:
    """One counter a plugin may count: what it counts, by which labels, until when."""

    name: str
    description: str
    labels: tuple[str, ...]  # empty: counted without a label
    expires: date


@dataclass(frozen=True)
class PluginOffer:
    """A plugin's counters, its switch, and what is new since the switch was turned on."""

    plugin: str
    review: str
    counters: tuple[CounterOffer, ...]
    state: State
    new: tuple[str, ...] = ()  # in words, when the state is "changed"

    def agreed(self) -> dict[str, tuple[str, ...]]:
        """What turning the switch on agrees to: each counter and its labels."""
        return {c.name: c.labels for c in self.counters}


def offers(
    declarations: Iterable[Declaration],
    manifest: CollectionManifest | None,
    choices: Mapping[str, Choice],
    today: date,
) -> list[PluginOffer]:
    """Each installed plugin that has a counter to offer, by name."""
    if manifest is None or manifest.expires <= today:
        return []
    out = []
    for declared in sorted(declarations, key=lambda d: d.plugin):
        approved = manifest.plugins.get(declared.plugin)
        if approved is None:
            continue
        counters = tuple(
            offer
            for name, counter in sorted(declared.counters.items())
            if (offer := _offer(name, counter, approved.counters.get(name), today))
        )
        if counters:
            choice = choices.get(declared.plugin)
            new = _new(counters, choice.agreed) if choice and choice.on else ()
            state: State = "off" if not (choice and choice.on) else "changed" if new else "on"
            out.append(PluginOffer(declared.plugin, approved.review, counters, state, new))
    return out


def _offer(
    name: str, declared: CounterDeclaration, approved: ApprovedCounter | None, today: date
) -> CounterOffer | None:
    if approved is None:
        return None
    expires = min(declared.expires, approved.expires)
    labels = tuple(label for label in approved.labels if label in declared.labels)
    if expires <= today or bool(declared.labels) != bool(approved.labels):
        return None
    if declared.labels and not labels:
        return None
    return CounterOffer(name, approved.description, labels, expires)


def _new(counters: tuple[CounterOffer, ...], agreed: Agreed) -> tuple[str, ...]:
    lines = []
    for counter in counters:
        if counter.name not in agreed:
            lines.append(f"new counter `{counter.name}`: {counter.description}")
            continue
        added = [label for label in counter.labels if label not in agreed[counter.name]]
        if added:
            lines.append(f"`{counter.name}` now also counts by {', '.join(added)}")
    return tuple(lines)
