"""``napari-telemetry forget --local``: the deletion request, then every local file goes."""

from __future__ import annotations

import argparse
import sys

from napari_telemetry.core import telemetry

from ._output import UserError, out


def cmd_forget_local(args: argparse.Namespace) -> int:
    folders = telemetry.local_folders()
    out(
        "This asks the collector to delete the data of all your weekly ids, then removes every",
        "file napari-telemetry keeps for you, in all your Python environments:",
    )
    out(*(f"  {folder.path}  ({folder.holds})" for folder in folders))
    if not folders:
        out("  (no folder exists yet)")
    if not args.yes and not _confirmed():
        out("Nothing was deleted.")
        return 1
    result = telemetry.forget_local()
    out(*result.lines())
    if result.problems:
        raise UserError("some files could not be removed (see above)")
    return 0 if result.forget.reached or not result.forget.ids else 1  # not deleted there


def _confirmed() -> bool:
    if not sys.stdin.isatty():
        raise UserError("add --yes to confirm: there is no terminal to ask")
    sys.stdout.write("Delete all of it? [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() in {"y", "yes"}
