"""Usage certificates: a signed 95 % lower bound from a frozen window release, strictly checked."""

from __future__ import annotations

import base64
import json
import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from napari_telemetry_server._cli import main
from napari_telemetry_server.public._aggregate_rows import normal
from napari_telemetry_server.public._aggregate_weeks import quarter_weeks
from napari_telemetry_server.public._certify import (
    InvalidCertificate,
    key_id,
    load_or_create_key,
    parse,
    public_pem,
    sign,
    statement,
    verify,
)
from napari_telemetry_server.public._release_config import ReleaseSettings
from napari_telemetry_server.public._release_dp import lower_margin
from napari_telemetry_server.public._release_plan import describe, window_mechanism
from napari_telemetry_server.public.ledger import book_of, write
from napari_telemetry_server.storage import Ledger, Period, Storage, make_engine

PERIOD = "2026-Q3"
ISSUED = date(2026, 10, 8)


@pytest.fixture
def aggregates(tmp_path: Path) -> Path:
    """A released quarter: napari-big at 1300 install-weeks over 13 weeks, napari-small at 15;
    napari-big's counter ``models`` at 650 (label cyto) and 20 (nuclei).

    It is in the ledger of ``tmp_path / "raw.sqlite"`` (certify records its key there), and the
    aggregate file is the ledger's.
    """
    settings = ReleaseSettings()
    mechanism = window_mechanism(settings)
    assert mechanism is not None
    weeks = quarter_weeks(PERIOD)
    rows = [
        {"period": PERIOD, "plugin": p, "install_weeks": n, "weeks": 13,
         "mean_installs": round(n / 13, 2)}
        for p, n in (("napari-big", 1300), ("napari-small", 15))
    ]  # fmt: skip
    cells = [
        {"period": PERIOD, "plugin": "napari-big", "counter": "models", "label": label,
         "install_weeks": n, "weeks": 13, "mean_installs": round(n / 13, 2)}
        for label, n in (("cyto", 650), ("nuclei", 20))
    ]  # fmt: skip
    document = describe(mechanism, settings, "window")
    quarter = Period(PERIOD, "window", weeks[0], weeks[-1], ISSUED.isoformat(), document,
                     normal({"plugin_windows": rows, "counter_windows": cells}))  # fmt: skip
    engine = make_engine(tmp_path / "raw.sqlite")
    Storage(engine)
    ledger = Ledger(engine)
    ledger.start({"first_week": weeks[0], "created_on": "2026-06-29"}, [quarter])
    path = tmp_path / "aggregates.sqlite"
    write(path, book_of(ledger))
    engine.dispose()
    return path


def test_quarter_weeks() -> None:
    weeks = quarter_weeks("2026-Q4")
    assert weeks[0] == "2026-W40" and weeks[-1] == "2026-W53"  # noqa: PT018
    assert len(quarter_weeks("2026-Q1")) == 13
    with pytest.raises(ValueError, match="2026-13"):
        quarter_weeks("2026-13")


