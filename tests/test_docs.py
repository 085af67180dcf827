"""The docs stay true: every command they show parses with the real CLIs; links resolve."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from napari_telemetry._cli import _parser as client_parser
from napari_telemetry_server._cli import build_parser as server_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", ROOT / "server_stub" / "README.md", *ROOT.glob("docs/*.md")])
PARSERS: dict[str, Callable[[], object]] = {
    "napari-telemetry": client_parser,
    "napari_telemetry": client_parser,
    "napari-telemetry-server": server_parser,
    "napari_telemetry_server": server_parser,
}
_FENCE = re.compile(r"^```(\w*)\s*$")
_INLINE = re.compile(r"`((?:napari-telemetry|python3? -m napari_telemetry)[^`]*)`")
_TEMPLATE = re.compile(r"^([A-Z][A-Z_]*|.*(…|\.\.\.).*|<.*>|\[.*\]|.*\|.*)$")


def _shell_lines(text: str) -> Iterator[str]:
    """Lines of shell code blocks (continuations joined), and inline `napari-telemetry …` spans."""
    kind: str | None = None
    pending = ""
    for line in text.splitlines():
        fence = _FENCE.match(line.strip())
        if fence:
            kind = None if kind is not None else fence.group(1)
            continue
        if kind in {"console", "bash", "sh", "shell", ""}:
            pending += line.rstrip("\\").strip() + " "
            if not line.endswith("\\"):
                yield pending.strip().removeprefix("$ ")
                pending = ""
    yield from (m.group(1) for m in _INLINE.finditer(text))


def documented_commands() -> Iterator[tuple[str, str, list[str]]]:
    for doc in DOCS:
        for line in _shell_lines(doc.read_text()):
            words = shlex.split(line.split(" #")[0], posix=True) if line else []
            while words and re.match(r"^[A-Z_]+=", words[0]):  # VAR=value prefixes
                words.pop(0)
            if words[:2] in (["python", "-m"], ["python3", "-m"]):
                words = words[2:]
            if not words:
                continue
            program, args = Path(words[0]).name, words[1:]
            if not args or args[0] == "=":  # the name alone in prose, or a TOML key
                continue
            if program in PARSERS and not any(_TEMPLATE.match(w) for w in args):
                yield doc.name, program, words[1:]


COMMANDS = sorted({(d, p, tuple(a)) for d, p, a in documented_commands()})


def test_the_docs_show_commands_of_both_programs() -> None:
    programs = {p.replace("_", "-") for _, p, _ in COMMANDS}
    assert programs == {"napari-telemetry", "napari-telemetry-server"}
    assert len(COMMANDS) > 20


@pytest.mark.parametrize(("doc", "program", "args"), COMMANDS, ids=lambda v: str(v))
def test_documented_command_parses(doc: str, program: str, args: tuple[str, ...]) -> None:
    parser = PARSERS[program]()
    try:
        parser.parse_args(list(args))  # type: ignore[attr-defined]
    except SystemExit as e:
        pytest.fail(f"{doc}: `{program} {' '.join(args)}` does not parse (exit {e.code})")


def test_relative_links_resolve() -> None:
    broken = [
        f"{doc.relative_to(ROOT)} → {target}"
        for doc in DOCS
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text())
        if not (doc.parent / target).exists()
    ]
    assert broken == []


_REPO_DIRS = ("src", "tests", "docs", "scripts", "server_stub", "benchmarks", ".ci")
_REPO_FILES = ("napari.yaml", "pyproject.toml", "tox.ini", "conftest.py", "LICENSE", "README.md")
_PACKAGES = (ROOT / "src" / "napari_telemetry", ROOT / "server_stub/src/napari_telemetry_server")
_NOT_A_PATH = re.compile(r"[<>{}*…|]|^\w+://")


def _named_paths(text: str) -> Iterator[str]:
    """Words of inline code and code blocks that look like a file or folder of this repository."""
    spans = re.findall(r"`([^`\n]+)`", text) + re.findall(r"```\w*\n(.*?)```", text, re.S)
    for span in spans:
        for word in span.split():
            word = word.strip("\"'()[],:;").split("::")[0]
            if word and not _NOT_A_PATH.search(word) and ("/" in word or word.endswith(".py")):
                yield word


def _exists(word: str) -> bool | None:
    """Whether the repository path *word* exists; None when it names no path of ours."""
    top = word.split("/")[0]
    if top in _REPO_DIRS or word in _REPO_FILES:
        return (ROOT / word).exists()
    if top.startswith("_") and top[1:2].isalpha():  # a private module, relative to a package
        module = re.sub(r"\.[A-Za-z_]\w*$", "", word.removesuffix(".py"))  # `_qt/_core.Core`
        names = [word, f"{module}.py", module]
        return any((package / name).exists() for package in _PACKAGES for name in names)
    if "/" not in word:  # a bare file name: some file of the repository has it
        return any(ROOT.glob(f"[!.]*/**/{word}")) or (ROOT / word).exists()
    return None


def test_every_repository_path_named_in_the_docs_exists() -> None:
    named = [(doc, word) for doc in DOCS for word in _named_paths(doc.read_text())]
    missing = [f"{doc.relative_to(ROOT)}: {word}" for doc, word in named if _exists(word) is False]
    assert len([w for _, w in named if _exists(w)]) > 20  # the rule still finds the paths
    assert missing == []
