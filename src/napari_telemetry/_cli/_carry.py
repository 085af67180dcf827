"""``export``, ``send --file`` and ``check``: institutions, clusters and computers offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from napari_telemetry.core import CarryError, telemetry

from ._output import UserError, out


def cmd_export(args: argparse.Namespace) -> int:
    report = telemetry.export(Path(args.file))
    if report.failed:
        raise UserError(str(report))
    out(str(report))
    return 0


def cmd_send_file(path: Path) -> int:
    try:
        report = telemetry.send_file(path)
    except CarryError as e:
        raise UserError(f"nothing was sent: {e}") from e
    out(str(report))
    return 0 if report.complete else 1


def cmd_check(args: argparse.Namespace) -> int:
    report = telemetry.check()
    out(f"Certificates are verified with {report.trust}.")
    out(f"Proxy settings: {', '.join(report.proxies) or 'none (direct connections)'}.")
    for probe in report.probes:
        mark = "ok  " if probe.ok else "FAIL"
        out(f"{mark} {probe.what}: {probe.url}: {probe.detail}")
    if not report.probes:
        out("(no endpoint to try: sending and the plugin index are switched off)")
    folder = report.folder
    out(f"{'FAIL' if folder else 'ok  '} data folder: {folder or 'written and locked as needed'}")
    return 0 if report.ok else 1