def test_statement_is_a_lower_bound_of_the_released_number(aggregates: Path) -> None:
    stmt = statement(aggregates, "napari-big", PERIOD, today=ISSUED)
    margin = lower_margin(stmt["noise_scale"], 0.95)
    assert 0 < margin < 40
    assert stmt["at_least"] == int((1300 - margin) // 13) < 100
    assert stmt["released_install_weeks"] == 1300
    assert stmt["weeks"] == 13
    assert stmt["confidence"] == 0.95
    assert (stmt["first_week"], stmt["last_week"]) == ("2026-W27", "2026-W39")
    assert stmt["epsilon"] > 0
    assert stmt["rho"] == pytest.approx(0.15)
    assert "lower bound" in stmt["method"]
    assert "differential privacy" in stmt["method"]
    assert "range" not in stmt
    assert "k" not in stmt


def test_refused_without_a_release_or_a_positive_lower_bound(aggregates: Path) -> None:
    with pytest.raises(ValueError, match="below 1 weekly install"):
        statement(aggregates, "napari-small", PERIOD, today=ISSUED)
    with pytest.raises(ValueError, match="was not released"):
        statement(aggregates, "napari-unknown", PERIOD, today=ISSUED)
    with pytest.raises(ValueError, match="has not been released"):
        statement(aggregates, "napari-big", "2026-Q4", today=ISSUED)


def test_a_counter_certificate_states_the_lower_bound_of_its_quarter(
    tmp_path: Path, aggregates: Path
) -> None:
    stmt = statement(aggregates, "napari-big", PERIOD, today=ISSUED, counter="models",
                     label="cyto")  # fmt: skip
    margin = lower_margin(stmt["noise_scale"], 0.95)
    assert 0 < margin < 60
    assert stmt["at_least"] == int((650 - margin) // 13) < 50
    assert (stmt["type"], stmt["counter"], stmt["label"]) == (
        "napari-telemetry-counter-certificate", "models", "cyto")  # fmt: skip
    assert stmt["rho"] == pytest.approx(0.15)  # the quarter's release, of which it is part
    key, _ = load_or_create_key(tmp_path / "k.pem")
    document = json.loads(json.dumps(sign(stmt, key)))
    assert verify(document, key.public_key()) == stmt
    document["statement"]["label"] = "nuclei"
    with pytest.raises(InvalidCertificate, match="does not match"):
        verify(document, key.public_key())
    with pytest.raises(ValueError, match="below 1 weekly install"):
        statement(aggregates, "napari-big", PERIOD, today=ISSUED, counter="models",
                  label="nuclei")  # fmt: skip
    with pytest.raises(ValueError, match="no collection manifest"):
        statement(aggregates, "napari-big", PERIOD, today=ISSUED, counter="models",
                  label="tissue")  # fmt: skip


def test_cli_certifies_a_counter(
    tmp_path: Path, aggregates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, cert = tmp_path / "signing.pem", tmp_path / "cert.json"
    args = ["certify", "--plugin", "napari-big", "--period", PERIOD, "--counter", "models",
            "--label", "cyto", "--aggregates", str(aggregates), "--key", str(key), "--db",
            str(tmp_path / "raw.sqlite"), "--out", str(cert)]  # fmt: skip
    assert main(args) == 0
    assert "napari-big.models with label cyto was counted by at least" in capsys.readouterr().out
    assert main(["verify", str(cert), "--key", str(key)]) == 0
    assert "valid: napari-big.models with label cyto was counted" in capsys.readouterr().out


def test_signature_round_trip_and_tampering(tmp_path: Path, aggregates: Path) -> None:
    key, created = load_or_create_key(tmp_path / "k.pem")
    assert created
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path / "k.pem")[1] is False
    doc = sign(statement(aggregates, "napari-big", PERIOD, today=ISSUED), key)
    assert verify(json.loads(json.dumps(doc)), key.public_key())["plugin"] == "napari-big"
    forged: dict[str, Any] = json.loads(json.dumps(doc))
    forged["statement"]["at_least"] = 3600
    with pytest.raises(InvalidCertificate, match="does not match"):
        verify(forged, key.public_key())
    other, _ = load_or_create_key(tmp_path / "other.pem")
    with pytest.raises(InvalidCertificate, match="not with this key"):
        verify(doc, other.public_key())
    with pytest.raises(InvalidCertificate, match="malformed"):
        verify({"statement": "x"}, key.public_key())


def _signed(tmp_path: Path, aggregates: Path) -> tuple[dict[str, Any], Any]:
    key, _ = load_or_create_key(tmp_path / "k.pem")
    return sign(statement(aggregates, "napari-big", PERIOD, today=ISSUED), key), key


def _unused_bits_set(signature: str) -> str:
    """The same 64 bytes in a non-canonical spelling: a padding bit of the last digit set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = signature.rstrip("=")
    last = alphabet[alphabet.index(body[-1]) ^ 1]
    assert base64.b64decode(body[:-1] + last + "==") == base64.b64decode(signature)
    return body[:-1] + last + "=="


def _resigned(doc: dict[str, Any], key: Any) -> dict[str, Any]:
    """Sign *doc*'s statement again as it is (so only the checks before the signature bite)."""
    return {**doc, "signature": sign(doc["statement"], key)["signature"]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d, k: {**d, "extra": 1}, "extra"),
        (lambda d, k: _resigned({**d, "statement": {**d["statement"], "note": "hi"}}, k),
         "note"),
        (lambda d, k: _resigned({**d, "statement": {**d["statement"], "at_least": "99"}}, k),
         "at_least"),
        (lambda d, k: {**d, "key_id": "0" * 16}, "not with this key"),
        (lambda d, k: {**d, "key_id": "../../etc"}, "key_id"),
        (lambda d, k: {**d, "signature": _unused_bits_set(d["signature"])}, "canonical"),
        (lambda d, k: {**d, "signature": d["signature"][:-2] + "\n" + d["signature"][-2:]},
         "base64"),
        (lambda d, k: {**d, "signature": base64.b64encode(b"x" * 64).decode()}, "does not match"),
    ],
    ids=["extra-field", "extra-statement-field", "string-number", "key-id", "key-id-shape",
         "padding", "newline", "signature"],
)  # fmt: skip
def test_verify_rejects_every_deviation(
    tmp_path: Path, aggregates: Path, change: Any, message: str
) -> None:
    doc, key = _signed(tmp_path, aggregates)
    with pytest.raises(InvalidCertificate, match=message):
        verify(json.loads(json.dumps(change(doc, key))), key.public_key())


