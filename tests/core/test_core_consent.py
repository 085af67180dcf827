"""Switch precedence, consent records and their bad-input cases."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from napari_telemetry.core import _consent, _paths, _switches
from napari_telemetry.core._consent import effective_level, record_consent
from napari_telemetry.schema import Level, level_hash

TODAY = date(2026, 11, 28)


def _policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    path = tmp_path / "policy.json"
    path.write_text(content)
    monkeypatch.setenv("NAPARI_TELEMETRY_POLICY", str(path))


def test_no_consent_asks_only_when_interactive(interactive: None) -> None:
    assert effective_level(interactive=True).should_ask
    decision = effective_level(interactive=False)
    assert (decision.level, decision.source, decision.should_ask) == (
        Level.NONE,
        "no_consent",
        False,
    )


def test_ci_never_prompts_and_is_off_without_consent() -> None:
    decision = effective_level(interactive=True)  # PYTEST_CURRENT_TEST is set here
    assert (decision.level, decision.source, decision.should_ask) == (Level.NONE, "ci", False)


def test_ci_with_recorded_consent_uses_it() -> None:
    record_consent(Level.MIDDLE)
    decision = effective_level()
    assert (decision.level, decision.source) == (Level.MIDDLE, "consent")
    assert "you agreed to middle" in decision.reason


def test_not_now_records_none(interactive: None) -> None:
    record_consent(Level.NONE)
    decision = effective_level(interactive=True)
    assert (decision.level, decision.should_ask, decision.source) == (Level.NONE, False, "consent")


@pytest.mark.parametrize("value", ["1", "true", "yes", "banana"])
def test_do_not_track_wins(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    record_consent(Level.FULL)
    monkeypatch.setenv("DO_NOT_TRACK", value)
    decision = effective_level()
    assert (decision.level, decision.source, decision.locked) == (Level.NONE, "do_not_track", True)


def test_do_not_track_false_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    record_consent(Level.FULL)
    monkeypatch.setenv("DO_NOT_TRACK", "0")
    assert effective_level().level is Level.FULL


@pytest.mark.parametrize("value", ["0", "off", "FALSE", "none"])
def test_env_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    record_consent(Level.FULL)
    monkeypatch.setenv("NAPARI_TELEMETRY", value)
    assert (effective_level().level, effective_level().source) == (Level.NONE, "env")


def test_env_caps_but_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    record_consent(Level.MIDDLE)
    monkeypatch.setenv("NAPARI_TELEMETRY", "basic")
    assert (effective_level().level, effective_level().source) == (Level.BASIC, "env")
    monkeypatch.setenv("NAPARI_TELEMETRY", "full")
    assert effective_level().level is Level.MIDDLE


def test_env_nonsense_reads_as_off_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    record_consent(Level.FULL)
    monkeypatch.setenv("NAPARI_TELEMETRY", "maybe-later")
    with caplog.at_level(logging.WARNING, "napari_telemetry"):
        assert effective_level().level is Level.NONE
        effective_level()
    assert [r.getMessage() for r in caplog.records].count(
        "NAPARI_TELEMETRY='maybe-later' is not off/basic/middle/full; reading it as off"
    ) == 1


def test_policy_caps_and_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record_consent(Level.FULL)
    _policy(tmp_path, monkeypatch, '{"max_level": "basic", "locked": true}')
    decision = effective_level()
    assert (decision.level, decision.source, decision.locked) == (Level.BASIC, "policy", True)
    assert decision.agreed_level is Level.FULL


def test_locked_policy_never_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interactive: None
) -> None:
    _policy(tmp_path, monkeypatch, '{"max_level": "full", "locked": true}')
    assert not effective_level(interactive=True).should_ask


def test_policy_below_env_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record_consent(Level.FULL)
    monkeypatch.setenv("NAPARI_TELEMETRY", "middle")
    _policy(tmp_path, monkeypatch, '{"max_level": "basic"}')
    assert effective_level().level is Level.BASIC


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", '{"version": 99}', '{"max_level": "everything"}', '{"locked": "yes"}'],
)
def test_bad_policy_means_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    record_consent(Level.FULL)
    _policy(tmp_path, monkeypatch, content)
    decision = effective_level()
    assert (decision.level, decision.source) == (Level.NONE, "policy")


def test_temporary_consent_expires_to_ask_again(interactive: None) -> None:
    record_consent(Level.FULL, days=30, today=TODAY)
    assert effective_level(today=TODAY + timedelta(days=29)).level is Level.FULL
    decision = effective_level(interactive=True, today=TODAY + timedelta(days=30))
    assert (decision.level, decision.source, decision.should_ask) == (Level.NONE, "expired", True)
    assert decision.expires == TODAY + timedelta(days=30)


def test_clock_going_backwards_keeps_consent() -> None:
    record_consent(Level.BASIC, days=10, today=TODAY)
    assert effective_level(today=TODAY - timedelta(days=400)).level is Level.BASIC


@pytest.mark.parametrize("days", [0, 3651, 10**9])
def test_days_must_be_from_one_to_ten_years(days: int) -> None:
    with pytest.raises(ValueError, match=f"days must be from 1 to 3650, got {days}"):
        record_consent(Level.FULL, days=days)


def test_changed_schema_asks_again_with_the_changes(interactive: None) -> None:
    record_consent(Level.MIDDLE)
    path = _paths.consent_file()
    data = json.loads(path.read_text())
    data["schema_hash"] = "0" * 16
    data["fields"] = [f for f in data["fields"] if f != "plugin.version"] + ["plugin.path"]
    del data["terms"]  # as a plugin before 0.1.1 wrote it: field names only
    path.write_text(json.dumps(data))
    decision = effective_level(interactive=True)
    assert (decision.level, decision.source, decision.should_ask) == (Level.NONE, "changed", True)
    assert decision.changed_fields == {"added": ["plugin.version"], "removed": ["plugin.path"]}
    assert decision.changes[0].startswith("`plugin.version`: new: Installed version")
    assert decision.changes[1] == "`plugin.path`: no longer sent"
    assert "older napari-telemetry that did not keep the details" in decision.changes[2]


def _upgraded_from_an_older_schema() -> None:
    """The consent record as an older plugin wrote it: `os_name` could not yet say `other`."""
    record_consent(Level.BASIC)
    path = _paths.consent_file()
    data = json.loads(path.read_text())
    data["schema_hash"] = "0" * 16
    data["terms"]["session.os_name"]["enum"].remove("other")
    path.write_text(json.dumps(data))


def test_a_field_that_changed_but_kept_its_name_is_explained(interactive: None) -> None:
    _upgraded_from_an_older_schema()
    decision = effective_level(interactive=True)
    assert (decision.source, decision.should_ask) == ("changed", True)
    assert decision.changed_fields == {"added": [], "removed": []}  # no name changed
    assert decision.changes == ("`session.os_name`: now also reports `other`",)


def test_the_real_cli_status_says_what_changed() -> None:
    _upgraded_from_an_older_schema()
    tool = Path(sys.executable).parent / "napari-telemetry"
    done = subprocess.run([tool, "status"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Changed since you agreed:\n  `session.os_name`: now also reports `other`\n" in (
        done.stdout
    )


@pytest.mark.parametrize(
    "content",
    [
        b"{oops",
        b"\xff\xfe",
        b'{"version": 2, "level": "full"}',
        b'{"version": 1, "level": "full"}',
        b"[]",
    ],
)
def test_corrupt_consent_is_no_consent(interactive: None, content: bytes) -> None:
    path = _paths.consent_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    decision = effective_level(interactive=True)
    assert (decision.level, decision.source, decision.should_ask) == (Level.NONE, "error", True)


def test_unreadable_consent_folder_is_no_consent(telemetry_dir: Path) -> None:
    telemetry_dir.mkdir()
    (telemetry_dir / "config").write_text("a file where a folder should be")
    assert effective_level().level is Level.NONE
    with pytest.raises(OSError):
        record_consent(Level.FULL)


def test_consent_is_per_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    record_consent(Level.FULL)
    monkeypatch.setattr("sys.prefix", "/some/other/env")
    assert effective_level().level is Level.NONE


def test_record_stores_hash_and_no_path() -> None:
    record_consent(Level.BASIC, days=7, today=TODAY)
    text = _paths.consent_file().read_text()
    data = json.loads(text)
    assert data["schema_hash"] == level_hash(Level.BASIC)
    assert (data["granted"], data["expires"]) == ("2026-11-28", "2026-12-05")
    assert str(_paths.data_dir()) not in text
    assert "/" not in text


def test_token_binds_data_to_one_consent() -> None:
    record_consent(Level.MIDDLE)
    token = _consent.current_token()
    assert token is not None
    assert _consent.judge_token(token, Level.MIDDLE) == "send"
    assert _consent.judge_token(token, Level.FULL) == "stale"
    record_consent(Level.MIDDLE)  # a new agreement: old data is not sent under it
    assert _consent.judge_token(token, Level.MIDDLE) == "stale"
    assert _consent.judge_token("../../etc.x", Level.BASIC) == "stale"


def test_disable_deletes_pending() -> None:
    record_consent(Level.BASIC)
    _paths.pending_dir("basic").mkdir(parents=True)
    (_paths.pending_dir("basic") / "2026-11-01.jsonl").write_text("{}\n")
    _consent.disable()
    assert effective_level().level is Level.NONE
    assert not list(_paths.pending_dir().rglob("*.jsonl"))


def test_ask_me_later_shares_nothing_and_asks_again_a_week_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_switches, "ci_reason", lambda: None)
    today = date(2026, 11, 28)
    assert _consent.postpone(today)
    decision = _consent.effective_level(interactive=True, today=today + timedelta(days=6))
    assert (decision.level, decision.source, decision.should_ask) == (Level.NONE, "later", False)
    assert decision.reason == (
        "you asked on 2026-11-28 to be asked later: napari asks again from 2026-12-05"
    )
    again = _consent.effective_level(interactive=True, today=today + timedelta(days=7))
    assert (again.level, again.should_ask) == (Level.NONE, True)
    assert again.reason == "you asked on 2026-11-28 to be asked later"


def test_ask_me_later_keeps_a_choice_that_holds() -> None:
    _consent.record_consent(Level.MIDDLE)
    assert not _consent.postpone()
    assert _consent.effective_level().level is Level.MIDDLE
    _consent.record_consent(Level.NONE)  # "Don't share" is a choice too
    assert not _consent.postpone()
    assert _consent.effective_level().reason.startswith("you chose not to share")


def test_ask_me_later_postpones_an_agreement_that_ended() -> None:
    _consent.record_consent(Level.FULL, days=3, today=date.today() - timedelta(days=10))
    assert _consent.postpone()
    decision = _consent.effective_level()
    assert (decision.level, decision.source) == (Level.NONE, "later")
