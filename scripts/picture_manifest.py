"""What each picture in docs/images shows, in words: the manifest the screenshot scripts keep.

Each script writes, next to the pictures, the texts the real widgets (or the dashboard page)
showed when they were photographed, with what changes from run to run masked (dates, weeks,
ids, development versions; the dashboard's noisy numbers). ``--check`` draws them again into a
temporary folder and compares the texts with ``docs/images/screenshots.json``: a picture whose
words the code no longer draws fails the check, and the message says how to make new ones. It
never writes a tracked file.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "docs" / "images" / "screenshots.json"
REGENERATE = (
    "Make new pictures with `python3 scripts/dev.py screenshots` (it rewrites "
    "docs/images/*.png and docs/images/screenshots.json from the code of this checkout) and "
    "commit them."
)
_VOLATILE = (
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<id>"),
    (re.compile(r"\b\d{4}-W\d{2}\b"), "<week>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\b\d{1,2}:\d{2}\b"), "<time>"),
    # A development version counts the commits since the last tag when the venv was made.
    (re.compile(r"\b\d+\.\d+\.\d+\.dev\d+\b"), "<dev version>"),
)


def mask(text: str) -> str:
    """*text* with what changes from one run to the next replaced by a placeholder."""
    for pattern, placeholder in _VOLATILE:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split())


def load() -> dict[str, list[str]]:
    """The manifest as committed (empty when there is none yet)."""
    if not MANIFEST.is_file():
        return {}
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {str(k): [str(t) for t in v] for k, v in data.items()}


def save(drawn: dict[str, list[str]]) -> None:
    """Record what *drawn*'s pictures show (the other pictures' entries stay)."""
    data = {**load(), **drawn}
    text = json.dumps(dict(sorted(data.items())), indent=1, ensure_ascii=False) + "\n"
    MANIFEST.write_text(text, encoding="utf-8")
    print(f"wrote {MANIFEST.relative_to(ROOT)}")


def differences(drawn: dict[str, list[str]]) -> list[str]:
    """Why the committed pictures are not what the code draws today (empty: they are)."""
    committed = load()
    found = []
    for name, texts in sorted(drawn.items()):
        before = committed.get(name)
        if before is None:
            found.append(f"docs/images/{name}: not in {MANIFEST.name} (never made here)")
        elif before != texts:
            diff = difflib.unified_diff(before, texts, "in the picture", "drawn now", lineterm="")
            lines = list(diff)[2:14]
            found.append(f"docs/images/{name} no longer shows what the code draws:")
            found += [f"    {line}" for line in lines]
    return found


def check(drawn: dict[str, list[str]]) -> int:
    """Print the differences and how to fix them; the exit status (0: the pictures are true)."""
    found = differences(drawn)
    if not found:
        print(f"the pictures of {', '.join(sorted(drawn))} show what the code draws")
        return 0
    print("\n".join([*found, "", REGENERATE]))
    return 1
