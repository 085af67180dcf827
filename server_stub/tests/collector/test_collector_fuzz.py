"""schemathesis, every check, against the collector's own OpenAPI document over real HTTP.

The document must state everything the collector enforces: a request it calls valid must be
accepted (``positive_data_acceptance``), one it calls invalid refused
(``negative_data_rejection``), every answer documented (status, content type, headers, body
schema) and never a 5xx. This runs the schemathesis command line as a user would (`st run URL
--checks all`, 60 examples per operation, every phase: examples, coverage, fuzzing, stateful)
against ``napari-telemetry-server serve`` on 127.0.0.1, a process of its own as in production.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.collector_testing import Process

ST = Path(sys.executable).parent / "st"


@pytest.mark.slow
def test_every_schemathesis_check_passes(
    run_server: Callable[..., Process], plugin_index: Path, tmp_path: Path
) -> None:
    # The limits stay on, high enough that the operations are exercised, not just answered 429.
    limits = ["--rate-limit", "1000000", "--deletion-limit", "1000000"]
    collector = run_server("--db", str(tmp_path / "raw.sqlite"), "--plugin-index",
                           str(plugin_index), *limits)  # fmt: skip
    cmd = [str(ST), "run", f"{collector.url}/openapi.json", "--checks", "all",
           "--max-examples", "60", "--workers", "1", "--no-color"]  # fmt: skip
    # In tmp_path: what schemathesis keeps between runs (its example database) stays out of git.
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-20000:]
    assert "Selected: 7/7" in report, report[-3000:]
    summary = next(line for line in report.splitlines() if " generated, " in line)
    generated, passed = summary.split(" generated, ")
    assert passed.strip() == f"{generated.strip()} passed", summary
    assert int(generated) > 500, summary
