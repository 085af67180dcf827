"""The consent dialog's words, generated from the schema and the publication policy.

What each level sends comes from the wire models (``schema.catalogue``, ``LEVEL_WORDS``); every
sentence about what is published, how and for how long comes from ``schema.PUBLICATION`` (the
collector's release defaults, whose ε a server test checks with OpenDP), so the dialog cannot
promise what the collector does not do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from napari_telemetry.schema import (
    LEVEL_WORDS,
    PUBLICATION,
    SENDING_LEVELS,
    Level,
    catalogue,
    level_fields,
)

from ._banner import rich

CATALOGUE_URL = "https://github.com/napari/napari-telemetry/blob/main/docs/data-catalogue.md"
TEMPORARY_DAYS = 30
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float) -> str:
    """``2e-07`` as ``2·10⁻⁷`` (how δ is written everywhere a user reads it)."""
    exponent = math.floor(math.log10(value))
    mantissa = round(value / 10**exponent, 3)
    return f"{mantissa:g}·10{str(exponent).translate(_SUPERSCRIPT)}"


def budget() -> str:
    """The privacy promise in one phrase: ρ, ε and δ of one installation's week."""
    p = PUBLICATION
    text = (
        f"ρ = {p.rho_unit:g} per installation and week "
        f"(ε ≈ {p.epsilon_unit:.1f}, δ = {power_of_ten(p.delta_unit)})"
    )
    return text.replace(" = ", "\u00a0=\u00a0").replace(" ≈ ", "\u00a0≈\u00a0")  # one piece


def intro_html() -> str:
    """Why it asks, and that nothing is sent without a choice."""
    return (
        "napari-telemetry can send anonymous usage counts, so that napari and plugin "
        "developers see what is used. <b>Nothing is sent unless you choose to share.</b> "
        "Each level includes the ones before it:"
    )


def level_lines() -> list[tuple[str, str]]:
    """(level, what choosing it sends, in one line) for each sending level."""
    return [(level.value, LEVEL_WORDS[level].adds) for level in SENDING_LEVELS]


def facts_html(link: str) -> str:
    """Who sees the raw data, what is published and how, how long it is kept, how to stop;
    *link* is the colour of links."""
    p = PUBLICATION
    site = p.dashboard_url.removeprefix("https://")
    return "".join(
        f"<p style='margin:0 0 5px 0'><b>{head}</b> {body}</p>"
        for head, body in (
            (
                "Who sees it:",
                "the raw batches, only the people who run the collector (the napari-telemetry "
                "maintainers, or your institution's own). Never an IP address, a path, or a "
                "file, layer, user or host name.",
            ),
            (
                "What is published:",
                f"only counts, once a week ({p.grace_days} days after it ends), with noise "
                "added by differential privacy (OpenDP) so that nothing about one "
                f"installation can be told from them: {budget()}. In return, everyone sees "
                f"them at <a href='{p.dashboard_url}' style='color:{link}'>{site}</a>.",
            ),
            (
                "How long it is kept:",
                f"raw batches {p.raw_retention_days} days, the collector's logs "
                f"{p.log_retention_days} days; published counts stay.",
            ),
            (
                "How to stop:",
                "<i>Don't share</i>, or later: Plugins › napari-telemetry › Settings, "
                "<code>napari-telemetry disable</code> or "
                "<code>NAPARI_TELEMETRY=0</code>.",
            ),
        )
    )


def protection_html() -> str:
    """The budget in detail, and what it does not cover (a year of weeks)."""
    p = PUBLICATION
    return (
        "<p>The unit is one installation's week (one weekly id). Before any noise each weekly "
        "id counts only a few values per table; lists of names (plugins, versions, commands) "
        "show only values that many installations reported. Each week spends "
        f"ρ = {p.rho_week:g} on its own tables and ρ = {p.rho_window:g} on its quarter's "
        f"plugin counts: {budget()}. Every release states its budget with the numbers.</p>"
        "<p>Someone who uses napari every week is a new unit every week: about all of their "
        "weeks of a year together, the guarantee is weak (by OpenDP's accounting "
        f"ρ = {p.rho_year:,.0f}, ε ≈ {p.epsilon_year:,.0f}: no real protection), so it rests "
        "on the few values each week may add and on what a count can show, not on the noise. "
        "It says nothing about made-up ids, which anyone can send: published numbers are lower "
        "bounds, never a way to learn about someone else.</p>"
    )


def fields_html(link: str) -> str:
    """Every field each level adds, and the envelope's, from the schema's descriptions."""
    parts = []
    for level in SENDING_LEVELS:
        parts.append(f"<p><b>{level.value}</b>: {escape(LEVEL_WORDS[level].adds)}</p>")
        parts.append(_field_list(level_rows(level)))
    envelope = [r for r in catalogue() if r["level"] == "all"]
    parts.append("<p><b>With every batch</b></p>" + _field_list(envelope))
    parts.append(
        f"<p>The same list is the <a href='{CATALOGUE_URL}' style='color:{link}'>data "
        "catalogue</a> (<code>napari-telemetry catalogue</code>).</p>"
    )
    return "".join(parts)


def level_rows(level: Level) -> list[dict[str, str]]:
    """The catalogue rows a level adds on top of the levels below it (no ``type`` fields)."""
    return [r for r in catalogue() if r["level"] == level.value and r["field"] != "type"]


def changes_html(changes: Sequence[str]) -> str:
    """What changed at the user's level since they agreed, field by field, in plain words."""
    items = "".join(f"<li>{rich(line)}</li>" for line in changes)
    return f"<p><b>What changed since you agreed</b></p><ul>{items}</ul>"


def field_description(level: Level, dotted: str) -> str:
    """The schema's description of ``record.field`` (or ``envelope.field``) at *level*."""
    return level_fields(level).get(dotted, "")


def _field_list(rows: list[dict[str, str]]) -> str:
    items = "".join(
        f"<li><code>{escape(r['record'])}.{escape(r['field'])}</code>: {rich(r['description'])}"
        "</li>"
        for r in rows
    )
    return f"<ul style='margin-left:-20px'>{items}</ul>"