def test_duplicate_json_keys_are_refused(tmp_path: Path, aggregates: Path) -> None:
    doc, _key = _signed(tmp_path, aggregates)
    text = json.dumps(doc)
    doubled = text.replace('"plugin": "napari-big"',
                           '"plugin": "napari-big", "plugin": "napari-other"')  # fmt: skip
    with pytest.raises(InvalidCertificate, match="duplicate JSON key 'plugin'"):
        parse(doubled.encode())
    assert parse(text.encode()) == doc


def test_cli_certify_then_verify_across_a_key_rotation(
    tmp_path: Path, aggregates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, cert = tmp_path / "signing.pem", tmp_path / "cert.json"
    common = [
        "--aggregates",
        str(aggregates),
        "--key",
        str(key),
        "--db",
        str(tmp_path / "raw.sqlite"),
    ]
    args = ["certify", "--plugin", "napari-big", "--period", PERIOD, "--out", str(cert), *common]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "created a new signing key" in out
    assert "at least" in out
    old_id = key_id(load_or_create_key(key)[0].public_key())
    key.rename(tmp_path / "retired.pem")  # rotation: a new key signs from now on
    cert2 = tmp_path / "cert2.json"
    assert main([*args[: -len(common)], "--out", str(cert2), *common]) == 0
    site = tmp_path / "site"
    assert main(["publish", "--out", str(site), "--aggregates", str(aggregates), "--key",
                 str(key)]) == 0  # fmt: skip
    assert (site / "keys" / f"{old_id}.pem").exists()  # the old key is still published
    for signed in (cert, cert2):
        assert main(["verify", str(signed), "--keys", str(site / "keys")]) == 0
        assert "valid: napari-big had at least" in capsys.readouterr().out
    assert main(["verify", str(cert), "--public-key", str(site / "public_key.pem")]) == 1
    assert "not with this key" in capsys.readouterr().err
    cert.write_text(cert.read_text().replace('"napari-big"', '"napari-fake"'))
    assert main(["verify", str(cert), "--keys", str(site / "keys")]) == 1
    assert "INVALID" in capsys.readouterr().err
    refused = ["certify", "--plugin", "napari-small", "--period", PERIOD, *common]
    assert main(refused) == 2
    assert "refused" in capsys.readouterr().err


def test_key_command_prints_the_fingerprint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "signing.pem"
    assert main(["key", "--key", str(key)]) == 2
    assert "no signing key" in capsys.readouterr().err
    public = load_or_create_key(key)[0].public_key()
    assert main(["key", "--key", str(key)]) == 0
    out = capsys.readouterr().out
    assert f"key id: {key_id(public)}" in out
    assert "SHA-256 fingerprint: " in out


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
    key, _ = load_or_create_key(tmp_path / "k.pem")
    public = tmp_path / "public_key.pem"
    public.write_bytes(public_pem(key))
    doc = sign(statement(aggregates, "napari-big", PERIOD, today=ISSUED), key)
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
