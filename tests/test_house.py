"""House rules that hold for both packages (the import contracts are lint-imports')."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    ROOT / "src" / "napari_telemetry",
    ROOT / "server_stub" / "src" / "napari_telemetry_server",
]


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name | ast.Attribute) and "TYPE_CHECKING" in ast.unparse(
        node.test
    )


def _imports_inside_functions(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            skip = {
                id(n)
                for block in ast.walk(func)
                if isinstance(block, ast.If) and _type_checking(block)
                for n in ast.walk(block)
            }
            found += [
                n
                for n in ast.walk(func)
                if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in skip
            ]
    return found


def test_each_import_inside_a_function_says_why() -> None:
    """Imports inside functions are the lazy ones start-up needs, each with a one-line reason."""
    silent, counted = [], 0
    for path in sorted(p for base in SOURCES for p in base.rglob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        for node in _imports_inside_functions(ast.parse(text)):
            counted += 1
            if "#" not in lines[node.lineno - 1] and "#" not in lines[node.end_lineno - 1]:
                silent.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert counted > 10  # the walk finds them (the CLI's, the transport's, napari's internals)
    assert silent == []
