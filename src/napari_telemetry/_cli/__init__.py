"""``napari-telemetry``: see, change and send what napari-telemetry collects, from a terminal."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from napari_telemetry._version import __version__
from napari_telemetry.core import MAX_CONSENT_DAYS, preview_json

from ._commands import COMMANDS, UserError
from ._counters import add_parser as add_counters_parser

__all__ = ["main", "preview_json"]
log = logging.getLogger("napari_telemetry")
_LEVELS = ["basic", "middle", "full"]


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of days, got {value!r}"
        ) from None
    if not 1 <= number <= MAX_CONSENT_DAYS:
        raise argparse.ArgumentTypeError(
            f"expected at least 1 day and at most {MAX_CONSENT_DAYS}, got {value!r}"
        )
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="napari-telemetry",
        description="Opt-in usage telemetry for napari: see what is collected and sent, "
        "change your choice, send or delete.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser("status", help="the effective level here, and why")
    enable = sub.add_parser("enable", help="agree to share at a level")
    enable.add_argument("--level", required=True, type=str.lower, choices=_LEVELS)
    enable.add_argument("--days", type=_positive, help="agree for this many days only")
    sub.add_parser("disable", help="stop, and delete everything not yet sent")
    preview = sub.add_parser("preview", help="the exact batches that would be sent now")
    preview.add_argument("--level", type=str.lower, choices=_LEVELS)
    shown = preview.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print them as JSON")
    shown.add_argument(
        "--explain", action="store_true", help="every field with what it means (the catalogue)"
    )
    send = sub.add_parser("send", help="send finished days now (normally done in the background)")
    how = send.add_mutually_exclusive_group()
    how.add_argument("--now", action="store_true", help="also send today's records, ignore waits")
    how.add_argument(
        "--file", metavar="FILE", help="send the batches of an export (from another computer)"
    )
    export = sub.add_parser(
        "export", help="write every pending batch to FILE, to send from another computer"
    )
    export.add_argument("file", metavar="FILE")
    sub.add_parser("check", help="try every endpoint and the data folder, and name any problem")
    sub.add_parser("ids", help="your anonymous weekly ids in use (of the last 9 weeks)")
    forget = sub.add_parser("forget", help="ask the collector to delete your ids, make new ones")
    forget.add_argument(
        "--local",
        action="store_true",
        help="then delete every local file too (secret, pending and sent data, consent, cache)",
    )
    forget.add_argument("--yes", action="store_true", help="do not ask before deleting")
    sub.add_parser("endpoints", help="the collector address of each level (for firewalls)")
    catalogue = sub.add_parser("catalogue", help="every field that can be sent, by level")
    form = catalogue.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="as JSON rows")
    form.add_argument("--markdown", action="store_true", help="as docs/data-catalogue.md")
    add_counters_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (2 for usage errors, 1 for other failures)."""
    logging.basicConfig(level=logging.WARNING, format="napari-telemetry: %(message)s")
    args = _parser().parse_args(argv)
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # here, so that a reader gone away is seen below, not at exit
        return code
    except BrokenPipeError:  # `napari-telemetry ids | head -3`: the reader had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except UserError as e:
        sys.stderr.write(f"napari-telemetry: {e}\n")
        return 1
    except OSError as e:
        why = e.strerror or type(e).__name__
        sys.stderr.write(f"napari-telemetry: cannot use the telemetry files ({why})\n")
        return 1
    except Exception as e:  # a bug: say so in one line; details with NAPARI_TELEMETRY_DEBUG=1
        log.debug("unexpected error", exc_info=True)
        sys.stderr.write(f"napari-telemetry: unexpected error: {e!r}\n")
        return 1
