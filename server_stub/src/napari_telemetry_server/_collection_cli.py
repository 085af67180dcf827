"""``collection check|sign|show``: the operators' side of plugin counters' review."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from .collection import CURRENT, DEFAULT_DAYS, check, sign_collection
from .collector import Settings, data_dir

_ENV = Settings.model_config["env_prefix"]


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _default(name: str, filename: str) -> Path:
    return Path(os.environ.get(_ENV + name) or data_dir() / filename)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as e:
        raise ValueError(f"cannot read {str(path)!r}: {e}") from e


def _check(args: argparse.Namespace) -> int:
    errors, warnings = check(_read_text(args.file), date.today())
    for line in warnings:
        _say(f"warning: {line}")
    if errors:
        _say(f"🅇 Invalid! {len(errors)} problem(s) in {args.file}:")
        for line in errors:
            _say(f"  {line}")
        return 1
    _say(f"✔ {args.file} can be signed.")
    return 0


def _sign(args: argparse.Namespace) -> int:
    from .keys import key_id, load_or_create_key  # cryptography: only for this verb

    text = _read_text(args.file)
    keys = []
    for path in args.key or [_default("COLLECTION_KEY", "collection_key.pem")]:
        key, created = load_or_create_key(path)
        if created:
            _say(f"created a new collection key {path} (keep it secret; ship its public half)")
        keys.append(key)
    signed = sign_collection(text, keys, args.dir, today=date.today(), days=args.days)
    for line in signed.warnings:
        _say(f"warning: {line}")
    for where in signed.left_out:
        _say(f"left out (expired): {where}")
    ids = ", ".join(key_id(k.public_key()) for k in keys)
    _say(
        f"signed collection manifest version {signed.version} ({signed.counters} counters), "
        f"valid until {signed.expires}, with key {ids}: {signed.path}"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    path = args.dir / CURRENT
    try:
        document = json.loads(path.read_bytes())
        signed = document["signed"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"no signed collection manifest in {str(args.dir)!r} ({e})") from e
    ids = ", ".join(s.get("key_id", "?") for s in document.get("signatures", []))
    _say(f"version {signed['version']}, signed {signed['issued']} by {ids}")
    _say(f"valid until {signed['expires']}")
    for plugin, approved in sorted(signed["plugins"].items()):
        for name, counter in sorted(approved["counters"].items()):
            labels = ", ".join(counter["labels"]) or "no labels"
            _say(f"  {plugin}.{name} until {counter['expires']} ({labels})")
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``collection`` and its verbs on the collector's CLI."""
    p = subparsers.add_parser("collection", help="review and sign the plugin counters")
    verbs = p.add_subparsers(dest="collection_command", metavar="VERB", required=True)
    dir_help = "folder of the signed manifests (env NAPARI_TELEMETRY_SERVER_COLLECTION_DIR)"
    folder = _default("COLLECTION_DIR", "collection")

    v = verbs.add_parser("check", help="lint the reviewed file (what CI runs on a pull request)")
    v.add_argument("file", type=Path, help="the reviewed file (TOML)")
    v.set_defaults(func=_check)

    v = verbs.add_parser("sign", help="sign the reviewed file as the next manifest version")
    v.add_argument("file", type=Path, help="the reviewed file (TOML)")
    v.add_argument(
        "--key",
        type=Path,
        action="append",
        help="Ed25519 key, PEM; twice while rotating (env NAPARI_TELEMETRY_SERVER_COLLECTION_KEY)",
    )
    v.add_argument("--dir", type=Path, default=folder, help=dir_help)
    v.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help="days until clients stop trusting it"
    )
    v.set_defaults(func=_sign)

    v = verbs.add_parser("show", help="what the served manifest approves")
    v.add_argument("--dir", type=Path, default=folder, help=dir_help)
    v.set_defaults(func=_show)
