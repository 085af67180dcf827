"""Sub-commands of the public side (aggregate, ledger, publish, dashboard, certify, verify, key,
demo)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .collector import Settings, data_dir

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

_ENV = Settings.model_config["env_prefix"]


def say(text: str) -> None:
    """One line of a verb's report, on stdout (errors go to stderr, from ``main``)."""
    sys.stdout.write(text + "\n")


def _default(name: str, filename: str) -> Path:
    return Path(os.environ.get(_ENV + name) or data_dir() / filename)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read {str(path)!r}: {e.strerror}") from e


def _aggregates() -> Path:
    return _default("AGGREGATES", "aggregates.sqlite")


def _signing_key() -> Path:
    return _default("SIGNING_KEY", "signing_key.pem")


def _denylist() -> Path:
    return _default("DENYLIST", "denylist.txt")


def _aggregate(args: argparse.Namespace) -> int:
    # lazy: public/ loads Altair and OpenDP (0.45 s), which serve must not pay
    from .public import Denylist, ReleaseSettings, aggregate, dry_run  # lazy

    raw = args.db or Settings().db
    settings = ReleaseSettings()
    if settings.weaker_than_default:
        say(
            f"warning: the budget spends rho={settings.rho_per_unit:g} per weekly id and "
            "week, more than the 0.5 the privacy notes promise; it is published"
        )
    if args.dry_run:
        for line in dry_run(raw, settings, date.today()):
            say(line)
        return 0
    deny = Denylist.load(args.denylist)
    collection = args.collection_dir or Settings().collection_dir
    report = aggregate(
        raw, args.out, settings=settings, deny=deny, adopt=args.adopt, collection=collection
    )
    for line in report.lines():
        say(line)
    say(f"aggregate database: {args.out}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    # lazy: public/ loads Altair and OpenDP (0.45 s), which serve must not pay
    from .public import Denylist, load_or_create_key, public_pem, publish  # lazy

    if args.public_key:
        pem: bytes | None = _read(args.public_key)
    elif args.key.exists():
        pem = public_pem(load_or_create_key(args.key)[0])
    else:
        pem = None
    report = publish(args.aggregates, args.out, deny=Denylist.load(args.denylist), public_key=pem)
    say(f"published {report.files} files ({report.plugins} plugins) to {report.out}")
    if report.removed_rows:
        say(f"left out {report.removed_rows} rows matching the denylist")
    if pem is None:
        say("no public key published (no --public-key and no signing key yet)")
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    # lazy: public/ loads Altair and OpenDP (0.45 s), which serve must not pay
    from .public import make_server  # lazy: Altair and OpenDP, only for this verb

    try:
        server = make_server(args.dir, args.host, args.port)
    except OSError as e:
        raise ValueError(f"cannot listen on {args.host}:{args.port}: {e.strerror}") from e
    host, port = server.server_address[:2]
    say(f"serving {args.dir} at http://{host!s}:{port}/ (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _certify(args: argparse.Namespace) -> int:
    # lazy: public/ loads Altair and OpenDP (0.45 s), which serve must not pay
    from .public import load_or_create_key, record_key, sign, statement  # lazy

    stmt = statement(
        args.aggregates,
        args.plugin,
        args.period,
        today=date.today(),
        counter=args.counter,
        label=args.label,
    )
    key, created = load_or_create_key(args.key)
    if created:
        say(f"created a new signing key {args.key} (keep it secret; publish the site again)")
    record_key(args.db or Settings().db, args.aggregates, key.public_key(), date.today())
    name = "-".join(n for n in (args.plugin, args.counter, args.label) if n)
    out = args.out or Path(f"{name}-{args.period}.json")
    out.write_text(json.dumps(sign(stmt, key), indent=2, sort_keys=True) + "\n", "utf-8")
    say(f"{_certified(stmt)} ({stmt['confidence']:.0%} lower bound)")
    say(f"certificate: {out}")
    return 0


def _certified(stmt: dict[str, object]) -> str:
    """What a certificate's statement says, in one line."""
    if "counter" not in stmt:
        return (
            f"{stmt['plugin']} had at least {stmt['at_least']} weekly installs on average in "
            f"{stmt['period']}"
        )
    label = f" with label {stmt['label']}" if stmt["label"] else ""
    return (
        f"{stmt['plugin']}.{stmt['counter']}{label} was counted by at least "
        f"{stmt['at_least']} weekly installs on average in {stmt['period']}"
    )


def _ledger(args: argparse.Namespace) -> int:
    # lazy: public/ loads Altair and OpenDP (0.45 s), which serve must not pay
    from .public import ledger_report  # lazy

    for line in ledger_report(args.db or Settings().db):
        say(line)
    return 0


def _key(args: argparse.Namespace) -> int:
    # lazy: public/ loads Altair and OpenDP (0.45 s), which serve must not pay
    from .public import fingerprint, key_id, load_or_create_key, public_pem  # lazy

    if not args.key.exists():
        raise ValueError(f"no signing key at {str(args.key)!r} (`certify` creates one)")
    public = load_or_create_key(args.key)[0].public_key()
    say(f"key id: {key_id(public)}")
    say(f"SHA-256 fingerprint: {fingerprint(public)}")
    if args.pem:
        sys.stdout.write(public_pem(public).decode())
    return 0


def _verify_key(args: argparse.Namespace, document: object) -> Ed25519PublicKey:
    # lazy: public/ loads Altair and OpenDP (0.45 s), which serve must not pay
    from .public import InvalidCertificate, load_or_create_key, load_public_key  # lazy

    if args.keys:
        kid = document.get("key_id") if isinstance(document, dict) else None
        if not isinstance(kid, str) or re.fullmatch(r"[0-9a-f]{16}", kid) is None:
            raise InvalidCertificate(f"malformed certificate: key_id {kid!r}")
        path = args.keys / f"{kid}.pem"
        if not path.exists():
            raise InvalidCertificate(f"signed with key {kid}, which {str(args.keys)!r} lacks")
        return load_public_key(_read(path))
    if args.public_key:
        return load_public_key(_read(args.public_key))
    if args.key.exists():
        return load_or_create_key(args.key)[0].public_key()
    raise ValueError("give --keys (the site's keys/ folder) or --public-key (public_key.pem)")


def _verify(args: argparse.Namespace) -> int:
    # lazy: public/ loads Altair and OpenDP (0.45 s), which serve must not pay
    from .public import parse, verify  # lazy: Altair and OpenDP, only for this verb

    try:
        document = parse(args.file.read_bytes())  # bytes: a BOM or UTF-16 is fine too
        stmt = verify(document, _verify_key(args, document))
    # ValueError: InvalidCertificate, JSON errors, not UTF-8, a number past the digit limit.
    except (OSError, ValueError, RecursionError) as e:
        sys.stderr.write(f"INVALID: {e}\n")
        return 1
    say(
        f"valid: {_certified(stmt)} ({stmt['confidence']:.0%} lower bound, ε = "
        f"{stmt['epsilon']:.2f}; issued {stmt['issued_on']})"
    )
    return 0


def _demo(args: argparse.Namespace) -> int:
    # lazy: demo/ runs the public side, which loads Altair and OpenDP (0.45 s)
    from .demo import DemoShape, run_demo  # lazy: the demo's data, only for this verb

    weeks = DemoShape.weeks if args.weeks is None else args.weeks
    users = DemoShape.last_week_users if args.users is None else args.users
    shape = DemoShape(weeks=weeks, first_week_users=max(users // 4, 10), last_week_users=users)
    say(f"seeding {weeks} weeks of synthetic data into {args.dir} ...")
    shown = [0]

    def progress(stored: int) -> None:
        if stored >= shown[0] + 20_000:
            shown[0] = stored
            say(f"  {stored} batches stored")

    result = run_demo(args.dir, shape, seed_value=args.seed, progress=progress)
    say(f"stored {result.batches} batches; " + "; ".join(result.aggregated.lines()))
    say(f"site: {result.site / 'index.html'}")
    if args.no_serve:
        return 0
    args.dir = result.site
    return _dashboard(args)


_DENY_HELP = "values never published, one a line (env NAPARI_TELEMETRY_SERVER_DENYLIST)"
_KEY_HELP = "Ed25519 signing key, PEM (env NAPARI_TELEMETRY_SERVER_SIGNING_KEY)"
_DB_HELP = "raw SQLite file or postgresql:// URL (env NAPARI_TELEMETRY_SERVER_DB)"


def _aggregates_option(parser: argparse.ArgumentParser, flag: str = "--aggregates") -> None:
    help_ = "aggregate SQLite file (env NAPARI_TELEMETRY_SERVER_AGGREGATES)"
    parser.add_argument(flag, type=Path, default=_aggregates(), help=help_)


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the public-side verbs on the collector's CLI."""
    p = subparsers.add_parser(
        "aggregate", help="release finished weeks with differential privacy (frozen once)"
    )
    p.add_argument("--db", help=_DB_HELP)
    _aggregates_option(p, "--out")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print each table's accuracy for the current number of weekly ids; release nothing",
    )
    p.add_argument("--denylist", type=Path, default=_denylist(), help=_DENY_HELP)
    p.add_argument(
        "--adopt",
        action="store_true",
        help="record in the ledger the releases the aggregate file holds and the ledger lacks "
        "(a file made before the ledger existed); they are not released again",
    )
    p.add_argument(
        "--collection-dir",
        type=Path,
        help="the signed collection manifests, as `serve` reads them (env "
        "NAPARI_TELEMETRY_SERVER_COLLECTION_DIR): each week releases every plugin counter "
        "they approved for it",
    )
    p.set_defaults(func=_aggregate)

    p = subparsers.add_parser(
        "ledger", help="print every released period, its budget, and a year's total"
    )
    p.add_argument("--db", help=_DB_HELP)
    p.set_defaults(func=_ledger)

    p = subparsers.add_parser("publish", help="build the static public site")
    p.add_argument("--out", type=Path, required=True, help="site folder to (re)write")
    _aggregates_option(p)
    p.add_argument("--denylist", type=Path, default=_denylist(), help=_DENY_HELP)
    p.add_argument("--public-key", type=Path, help="public key PEM to publish")
    p.add_argument("--key", type=Path, default=_signing_key(), help=_KEY_HELP)
    p.set_defaults(func=_publish)

    p = subparsers.add_parser("dashboard", help="serve a published site folder")
    p.add_argument("--dir", type=Path, default=data_dir() / "site", help="published folder")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8080, help="port to listen on")
    p.set_defaults(func=_dashboard)

    p = subparsers.add_parser("certify", help="sign a plugin's usage certificate")
    p.add_argument("--plugin", required=True, help="plugin name as published")
    p.add_argument("--period", required=True, help="quarter, e.g. 2026-Q4")
    p.add_argument("--counter", help="one of the plugin's counters, instead of its installs")
    p.add_argument("--label", default="", help="the counter's label (none: a counter without)")
    p.add_argument("--db", help=_DB_HELP + "; its ledger keeps the public key")
    _aggregates_option(p)
    p.add_argument("--key", type=Path, default=_signing_key(), help=_KEY_HELP)
    p.add_argument("--out", type=Path, help="certificate file (default PLUGIN-PERIOD.json)")
    p.set_defaults(func=_certify)

    p = subparsers.add_parser("verify", help="check a usage certificate's signature")
    p.add_argument("file", type=Path, help="certificate JSON file")
    p.add_argument("--keys", type=Path, help="the site's keys/ folder (any key ever used)")
    p.add_argument("--public-key", type=Path, help="the site's public_key.pem")
    p.add_argument("--key", type=Path, default=_signing_key(), help=_KEY_HELP)
    p.set_defaults(func=_verify)

    p = subparsers.add_parser("key", help="print the signing key's id and fingerprint")
    p.add_argument("--key", type=Path, default=_signing_key(), help=_KEY_HELP)
    p.add_argument("--pem", action="store_true", help="also print its public half (PEM)")
    p.set_defaults(func=_key)

    p = subparsers.add_parser("demo", help="seed synthetic data, aggregate, publish and serve")
    p.add_argument("--dir", type=Path, default=Path("napari-telemetry-demo"), help="demo folder")
    # No defaults here: they are DemoShape's, and demo/ is imported only when the verb runs.
    p.add_argument("--weeks", type=int, help="weeks of synthetic data")
    p.add_argument(
        "--users",
        type=int,
        help="weekly active installs in the last week (a quarter of it in the first)",
    )
    p.add_argument("--seed", type=int, default=8, help="random seed")
    p.add_argument("--no-serve", action="store_true", help="only build the site")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8080, help="port to listen on")
    p.set_defaults(func=_demo)
