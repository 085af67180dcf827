"""The public side: releases with differential privacy, the static site, usage certificates.

Everything public is derived from the aggregate database (``_aggregate_db``), never from raw
rows: ``aggregate`` releases each finished week once (``_release_*``: bounds, OpenDP
mechanisms, reads of the raw tables), ``publish`` builds the site from the releases
(``_publish_*`` and the ``_site`` assets), ``make_server`` serves it (``dashboard``), and
``_certify`` signs and verifies lower bounds of released numbers.
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
