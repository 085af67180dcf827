"""``napari-telemetry counters``: lint a declaration, list plugins' counters, switch them."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from napari_telemetry.core import PluginOffer, telemetry
from napari_telemetry.schema import Level, Problem, lint_declaration, normalized_name

from ._output import UserError, out

_STATES = {"on": "on", "off": "off", "changed": "off: asks again (new counters or labels)"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``counters`` and its verbs."""
    counters = sub.add_parser("counters", help="plugins' own counters: lint, list, switch")
    verbs = counters.add_subparsers(dest="counters_command", metavar="VERB", required=True)
    lint = verbs.add_parser("lint", help="check a plugin's napari-telemetry.toml")
    lint.add_argument("file", type=Path, help="the declaration file")
    listing = verbs.add_parser("list", help="installed plugins' approved counters and switches")
    listing.add_argument(
        "--refresh", action="store_true", help="fetch the collection manifest now (at full)"
    )
    for verb, what in (("enable", "let a plugin count"), ("disable", "stop a plugin counting")):
        switch = verbs.add_parser(verb, help=what)
        switch.add_argument("plugin", help="the plugin's name, e.g. napari-example")


def cmd_counters(args: argparse.Namespace) -> int:
    """Run one ``counters`` verb."""
    verb = args.counters_command
    if verb == "lint":
        return _lint(args.file)
    if verb == "list":
        return _list(refresh=args.refresh)
    return _switch(normalized_name(args.plugin), on=verb == "enable")


def _lint(path: Path) -> int:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as e:
        raise UserError(f"cannot read {str(path)!r}: {e}") from e
    declaration, problems = lint_declaration(text, today=date.today())
    errors = [p for p in problems if p.severity == "error"]
    if errors or declaration is None:
        out(f"🅇 Invalid! {len(errors)} problem(s) in {path.name}:")
        out(*(line for p in errors for line in _problem_lines(p)))
    else:
        names = ", ".join(
            f"{declaration.plugin}.{name}" + (f" ({len(c.labels)} labels)" if c.labels else "")
            for name, c in declaration.counters.items()
        )
        out(f"✔ Counters of {declaration.plugin!r} valid! {names}")
    out(*(f"warning: {p}" for p in problems if p.severity == "warning"))
    return 1 if errors or declaration is None else 0


def _problem_lines(problem: Problem) -> list[str]:
    return [problem.where, f"  {problem.message}"]


def _list(*, refresh: bool) -> int:
    if refresh and telemetry.refresh_collection(now=True) is None:
        out("Nothing was fetched (telemetry is not at full, or the plugin index is off).")
    overview = telemetry.plugin_counters()
    level = telemetry.decision().level
    out(f"Manifest: {overview.manifest}.")
    if level is not Level.FULL:
        out(f"Plugins count only at the full level; telemetry is at {level.value} here.")
    if not overview.plugins:
        out("No installed plugin has approved counters.")
    for offer in overview.plugins:
        out(*_offer_lines(offer))
    if overview.unapproved:
        out(f"Declared, none approved (never counted): {', '.join(overview.unapproved)}")
    out(*(f"Problem: {line}" for line in overview.problems))
    return 0


def _offer_lines(offer: PluginOffer) -> list[str]:
    lines = [f"{offer.plugin}: {_STATES[offer.state]} (reviewed at {offer.review})"]
    lines += [f"  new: {line}" for line in offer.new]
    for counter in offer.counters:
        labels = f"labels {', '.join(counter.labels)}; " if counter.labels else ""
        lines.append(f"  {counter.name} ({labels}until {counter.expires}): {counter.description}")
    return lines


def _switch(plugin: str, *, on: bool) -> int:
    try:
        telemetry.set_plugin_counters(plugin, on)
    except ValueError as e:
        raise UserError(f"{e} (see `napari-telemetry counters list`)") from e
    if on:
        out(f"{plugin} may now count what `napari-telemetry counters list` shows for it.")
        if telemetry.decision().level is not Level.FULL:
            out("It counts only while telemetry is at the full level.")
    else:
        out(f"{plugin} counts nothing more; what it counted here and did not send is deleted.")
    return 0
