"""`ids` lists only the weeks the current secret was in use while telemetry was on."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from napari_telemetry._cli import main
from napari_telemetry.core import _consent, _forget, _identity, _paths, telemetry
from napari_telemetry.core._transport import MockTransport, Response
from napari_telemetry.schema import Level, iso_week

TODAY = date.today()


def _week(weeks_ago: int) -> str:
    return iso_week(TODAY - timedelta(weeks=weeks_ago))


def _pending_file(weeks_ago: int) -> None:
    day = TODAY - timedelta(weeks=weeks_ago)
    folder = _paths.pending_dir("basic")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{day.isoformat()}.jsonl").write_text('{"batch_id": "x"}\n')


def _sent_copy(weeks_ago: int, user_id: str) -> None:
    path = _paths.sent_dir("basic") / f"copy-{weeks_ago}-{user_id[:4]}.json"
    _paths.write_json(path, {"week": _week(weeks_ago), "user_id": user_id, "records": []})


def test_no_agreement_means_no_ids_and_looking_makes_none() -> None:
    assert telemetry.ids() == []
    assert not _paths.secret_file().exists()


def test_agreeing_puts_this_week_in_use_and_only_it() -> None:
    _consent.record_consent(Level.BASIC)
    assert telemetry.ids() == [(_week(0), _identity.user_id(_week(0)))]


def test_weeks_with_data_sent_or_waiting_are_in_use() -> None:
    _consent.record_consent(Level.BASIC)
    _pending_file(2)
    _sent_copy(5, _identity.user_id(_week(5)))
    _sent_copy(12, _identity.user_id(_week(12)))  # older than the collector keeps
    assert [w for w, _ in telemetry.ids()] == [_week(0), _week(2), _week(5)]


def test_weeks_before_a_new_secret_are_not_listed() -> None:
    _consent.record_consent(Level.BASIC)
    _sent_copy(3, _identity.user_id(_week(3)))
    assert _week(3) in dict(telemetry.ids())
    _forget.forget(MockTransport(lambda url, body, headers: Response(202)))
    # the copy of that batch stays (the user's log), but its id is the old secret's
    assert list(_paths.sent_dir("basic").glob("*.json"))
    assert dict(telemetry.ids()) == {_week(0): _identity.user_id(_week(0))}


def test_weeks_telemetry_was_off_are_not_listed() -> None:
    _consent.record_consent(Level.BASIC)
    _consent.disable()
    assert telemetry.ids() == []  # the secret exists, but no week of it carried data
    _sent_copy(1, _identity.user_id(_week(1)))
    assert [w for w, _ in telemetry.ids()] == [_week(1)]


def test_forget_asks_to_delete_exactly_the_ids_listed() -> None:
    _consent.record_consent(Level.BASIC)
    _pending_file(4)
    listed = [uid for _, uid in telemetry.ids()]
    transport = MockTransport(lambda url, body, headers: Response(202))
    result = _forget.forget(transport)
    assert [uid for _, uid in result.ids] == listed
    assert {json.dumps(json.loads(body)["user_ids"]) for _, body, _ in transport.requests} == {
        json.dumps(listed)
    }


def test_the_cli_says_when_there_are_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ids"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("You have no weekly ids in use")
    assert not _paths.secret_file().exists()
    _consent.record_consent(Level.FULL)
    assert main(["ids"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("20")]
    assert lines == [f"{_week(0)}  {_identity.user_id(_week(0))}"]
