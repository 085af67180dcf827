"""The verbs of ``napari-telemetry``; each returns an exit status and writes to stdout."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from napari_telemetry.core import SecretError, preview_json, telemetry
from napari_telemetry.schema import LEVEL_WORDS, Level, catalogue, catalogue_markdown

from ._carry import cmd_check, cmd_export, cmd_send_file
from ._counters import cmd_counters
from ._explain import explain_lines
from ._forget import cmd_forget_local
from ._output import UserError, out
from ._status import status_lines

__all__ = ["COMMANDS", "UserError"]


def cmd_status(args: argparse.Namespace) -> int:
    out(*status_lines())
    return 0


def cmd_enable(args: argparse.Namespace) -> int:
    level = Level.parse(args.level)
    before = telemetry.decision()
    if telemetry.policy_locked():
        raise UserError("the site policy is locked: your administrator decides here")
    telemetry.record_consent(level, days=args.days)
    after = telemetry.decision()
    until = f" for {args.days} day(s)" if args.days else ""
    out(f"You agreed to share at level {level.value}{until} in this environment.")
    if after.level is not level:
        out(f"Effective level: {after.level.value}, because {after.reason}.")
    if before.level.rank > after.level.rank:
        out("Pending data above the new level was deleted.")
    out(
        "See what is collected with `napari-telemetry catalogue`, "
        "and what would be sent with `napari-telemetry preview`."
    )
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    pending = telemetry.pending_here()
    telemetry.disable()
    out(
        "Telemetry is off in this environment; nothing more is recorded or sent.",
        f"{pending} pending record(s) of this environment deleted "
        "(other environments keep theirs, recorded under their own consent).",
    )
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    level = Level.parse(args.level) if args.level else None
    batches = telemetry.preview(level)
    if args.json:
        out(preview_json(batches))
        return 0
    if not batches:
        out("Nothing is waiting to be sent.")
    if args.explain:
        counters = telemetry.counter_descriptions() if batches else {}
        for batch in batches:
            out(*explain_lines(batch, counters), "")
        return 0
    for batch in batches:
        out(
            f"batch {batch['batch_id']} → {batch['level']} stream, week {batch['week']}, "
            f"id {batch['user_id']}, {len(batch['records'])} record(s)"
        )
        for record in batch["records"]:
            fields = ", ".join(f"{k}={v}" for k, v in record.items() if k != "type")
            out(f"  {record['type']}: {fields}")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    if args.file:
        return cmd_send_file(Path(args.file))
    report = telemetry.send_now(force=args.now)
    out(str(report))
    return 0 if report.ok else 1  # something was due and did not leave


def cmd_ids(args: argparse.Namespace) -> int:
    try:
        ids = telemetry.ids()
    except SecretError as e:
        raise UserError(f"{e}; run `napari-telemetry forget` to make a new one") from e
    if not ids:
        out(
            "You have no weekly ids in use: nothing was recorded or sent with your current",
            "secret in the last 9 weeks, and telemetry is off here.",
        )
        return 0
    out(
        "Your anonymous weekly ids in use (newest first): the weeks of the last 9 whose data",
        "left this computer or waits to, and this week while telemetry is on. The collector",
        "cannot link them; quote them to ask for deletion by e-mail, or run",
        "`napari-telemetry forget`.",
        "",
    )
    out(*(f"{week}  {uid}" for week, uid in ids))
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    if args.local:
        return cmd_forget_local(args)
    result = telemetry.forget()
    out(*result.lines())
    return 0 if result.ok else 1  # the collector not reached, or the secret not replaced


def cmd_endpoints(args: argparse.Namespace) -> int:
    endpoints = telemetry.endpoints()
    for level, url in endpoints.batches.items():
        if url is None:
            out(f"{level.value:7} (no usable collector URL: nothing is sent)")
            continue
        parts = urlsplit(url)
        out(
            f"{level.value:7} {parts.scheme}://{parts.netloc}  POST {parts.path}  "
            f"({LEVEL_WORDS[level].carries})"
        )
    for url in endpoints.deletion:
        parts = urlsplit(url)
        out(
            f"{'delete':7} {parts.scheme}://{parts.netloc}  POST {parts.path}  "
            "(deletion requests from `napari-telemetry forget`)"
        )
    index = endpoints.index
    if index is None:
        out(f"{'index':7} (switched off: nothing is fetched, so no plugin is ever named)")
    else:
        parts = urlsplit(index)
        out(
            f"{'index':7} {parts.scheme}://{parts.netloc}  GET {parts.path}  "
            "(the public plugin list, fetched at most weekly at middle and full)"
        )
    if endpoints.collection is not None:
        parts = urlsplit(endpoints.collection)
        out(
            f"{'counter':7} {parts.scheme}://{parts.netloc}  GET {parts.path}  "
            "(the signed list of approved plugin counters, fetched at most weekly at full)"
        )
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    if args.markdown:
        sys.stdout.write(catalogue_markdown().rstrip("\n") + "\n")
    elif args.json:
        out(json.dumps(catalogue(), indent=2))
    else:
        for row in catalogue():
            out(
                f"{row['level']:7} {row['record']}.{row['field']}: {row['type']}",
                f"        {row['description']}",
            )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "status": cmd_status,
    "enable": cmd_enable,
    "disable": cmd_disable,
    "preview": cmd_preview,
    "send": cmd_send,
    "export": cmd_export,
    "check": cmd_check,
    "ids": cmd_ids,
    "forget": cmd_forget,
    "endpoints": cmd_endpoints,
    "catalogue": cmd_catalogue,
    "counters": cmd_counters,
}
