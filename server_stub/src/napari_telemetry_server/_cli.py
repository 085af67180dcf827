"""``napari-telemetry-server``: serve the collector, purge old raw data, forget weekly ids."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import exc as sa_exc

from . import _collection_cli
from ._public_cli import add_commands, say
from ._requires import IncompatiblePlugin, check_plugin
from ._version import __version__
from .collector import DeletionRequest, Settings, serve
from .storage import (
    RAW_RETENTION_DAYS,
    Storage,
    StorageUnavailable,
    make_engine,
    require_database,
)

DESCRIPTION = (
    "The napari-telemetry collector: serve the per-level endpoints, purge old raw data, forget "
    "weekly ids, and build the public side (aggregate, publish, dashboard)."
)

_IDS = "32-hex weekly ids (from the user's `napari-telemetry ids`)"


def _settings(args: argparse.Namespace) -> Settings:
    given = {k: v for k, v in vars(args).items() if k in Settings.model_fields and v is not None}
    return Settings(**given)


def _serve(args: argparse.Namespace) -> int:
    serve(_settings(args), host=args.host, port=args.port)
    return 0


def _raw_storage(args: argparse.Namespace) -> Storage:
    db = _settings(args).db
    require_database(db)
    return Storage(make_engine(db))


def _purge(args: argparse.Namespace) -> int:
    deleted = _raw_storage(args).purge(date.today())
    say(f"purged {deleted} raw batches past the {RAW_RETENTION_DAYS}-day raw retention")
    return 0


def _forget(args: argparse.Namespace) -> int:
    ids = DeletionRequest(user_ids=args.ids).user_ids
    deleted = _raw_storage(args).forget(ids)
    say(f"deleted {deleted} raw batches of {len(ids)} ids; their later batches are dropped")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with the public side's verbs registered too."""
    parser = argparse.ArgumentParser(prog="napari-telemetry-server", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db: dict[str, Any] = {
        "help": "SQLite file or postgresql:// URL (env NAPARI_TELEMETRY_SERVER_DB)"
    }

    serve = sub.add_parser("serve", help="run the collector (raw side)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--db", **db)
    serve.add_argument("--plugin-index", help="public plugin index file (extended_summary.json)")
    serve.add_argument(
        "--collection-dir", help="folder of the signed collection manifests (`collection sign`)"
    )
    serve.add_argument("--log-dir", help="folder of the daily-rotated log")
    serve.add_argument("--max-body-bytes", type=int, help="largest body, raw or inflated")
    serve.add_argument("--rate-limit", type=int, help="requests per client address per minute")
    serve.add_argument(
        "--deletion-limit", type=int, help="weekly ids per client address per minute to delete"
    )
    serve.add_argument(
        "--trusted-proxies", help="comma-separated proxy addresses whose X-Forwarded-For counts"
    )
    serve.add_argument(
        "--request-timeout", type=float, help="seconds a request may take to arrive in full"
    )
    serve.add_argument(
        "--metrics-port",
        type=int,
        help="serve the operators' counters (Prometheus) on 127.0.0.1 at this port; off if unset",
    )
    serve.set_defaults(func=_serve)

    purge = sub.add_parser("purge", help=f"delete raw data older than {RAW_RETENTION_DAYS} days")
    purge.add_argument("--db", **db)
    purge.set_defaults(func=_purge)

    forget = sub.add_parser("forget", help="delete the raw data of weekly ids (e-mail requests)")
    forget.add_argument("ids", nargs="+", metavar="ID", help=_IDS)
    forget.add_argument("--db", **db)
    forget.set_defaults(func=_forget)

    add_commands(sub)
    _collection_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors are one clear line on stderr and a non-zero exit code."""
    args = build_parser().parse_args(argv)
    try:
        check_plugin()  # the wire schema this collector was installed with, before any command
        return int(args.func(args) or 0)
    except (
        IncompatiblePlugin,
        StorageUnavailable,
        ValueError,
        OSError,
        sa_exc.SQLAlchemyError,
    ) as e:
        logging.getLogger(__name__).debug("command failed", exc_info=True)
        reason = str(e)
        if isinstance(e, sa_exc.SQLAlchemyError):  # corrupt or foreign file: the driver's words
            reason = (str(getattr(e, "orig", None) or e).splitlines() or [repr(e)])[0]
        sys.stderr.write(f"napari-telemetry-server: error: {reason}\n")
        return 2
