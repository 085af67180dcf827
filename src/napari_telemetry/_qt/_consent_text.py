"""The consent dialog's explanation, generated from the wire schema (never a second copy)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from napari_telemetry.schema import LEVEL_WORDS, SENDING_LEVELS, Level, catalogue, level_fields

CATALOGUE_URL = "https://github.com/napari/napari-telemetry/blob/main/docs/data-catalogue.md"
TEMPORARY_DAYS = 30

_WHO_SEES = (
    "Each level is sent to its own collector address. Only the people who run the collector "
    "(the napari-telemetry maintainers, or your institution if it points telemetry at its own "
    "collector) can read the raw batches. Only aggregates counted over at least 5 different "
    "weekly ids are public, and rare values are grouped into “other”."
)
_RETENTION = (
    "Raw batches are deleted after 60 days; collector logs after 14 days; the public "
    "aggregates are kept. No IP address, file name, path, layer name, user name or host name "
    "is stored anywhere."
)
_TURN_OFF = (
    "Change or turn off at any time: the Telemetry settings dock (Plugins menu), "
    "<code>napari-telemetry disable</code>, the environment variable "
    "<code>NAPARI_TELEMETRY=0</code> or <code>DO_NOT_TRACK=1</code>, or uninstall the plugin. "
    "Everything waiting to be sent is shown in the Telemetry preview dock first."
)


def level_rows(level: Level) -> list[dict[str, str]]:
    """The catalogue rows a level adds on top of the levels below it (no ``type`` fields)."""
    return [r for r in catalogue() if r["level"] == level.value and r["field"] != "type"]


def consent_html(changes: Sequence[str] = ()) -> str:
    """The whole explanation as rich text for a ``QTextBrowser``."""
    parts = [
        "<p>napari-telemetry can send anonymous usage counts to help napari and plugin "
        "developers decide what to work on. Nothing is sent unless you choose a level; "
        "each level includes the ones above it in this list.</p>"
    ]
    if changes:
        parts.append(changes_html(changes))
    for level in SENDING_LEVELS:
        parts.append(f"<h3>{level.value.capitalize()}: {escape(LEVEL_WORDS[level].adds)}</h3>")
        parts.append(_field_list(level_rows(level)))
    envelope = [r for r in catalogue() if r["level"] == "all"]
    parts.append("<h3>With every batch</h3>" + _field_list(envelope))
    parts.append(f"<h3>Who sees what</h3><p>{_WHO_SEES}</p>")
    parts.append(f"<h3>How long it is kept</h3><p>{_RETENTION}</p>")
    parts.append(f"<h3>How to turn it off</h3><p>{_TURN_OFF}</p>")
    parts.append(
        f'<p>The full list of fields is in the <a href="{CATALOGUE_URL}">data catalogue</a>.</p>'
    )
    return "\n".join(parts)


def changes_html(changes: Sequence[str]) -> str:
    """What changed at the user's level since they agreed, field by field, in plain words."""
    items = "".join(f"<li>{_code(escape(line))}</li>" for line in changes)
    return f"<h3>What changed since you agreed</h3><ul>{items}</ul>"


def field_description(level: Level, dotted: str) -> str:
    """The schema's description of ``record.field`` (or ``envelope.field``) at *level*."""
    return level_fields(level).get(dotted, "")


def _field_list(rows: list[dict[str, str]]) -> str:
    items = "".join(
        f"<li><code>{escape(r['record'])}.{escape(r['field'])}</code>: "
        f"{_code(escape(r['description']))}</li>"
        for r in rows
    )
    return f"<ul>{items}</ul>"


def _code(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
