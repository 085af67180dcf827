"""Exit 1, showing the difference, when docs/data-catalogue.md is not what the schema generates.

The data catalogue is generated from the wire models' field descriptions; this is the
pre-commit hook's check (`.pre-commit-config.yaml`), the same that tests/core/test_core_cli.py
makes. Regenerate with `napari-telemetry catalogue --markdown > docs/data-catalogue.md`.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from napari_telemetry.schema import catalogue_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "data-catalogue.md"


def main() -> int:
    wanted = catalogue_markdown().rstrip("\n") + "\n"
    found = DOC.read_text(encoding="utf-8")
    if found == wanted:
        return 0
    diff = difflib.unified_diff(
        found.splitlines(keepends=True),
        wanted.splitlines(keepends=True),
        "docs/data-catalogue.md",
        "generated from the schema",
    )
    sys.stdout.writelines(diff)
    print("stale: run `napari-telemetry catalogue --markdown > docs/data-catalogue.md`")
    return 1


if __name__ == "__main__":
    sys.exit(main())
