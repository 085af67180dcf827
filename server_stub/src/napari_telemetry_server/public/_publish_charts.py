"""Vega-Lite specs of the dashboard charts, built with Altair over named datasets.

Each spec refers to its data by name; the page supplies the rows (``spec["datasets"]``), so the
plugin charts can be re-rendered for another plugin without a server.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import altair as alt

_HEIGHT = 220


def _base(name: str, title: str) -> alt.Chart:
    return alt.Chart(alt.NamedData(name=name), title=title).properties(
        width="container", height=_HEIGHT
    )


def _weeks() -> alt.X:
    # The ISO week itself labels the axis (a time axis would label Sunday-based weeks).
    return alt.X(
        "week:O",
        title="ISO week",
        sort="ascending",
        axis=alt.Axis(labelAngle=-45, labelOverlap=True),
    )


def trend(name: str, title: str, y_title: str) -> dict[str, Any]:
    """Lines over ISO weeks: rows ``{week, series, value}``."""
    chart = (
        _base(name, title)
        .mark_line(point=True)
        .encode(
            x=_weeks(),
            y=alt.Y("value:Q", title=y_title),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["week:N", "series:N", "value:Q"],
        )
    )
    return dict(chart.to_dict())


def shares(name: str, title: str) -> dict[str, Any]:
    """Stacked shares over ISO weeks: rows ``{week, value, installs}``."""
    chart = (
        _base(name, title)
        .mark_bar()
        .encode(
            x=_weeks(),
            y=alt.Y(
                "installs:Q",
                stack="normalize",
                title="share of weekly active installs",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color("value:N", title=None, legend=alt.Legend(orient="bottom", columns=6)),
            tooltip=["week:N", "value:N", "installs:Q"],
        )
    )
    return dict(chart.to_dict())


def bars(
    name: str, title: str, x_title: str, *, field: str = "installs", sort: str = "-x"
) -> dict[str, Any]:
    """Horizontal bars: rows ``{label, <field>}``."""
    chart = (
        _base(name, title)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=sort if sort != "none" else None),
            x=alt.X(f"{field}:Q", title=x_title),
            tooltip=["label:N", f"{field}:Q"],
        )
    )
    return dict(chart.to_dict())


def intervals(name: str, title: str, y_title: str) -> dict[str, Any]:
    """Lines over ISO weeks with their 95 % bands: rows ``{week, series, value, low, high}``."""
    base = alt.Chart(alt.NamedData(name=name))
    color = alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"))
    band = base.mark_errorband(opacity=0.2).encode(
        x=_weeks(), y=alt.Y("low:Q", title=y_title), y2="high:Q", color=color
    )
    line = base.mark_line(point=True).encode(
        x=_weeks(),
        y="value:Q",
        color=color,
        tooltip=["week:N", "series:N", "value:Q", "low:Q", "high:Q"],
    )
    chart = alt.layer(band, line, title=title).properties(width="container", height=_HEIGHT)
    return dict(chart.to_dict())


def chart_specs() -> dict[str, dict[str, Any]]:
    """Every chart of the page by element id (datasets are filled in by the publisher/page)."""
    return copy.deepcopy(_specs())  # the caller may change its copy


@functools.cache
def _specs() -> dict[str, dict[str, Any]]:
    # The same for every site (they name datasets, never hold data): built once per process,
    # since Altair's schema validation takes a third of a second.
    return {
        "chart-wai": trend("wai", "Weekly active installs", "installs"),
        "chart-napari": shares("napari_version", "napari versions"),
        "chart-python": bars("python_version", "Python (latest week)", "installs"),
        "chart-os": bars("os_release", "Operating system (latest week)", "installs"),
        "chart-arch": bars("arch", "CPU architecture (latest week)", "installs"),
        "chart-age": bars("install_age", "Install age (latest week)", "installs", sort="none"),
        "chart-plugins": bars("top_plugins", "Top plugins (mean weekly installs)", "installs"),
        "chart-plugin-trend": trend("plugin_trend", "Weekly installs of the plugin", "installs"),
        "chart-plugin-versions": shares("plugin_versions", "Versions of the plugin"),
        # One per counter of the plugin shown (app.js sets its title and data).
        "chart-plugin-counter": intervals(
            "counter_trend", "Weekly installs that counted it", "weekly installs (95 % interval)"
        ),
        "chart-commands": bars(
            "commands", "Commands (latest week)", "distinct users", field="users"
        ),
        "chart-layer-types": bars(
            "layer_type", "Layer types (latest week)", "distinct users", field="users"
        ),
        "chart-data-types": bars(
            "data_type", "Data types (latest week)", "distinct users", field="users"
        ),
        "chart-ndim": bars(
            "ndim", "Dimensions (latest week)", "distinct users", field="users", sort="none"
        ),
        "chart-sizes": bars(
            "size_bucket", "Data size (latest week)", "distinct users", field="users", sort="none"
        ),
    }
