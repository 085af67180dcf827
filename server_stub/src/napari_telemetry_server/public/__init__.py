"""The public side: releases with differential privacy, the static site, usage certificates.

Everything public is derived from released numbers, never from raw rows: ``aggregate`` releases
each period of the release calendar once (``_release_*``: bounds, OpenDP mechanisms, reads of
the raw tables) into the ledger (``ledger``: the calendar, the record of what was published and
its budget), of which the aggregate database (``_aggregate_db``) is a cache rebuilt byte for
byte; ``publish`` builds the site from it (``_publish_*`` and the ``_site`` assets),
``make_server`` serves it (``dashboard``), and ``_certify`` signs and verifies lower bounds of
released numbers.
"""

from __future__ import annotations

from ._aggregate import AggregateReport, aggregate
from ._aggregate_rules import Denylist
from ._certify import (
    InvalidCertificate,
    fingerprint,
    key_id,
    load_or_create_key,
    load_public_key,
    parse,
    public_pem,
    record_key,
    sign,
    statement,
    verify,
)
from ._publish import PublishReport, publish
from ._publish_serve import make_server
from ._release_config import ReleaseSettings
from ._release_dryrun import dry_run
from .ledger import ledger_report

__all__ = [
    "AggregateReport",
    "Denylist",
    "InvalidCertificate",
    "PublishReport",
    "ReleaseSettings",
    "aggregate",
    "dry_run",
    "fingerprint",
    "key_id",
    "ledger_report",
    "load_or_create_key",
    "load_public_key",
    "make_server",
    "parse",
    "public_pem",
    "publish",
    "record_key",
    "sign",
    "statement",
    "verify",
]
