"""Usage certificates: Ed25519-signed, refused below 10 ids, tampering detected."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from napari_telemetry_server import _aggregate_db as db
from napari_telemetry_server._aggregate_weeks import quarter_weeks, week_start, week_start_unix
from napari_telemetry_server._certify import (
    InvalidCertificate,
    load_or_create_key,
    public_pem,
    sign,
    statement,
    verify,
)
from napari_telemetry_server._cli import main

PERIOD = "2026-Q4"


@pytest.fixture
def aggregates(tmp_path: Path) -> Path:
    """An aggregate database: napari-big at 40-52 installs, napari-small at 6, one gap week."""
    path = tmp_path / "aggregates.sqlite"
    engine = db.open_aggregates(path)
    weeks = quarter_weeks(PERIOD)[:6]
    with engine.begin() as conn:
        conn.execute(insert(db.meta), [{"key": "k", "value": "5"}])
        conn.execute(insert(db.weeks), [
            {"week": w, "week_start": week_start(w).isoformat(), "week_start_unix":
             week_start_unix(w), "status": "published", "active_installs": 100,
             "new_installs": 9} for w in weeks
        ])  # fmt: skip
        big = [{"week": w, "plugin": "napari-big", "installs": 40 + 2 * i}
               for i, w in enumerate(weeks[:-1])]  # fmt: skip
        small = [{"week": w, "plugin": "napari-small", "installs": 6} for w in weeks]
        conn.execute(insert(db.plugins), big + small)
    engine.dispose()
    return path


def test_quarter_weeks() -> None:
    weeks = quarter_weeks("2026-Q4")
    assert weeks[0] == "2026-W40" and weeks[-1] == "2026-W53"  # noqa: PT018
    assert len(quarter_weeks("2026-Q1")) == 13
    with pytest.raises(ValueError, match="2026-13"):
        quarter_weeks("2026-13")


def test_statement_is_a_range_of_the_mean(aggregates: Path) -> None:
    from datetime import date

    stmt = statement(aggregates, "napari-big", PERIOD, today=date(2027, 1, 5))
    # 40+42+44+46+48 = 220 and a week below k, as 0 (low) or k - 1 = 4 (high): 36.7 to 37.3.
    assert stmt["range"] == {"low": 36, "high": 38}
    assert stmt["k"] == 5
    assert stmt["minimum_ids"] == 10
    assert stmt["period"]["weeks_with_data"] == 6
    assert "lower bound" in stmt["method"]


def test_refused_below_ten_ids(aggregates: Path) -> None:
    from datetime import date

    with pytest.raises(ValueError, match="fewer than 10"):
        statement(aggregates, "napari-small", PERIOD, today=date(2027, 1, 5))
    with pytest.raises(ValueError, match="no aggregated week"):
        statement(aggregates, "napari-big", "2025-Q1", today=date(2027, 1, 5))


def test_signature_round_trip_and_tampering(tmp_path: Path, aggregates: Path) -> None:
    from datetime import date

    key, created = load_or_create_key(tmp_path / "k.pem")
    assert created
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path / "k.pem")[1] is False
    doc = sign(statement(aggregates, "napari-big", PERIOD, today=date(2027, 1, 5)), key)
    assert verify(json.loads(json.dumps(doc)), key.public_key())["plugin"] == "napari-big"
    forged: dict[str, Any] = json.loads(json.dumps(doc))
    forged["statement"]["range"]["low"] = 3600
    with pytest.raises(InvalidCertificate, match="does not match"):
        verify(forged, key.public_key())
    other, _ = load_or_create_key(tmp_path / "other.pem")
    with pytest.raises(InvalidCertificate):
        verify(doc, other.public_key())
    with pytest.raises(InvalidCertificate, match="malformed"):
        verify({"statement": "x"}, key.public_key())


def test_cli_certify_then_verify(
    tmp_path: Path, aggregates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, cert = tmp_path / "signing.pem", tmp_path / "cert.json"
    common = ["--aggregates", str(aggregates), "--key", str(key)]
    args = ["certify", "--plugin", "napari-big", "--period", PERIOD, "--out", str(cert), *common]
    assert main(args) == 0
    assert "created a new signing key" in capsys.readouterr().out
    public = tmp_path / "public_key.pem"
    public.write_bytes(public_pem(load_or_create_key(key)[0]))
    assert main(["verify", str(cert), "--public-key", str(public)]) == 0
    assert "valid: napari-big had 36 to 38" in capsys.readouterr().out
    cert.write_text(cert.read_text().replace('"napari-big"', '"napari-fake"'))
    assert main(["verify", str(cert), "--public-key", str(public)]) == 1
    assert "INVALID" in capsys.readouterr().err
    refused = ["certify", "--plugin", "napari-small", "--period", PERIOD, *common]
    assert main(refused) == 2
    assert "refused" in capsys.readouterr().err


def test_published_site_carries_the_public_key(
    tmp_path: Path, aggregates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "signing.pem"
    load_or_create_key(key)
    site = tmp_path / "site"
    assert (
        main(["publish", "--out", str(site), "--aggregates", str(aggregates), "--key", str(key)])
        == 0
    )
    assert (site / "public_key.pem").read_bytes() == public_pem(load_or_create_key(key)[0])
    assert b"PRIVATE" not in b"".join(p.read_bytes() for p in site.rglob("*") if p.is_file())


def _verify_file(tmp_path: Path, aggregates: Path, content: Any) -> int:
    """Sign a real certificate, write *content(its JSON text)* as the file, run `verify`."""
    from datetime import date

    key, _ = load_or_create_key(tmp_path / "k.pem")
    public = tmp_path / "public_key.pem"
    public.write_bytes(public_pem(key))
    doc = sign(statement(aggregates, "napari-big", PERIOD, today=date(2027, 1, 5)), key)
    cert = tmp_path / "cert.json"
    cert.write_bytes(content(json.dumps(doc, indent=2)))
    return main(["verify", str(cert), "--public-key", str(public)])


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2].encode(),  # truncated
        lambda text: bytes(range(256)),  # not text at all
        lambda text: b"[" * 100_000 + b"]" * 100_000,  # nested past the recursion limit
        lambda text: b'{"statement": {"k": 1' + b"0" * 5000 + b'}, "signature": "AA=="}',
        lambda text: text.replace('"signature": "', '"signature": "A').encode(),
    ],
    ids=["truncated", "binary", "nested", "huge-number", "signature"],
)
def test_verify_says_invalid_for_any_damaged_file(
    tmp_path: Path, aggregates: Path, capsys: pytest.CaptureFixture[str], damage: Any
) -> None:
    """`verify` exits 1 printing INVALID for whatever it is given, never 2 or a traceback."""
    assert _verify_file(tmp_path, aggregates, damage) == 1
    assert capsys.readouterr().err.startswith("INVALID: ")


def test_verify_accepts_a_certificate_saved_with_a_byte_order_mark(
    tmp_path: Path, aggregates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Windows editors save UTF-8 with a BOM: the certificate is still the signed one."""
    assert _verify_file(tmp_path, aggregates, lambda text: b"\xef\xbb\xbf" + text.encode()) == 0
    assert "valid: napari-big" in capsys.readouterr().out
