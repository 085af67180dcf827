"""Two environments of one user share the data folder: each withdraws only what it recorded, and
lines of a plugin of another version are left for that plugin (two real processes per test, each
with its own ``sys.prefix``, against the real collector)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from e2e.e2e_support import INDEX, Collector
from napari_telemetry.schema import Level, level_hash

A, B = "/environments/a", "/environments/b"
# Each environment records its own napari and plugin version, so rows tell them apart.
VERSIONS = {A: ("0.9.1", "0.2.1"), B: ("0.9.2", "0.2.0")}
pytestmark = [pytest.mark.e2e]


@pytest.fixture
def collector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    with Collector(tmp_path / "collector", INDEX) as running:
        monkeypatch.setenv("NAPARI_TELEMETRY_URL", running.url)
        yield running


def run_in(prefix: str, code: str) -> str:
    """Run *code* in a new Python process whose environment is *prefix*; its stdout."""
    script = f"import sys\nsys.prefix = {prefix!r}\n" + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script], env=dict(os.environ), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def cli(prefix: str, *args: str) -> str:
    return run_in(prefix, f"from napari_telemetry._cli import main\nmain({list(args)!r})")


def record(prefix: str) -> None:
    napari, svg = VERSIONS[prefix]
    run_in(
        prefix,
        f"""
        from napari_telemetry.core._store import get_recorder
        r = get_recorder()
        r.count("session", ({napari!r}, "3.11.4", "Linux", "debian-12", "x86_64"))
        r.count("plugin", ("napari-svg", {svg!r}))
        r.count("command", ("napari.window.file.open_{prefix[-1]}", "napari"))
        r.flush(timeout=10)
        """,
    )


def preview(prefix: str) -> list[dict[str, Any]]:
    return json.loads(cli(prefix, "preview", "--json"))  # type: ignore[no-any-return]


def records(batches: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(type, the value that tells the environments apart) of every record."""
    out = set()
    for batch in batches:
        for r in batch["records"]:
            value = r.get("napari_version") or r.get("version") or r.get("command_id")
            out.add((r["type"], str(value)))
    return out


def mine(prefix: str) -> set[tuple[str, str]]:
    napari, svg = VERSIONS[prefix]
    return {
        ("session", napari),
        ("plugin", svg),
        ("command", f"napari.window.file.open_{prefix[-1]}"),
    }


def stored(db: Path) -> list[tuple[Any, ...]]:
    """Every record at the collector with the batch it came in."""
    sql = """
        SELECT 'session', napari_version, batch_id FROM session_records UNION ALL
        SELECT 'plugin', version, batch_id FROM plugin_records UNION ALL
        SELECT 'command', command_id, batch_id FROM command_records"""
    with closing(sqlite3.connect(db)) as conn:
        return sorted(conn.execute(sql).fetchall())


def test_each_environment_withdraws_only_what_it_recorded(collector: Collector) -> None:
    for prefix in (A, B):
        cli(prefix, "enable", "--level", "full")
        record(prefix)
    assert records(preview(B)) == mine(A) | mine(B)  # both sendable under their own consent

    out = cli(A, "disable")
    assert records(preview(B)) == mine(B)
    assert "3 pending record(s) of this environment deleted" in out

    cli(A, "enable", "--level", "full")
    record(A)
    cli(A, "enable", "--level", "basic")  # lowered: A's middle and full lines go, B's stay
    assert records(preview(B)) == mine(B)  # (A's session is of its old consent: never sent)

    assert "3 batch(es) sent (basic, middle, full)." in cli(B, "send", "--now")
    assert sorted((t, v) for t, v, _ in stored(collector.db)) == sorted(mine(B))
    assert preview(A) == preview(B) == []


def write_unknown_type(prefix: str) -> None:
    """What a newer plugin in *prefix* records: a type this plugin does not know."""
    run_in(
        prefix,
        """
        import json
        from datetime import date
        from napari_telemetry.core import _consent
        from napari_telemetry.core._store import _files
        from napari_telemetry.schema import Level
        line = {"c": _consent.current_token(), "t": "gpu", "k": ["mesa"], "n": 2}
        with _files.lock(), _files.day_path(Level.FULL, date.today()).open("a") as f:
            f.write(json.dumps(line) + "\\n")
        """,
    )


def set_consent_hash(prefix: str, value: str) -> None:
    """Make *prefix*'s consent one to the schema hashing to *value* (a newer plugin's)."""
    run_in(
        prefix,
        f"""
        import json
        from napari_telemetry.core import _paths
        record = json.loads(_paths.consent_file().read_text())
        record["schema_hash"] = {value!r}
        _paths.consent_file().write_text(json.dumps(record))
        """,
    )


def pending_lines() -> list[str]:
    folder = Path(os.environ["NAPARI_TELEMETRY_DIR"]) / "data" / "pending"
    return [line for p in sorted(folder.glob("*/*.jsonl")) for line in p.read_text().splitlines()]


def test_lines_of_another_plugin_version_are_left_for_it(collector: Collector) -> None:
    for prefix in (A, B):
        cli(prefix, "enable", "--level", "full")
        record(prefix)
    write_unknown_type(B)  # B runs a newer plugin, of a newer schema
    set_consent_hash(B, "f" * 16)

    assert "3 batch(es) sent (basic, middle, full)." in cli(A, "send", "--now")
    assert sorted((t, v) for t, v, _ in stored(collector.db)) == sorted(mine(A))
    assert "corrupt" not in cli(A, "status")
    left = pending_lines()
    assert sum('"t":"gpu"' in line.replace(" ", "") for line in left) == 1  # never deleted
    assert sum('"c":' in line for line in left) == 4  # B's three records and the new type
    sent = {batch for _, _, batch in stored(collector.db)}
    assert not any(batch in line for line in left for batch in sent)  # a new batch id for B's

    set_consent_hash(B, level_hash(Level.FULL))  # B's own plugin judges B's consent
    assert "3 batch(es) sent (basic, middle, full)." in cli(B, "send", "--now")
    rows = stored(collector.db)
    assert sorted((t, v) for t, v, _ in rows) == sorted(mine(A) | mine(B))  # each once
    assert len({batch for _, _, batch in rows}) == 6
    assert [line for line in pending_lines() if '"c"' in line] == [
        line for line in left if "gpu" in line
    ]  # the type no plugin here knows waits for the plugin that wrote it
