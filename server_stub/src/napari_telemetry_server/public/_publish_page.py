"""The page itself: the HTML template filled with escaped text and the inlined page data.

Every value that reached the aggregate database came from a client, so nothing from it is put
into HTML unescaped: text goes through ``html.escape`` and the page data is JSON whose ``<``,
``>``, ``&``, U+2028 and U+2029 are written as ``\\uXXXX`` escapes, so no value can close the
``<script>`` element it sits in or open a comment.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from string import Template
from typing import Any

from . import _publish_data as data
from .ledger import Year

DOCS = "https://github.com/napari/napari-telemetry/blob/main/docs/"
SITE = resources.files("napari_telemetry_server.public") / "_site"  # the page's template, assets
_SCRIPT_SAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
KEY_LINK = (
    'certificates are signed with <a href="public_key.pem">this key</a> (older keys: '
    "<code>keys/&lt;key id&gt;.pem</code>)."
)
_KIND = {
    "closed": "every value, with noise",
    "listed": "every approved value, with noise",
    "open": "values above the threshold only",
    "sum": "sum on the selected values",
}


def script_json(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    return "".join(_SCRIPT_SAFE.get(ch, ch) for ch in text)


def page_html(page: dict[str, Any], tables: data.Tables, meta: dict[str, str], key: bool) -> str:
    """index.html for *page* (the inlined data) and the released *tables*."""
    template = Template((SITE / "index.html").read_text("utf-8"))
    week, window = data.latest_week(tables), data.latest_window(tables)
    docs = data.documents(tables)
    doc = docs.get(week or "") or {}
    links = ", ".join(f'<a href="csv/{html.escape(n)}.csv">{html.escape(n)}</a>' for n in tables)
    return template.substitute(
        page_data=script_json(page),
        updated_on=html.escape(meta.get("updated_on", "never")),
        csv_links=links,
        key_link=KEY_LINK if key else "",
        docs=DOCS,
        budget=_budget(doc, docs.get(window or "") or {}),
        accuracy_rows=_accuracy_rows(data.methodology(tables)),
        grace=html.escape(str(doc.get("settings", {}).get("grace_days", 3))),
        calendar=_calendar(meta),
        year=_year(data.year_of(tables)),
    )


def _budget(week: dict[str, Any], window: dict[str, Any]) -> str:
    if not week:
        return "<p>No week has been released yet.</p>"
    s = week["settings"]
    parts = [
        f"Each week's release spends ρ = {week['rho']:.3g} (zero-concentrated differential "
        f"privacy), which implies ε = {week['epsilon']:.2f} at δ = {week['delta']:.0e}",
    ]
    if window:
        parts.append(
            f"the quarter's release (plugin install-weeks and plugins' counters) spends "
            f"ρ = {window['rho']:.3g} more (ε = {window['epsilon']:.2f} at δ = "
            f"{window['delta']:.0e})"
        )
    counters = (
        f", {s['max_counters']} of plugins' counters ({s['max_counter_labels']} labels each, "
        "each counted once)"
        if "counters" in s["split"]
        else ""
    )
    bounds = (
        f"at most {s['max_plugins']} plugins, {s['max_versions']} plugin versions, "
        f"{s['max_commands']} command ids (each counted up to {s['max_calls']} calls), "
        f"{s['max_layer_values']} values per layer property, {s['max_napari_versions']} "
        f"napari and {s['max_python_versions']} Python versions{counters}"
    )
    text = (
        f"{'; '.join(parts)}. Per weekly id, only {bounds} are counted; the rest of what it sent "
        f"is left out before any noise is added. Mechanisms and accounting: {week['mechanism']}."
    )
    return f"<p>{html.escape(text)}</p>"


def _calendar(meta: dict[str, str]) -> str:
    first = meta.get("first_week")
    if first is None:
        return "No week has been released yet."
    return f"Weeks are released by a calendar from {html.escape(first)} on, not by the data."


def _year(year: Year | None) -> str:
    if year is None:
        return ""
    text = (
        f"{year.sentence()}. Each week's guarantee above is for one installation in one week; "
        "an installation that takes part all year is in every week's release, and in each "
        "quarter's release once for every week of it, and differential privacy adds "
        "these up. So over a year its guarantee is far weaker than a week's, and most of the "
        "difference is the quarters' plugin install-weeks. What one installation can change in "
        "any number stays bounded all the same: a few values per week, each counted once."
    )
    return f"<p><strong>Over a year.</strong> {html.escape(text)}</p>"


def _accuracy_rows(rows: data.Rows) -> str:
    out = []
    for r in rows:
        threshold = r.get("threshold")
        cells = [
            html.escape(str(r["period"] or "")),
            f"<code>{html.escape(r['table'])}</code>",
            html.escape(_KIND.get(r["kind"]) or str(r["kind"])),
            f"{r['rho']:.4f}",
            f"± {r['accuracy95']:g}",
            "–" if threshold is None else html.escape(str(threshold)),
        ]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "\n".join(out)
