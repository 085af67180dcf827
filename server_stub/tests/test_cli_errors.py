"""The CLI verbs on a missing, empty or corrupt database: one line on stderr, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from napari_telemetry_server._cli import main
from napari_telemetry_server.storage import Storage, make_engine

_ID = "c" * 32


def _corrupt(path: Path) -> Path:
    path.write_bytes(b"this is not a database\n" * 300)
    return path


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str], message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("napari-telemetry-server: error: ")
    assert err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize("verb", [["purge"], ["forget", _ID], ["aggregate"]])
def test_raw_verbs_on_a_corrupt_database(
    verb: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _corrupt(tmp_path / "raw.sqlite")
    out = ["--out", str(tmp_path / "agg.sqlite")] if verb == ["aggregate"] else []
    _fails([*verb, "--db", str(db), *out], capsys, "file is not a database")


@pytest.mark.parametrize("verb", [["purge"], ["forget", _ID]])
def test_raw_verbs_refuse_a_missing_database(
    verb: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --db must not create an empty database and report a purge or a deletion."""
    db = tmp_path / "typo" / "raw.sqlte"
    _fails([*verb, "--db", str(db)], capsys, "does not exist")
    assert not db.parent.exists()


@pytest.mark.parametrize(
    "verb", [["purge"], ["forget", _ID], ["aggregate"], ["aggregate", "--dry-run"]]
)
def test_raw_verbs_find_a_database_under_home(
    verb: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``~/raw.sqlite`` (from the environment file, where no shell expands it) works for all."""
    monkeypatch.setenv("HOME", str(tmp_path))
    Storage(make_engine(tmp_path / "raw.sqlite")).engine.dispose()
    out = ["--out", str(tmp_path / "agg.sqlite")] if verb[0] == "aggregate" else []
    assert main([*verb, "--db", "~/raw.sqlite", *out]) == 0


def test_aggregate_into_a_corrupt_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "raw.sqlite"
    assert main(["purge", "--db", str(raw)]) == 2  # missing
    raw.touch()  # an empty file is an empty SQLite database, not a collector's
    out = _corrupt(tmp_path / "agg.sqlite")
    capsys.readouterr()
    _fails(["aggregate", "--db", str(raw), "--out", str(out)], capsys, "not a collector database")
    raw.unlink()
    Storage(make_engine(raw)).engine.dispose()
    _fails(["aggregate", "--db", str(raw), "--out", str(out)], capsys,
           "is not an aggregate database of this version")  # fmt: skip
    assert out.read_bytes() == _corrupt(tmp_path / "again.sqlite").read_bytes()  # left as it was


@pytest.mark.parametrize("content", [b"", b"this is not a database\n" * 300])
@pytest.mark.parametrize("verb", ["publish", "certify"])
def test_public_verbs_on_an_empty_or_corrupt_aggregate_file(
    verb: str, content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aggregates = tmp_path / "agg.sqlite"
    aggregates.write_bytes(content)
    args = {
        "publish": ["--out", str(tmp_path / "site")],
        "certify": ["--plugin", "napari-svg", "--period", "2026-Q4"],
    }[verb]
    key = ["--key", str(tmp_path / "key.pem")]
    _fails([verb, "--aggregates", str(aggregates), *args, *key], capsys, "")


def test_an_output_folder_that_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, aggregates = tmp_path / "raw.sqlite", tmp_path / "agg.sqlite"
    raw.touch()  # an empty file is no collector database: nothing is released from it
    _fails(["aggregate", "--db", str(raw), "--out", str(aggregates)], capsys,
           "not a collector database")  # fmt: skip
    Storage(make_engine(raw)).engine.dispose()
    assert main(["aggregate", "--db", str(raw), "--out", str(aggregates)]) == 0
    blocker = tmp_path / "a-file"
    blocker.touch()
    capsys.readouterr()
    _fails(["publish", "--aggregates", str(aggregates), "--out", str(blocker / "site"),
            "--key", str(tmp_path / "key.pem")], capsys, "a-file")  # fmt: skip
    _fails(["demo", "--dir", str(blocker / "demo"), "--no-serve"], capsys, "a-file")
