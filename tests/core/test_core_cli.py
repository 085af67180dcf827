"""The ``napari-telemetry`` command: every verb, its messages and exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from napari_telemetry._cli import main
from napari_telemetry.core import _consent, _paths
from napari_telemetry.core._store import get_recorder
from napari_telemetry.schema import Level, catalogue_markdown

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_status_off_says_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    code, out, _ = run(capsys, "status")
    assert code == 0
    assert "Telemetry level: none" in out
    assert "Why: DO_NOT_TRACK is set." in out


def test_enable_then_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "enable", "--level", "FULL", "--days", "30")
    assert code == 0
    assert "level full for 30 day(s)" in out
    code, out, _ = run(capsys, "status")
    end = (date.today() + timedelta(days=30)).isoformat()
    assert "Telemetry level: full" in out
    assert f"Agreement ends: {end}" in out
    assert "Stream full: http://127.0.0.1:9/full/v1/full/batches" in out


def test_enable_reports_a_cap(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NAPARI_TELEMETRY", "basic")
    _, out, _ = run(capsys, "enable", "--level", "middle")
    assert "Effective level: basic, because" in out
    assert "NAPARI_TELEMETRY caps it" in out


def test_enable_refused_by_locked_policy(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"max_level": "basic", "locked": true}')
    monkeypatch.setenv("NAPARI_TELEMETRY_POLICY", str(policy))
    code, _, err = run(capsys, "enable", "--level", "basic")
    assert code == 1
    assert "site policy is locked" in err
    assert _consent.effective_level().agreed_level is Level.NONE


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required: COMMAND"),
        (["enable"], "--level"),
        (["enable", "--level", "max"], "invalid choice"),
        (["enable", "--level", "full", "--days", "-3"], "at least 1 day"),
        (["enable", "--level", "full", "--days", "1000000000"], "at most 3650"),
        (["enable", "--level", "full", "--days", "soon"], "whole number"),
        (["frobnicate"], "invalid choice"),
        (["catalogue", "--json", "--markdown"], "not allowed with"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_preview_shows_exact_envelopes(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.MIDDLE)
    get_recorder().count("plugin", ("napari-svg", "0.2.1"))
    get_recorder().flush(timeout=2)
    _code, out, _ = run(capsys, "preview", "--json")
    (batch,) = json.loads(out)
    assert batch["level"] == "middle"
    assert len(batch["user_id"]) == 32
    _, text, _ = run(capsys, "preview", "--level", "middle")
    assert f"batch {batch['batch_id']} → middle stream" in text
    assert "plugin: name=napari-svg, version=0.2.1" in text
    _, text, _ = run(capsys, "preview", "--level", "basic")
    assert "Nothing is waiting to be sent." in text


def test_send_now_reports(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    get_recorder().flush(timeout=2)
    code, out, _ = run(capsys, "send", "--now")
    assert code == 1  # asked to send, and nothing left
    assert "0 batch(es) sent, 1 kept for later." in out
    said = re.search(
        r"basic: could not reach 127\.0\.0\.1:9: nothing answers at that address \(connection "
        r"refused\)\. 1 batch\(es\) kept on this computer, tried again after "
        r"(\d{4}-\d\d-\d\d \d\d:\d\d) \(local time\)\.",
        out,
    )
    assert said is not None, out
    retry = datetime.strptime(said.group(1), "%Y-%m-%d %H:%M")  # local time, as a user reads it
    assert abs(retry - (datetime.now() + timedelta(hours=1))) < timedelta(minutes=2)


def test_ids_and_forget_when_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.BASIC)  # this week's id is in use from now
    _, out, _ = run(capsys, "ids")
    ids = [line.split()[1] for line in out.splitlines() if line.startswith("20")]
    assert len(ids) == 1
    code, out, _ = run(capsys, "forget")
    assert code == 1  # asked to delete, and the collector did not
    assert all(i in out for i in ids)
    assert (
        "Could not reach 127.0.0.1:9: nothing answers at that address (connection refused): "
        "nothing was deleted there."
    ) in out
    assert "Your secret was replaced" in out
    assert "e-mail the ids above to privacy@napari.org" in out
    _, after, _ = run(capsys, "ids")
    assert not any(i in after for i in ids)


def test_forget_reached_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from napari_telemetry.core import state
    from napari_telemetry.core._transport import MockTransport, Response

    _consent.record_consent(Level.BASIC)
    state.transport = MockTransport(lambda url, body, headers: Response(202))
    code, out, _ = run(capsys, "forget")
    assert code == 0
    assert "The collector at 127.0.0.1:9 deleted the data sent with these ids." in out
    assert "HTTP" not in out
    assert "privacy@napari.org" not in out


def test_nothing_to_send_exits_0_and_a_refusal_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from napari_telemetry.core import state
    from napari_telemetry.core._transport import MockTransport, Response

    _consent.record_consent(Level.BASIC)
    code, out, _ = run(capsys, "send", "--now")
    assert (code, out) == (0, "Nothing was due: a day is sent once it is over "
                               "(`send --now` sends today's).\n")  # fmt: skip
    get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    get_recorder().flush(timeout=2)
    state.transport = MockTransport(lambda url, body, headers: Response(413))
    code, out, _ = run(capsys, "send", "--now")
    assert code == 1
    assert (
        "basic: the collector at 127.0.0.1:9 refused a batch: it was too large; it was "
        "dropped, not retried."
    ) in out
    state.transport = MockTransport(lambda url, body, headers: Response(201))
    get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    get_recorder().flush(timeout=2)
    code, out, _ = run(capsys, "send", "--now")
    assert (code, out) == (0, "1 batch(es) sent (basic).\n")


def test_send_when_off_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "send", "--now")
    assert code == 1
    assert out.startswith("Nothing was sent.\ntelemetry is off: no consent was recorded")


def test_ids_with_corrupt_secret_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    _paths.secret_file().parent.mkdir(parents=True)
    _paths.secret_file().write_bytes(b"oops")
    code, _, err = run(capsys, "ids")
    assert code == 1
    assert "napari-telemetry forget" in err
    assert "Traceback" not in err


def test_disable_deletes(capsys: pytest.CaptureFixture[str]) -> None:
    _consent.record_consent(Level.BASIC)
    get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    get_recorder().flush(timeout=2)
    code, out, _ = run(capsys, "disable")
    assert code == 0
    assert "1 pending record(s) of this environment deleted" in out
    assert _consent.effective_level().source == "consent"
    assert not list(_paths.pending_dir().glob("*/*.jsonl"))


def test_endpoints_one_line_per_level(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "endpoints")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["basic", "middle", "full"]
    assert "POST /full/v1/full/batches" in lines[2]


def test_unwritable_folder_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], telemetry_dir: Path
) -> None:
    telemetry_dir.mkdir()
    (telemetry_dir / "config").write_text("a file where a folder should be")
    code, _, err = run(capsys, "enable", "--level", "basic")
    assert code == 1
    assert err.startswith("napari-telemetry: cannot use the telemetry files")
    assert "Traceback" not in err
    assert str(telemetry_dir) not in err


def test_catalogue_forms(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "catalogue", "--json")
    rows = json.loads(out)
    ndim = [r for r in rows if (r["record"], r["field"]) == ("layer", "ndim")]
    assert ndim == [
        {
            "level": "full",
            "record": "layer",
            "field": "ndim",
            "type": "integer from 0 to 64",
            "description": "Number of data dimensions.",
        }
    ]
    _, out, _ = run(capsys, "catalogue")
    assert "full    layer.dtype: string" in out


def test_data_catalogue_doc_is_current() -> None:
    doc = ROOT / "docs" / "data-catalogue.md"
    assert doc.read_text(encoding="utf-8") == catalogue_markdown().rstrip("\n") + "\n", (
        "docs/data-catalogue.md is stale: regenerate it with "
        "`napari-telemetry catalogue --markdown > docs/data-catalogue.md`"
    )


def test_python_dash_m(telemetry_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "napari_telemetry", "catalogue", "--markdown"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout == (ROOT / "docs" / "data-catalogue.md").read_text(encoding="utf-8")


def test_send_in_debug_mode_prints_what_would_go_and_the_next_send_is_not_delayed(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _consent.record_consent(Level.FULL)
    get_recorder().count("session", ("0.9.2", "3.11.4", "Linux", "debian-12", "x86_64"))
    get_recorder().count("plugin", ("napari-svg", "0.2.1"))
    get_recorder().flush(timeout=2)
    monkeypatch.setenv("NAPARI_TELEMETRY_DEBUG", "1")
    code, out, _ = run(capsys, "send", "--now")
    assert code == 0
    assert "nothing was sent; 2 batch(es) would have been sent" in out
    assert "Nothing was due" not in out
    assert caplog.text.count("would send to http://127.0.0.1:9/") == 2
    monkeypatch.delenv("NAPARI_TELEMETRY_DEBUG")
    _, out, _ = run(capsys, "status")
    assert "next attempt after" not in out
