"""``scripts/dev.py``'s set-up on a fresh machine: what it does before anything is installed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dev(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "scripts" / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "VENV", tmp_path / "venv")
    monkeypatch.setattr(module, "PY", tmp_path / "venv" / "bin" / "python")
    return module


def test_a_half_made_virtual_environment_is_made_again(dev: ModuleType, tmp_path: Path) -> None:
    # What `python3 -m venv` leaves behind when ensurepip is missing: a python, but no pip.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv"], check=True)
    assert dev.PY.exists()
    assert not dev._venv_has_pip()


def test_a_python_without_ensurepip_asks_for_its_venv_package(
    dev: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "ensurepip" else find_spec(name)
    )
    asked: list[list[str]] = []
    monkeypatch.setattr(dev, "apt_install", lambda packages: asked.append(packages) or False)
    with pytest.raises(SystemExit) as stop:
        dev.ensure_venv_support()
    package = f"python{sys.version_info[0]}.{sys.version_info[1]}-venv"
    assert (stop.value.code, asked) == (1, [[package]])
    assert f"install {package}" in capsys.readouterr().out


def test_a_python_with_ensurepip_needs_nothing(
    dev: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev, "apt_install", lambda packages: pytest.fail(f"installed {packages}"))
    dev.ensure_venv_support()


def test_the_longest_files_listed_to_run_first_exist() -> None:
    """A renamed or removed file would silently drop out of the order (conftest.py)."""
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [name for name in module.LONGEST_FIRST if not (ROOT / name).is_file()]
    assert not missing
    assert len(set(module.LONGEST_FIRST)) == len(module.LONGEST_FIRST)
