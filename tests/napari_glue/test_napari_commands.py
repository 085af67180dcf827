"""The command wrappers: counted by id and owner; results and exceptions pass untouched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from app_model import Application
from npe2._command_registry import CommandRegistry

from napari_telemetry._napari import _commands
from napari_telemetry._napari._plugins import CommandOwners
from napari_telemetry.schema import CommandKey


class Boom(Exception):
    pass


# What installed_public_plugins finds with the small test index and make_site's plugins: the
# public plugins installed at a stable version (napari-devplug is listed but at 0.1.0.dev3).
PUBLIC = frozenset({"napari-svg", "napari-console"})


class Counter:
    """Records what would be counted; owners among the PUBLIC plugins."""

    def __init__(self, public: frozenset[str]) -> None:
        self.owner = CommandOwners(public)
        self.counted: list[tuple[str, str]] = []

    def count(self, command_id: str) -> str | None:
        owner = self.owner(command_id)
        if owner is not None:
            self.counted.append((command_id, owner))
        return owner


@pytest.fixture
def app() -> Iterator[Application]:
    application = Application("telemetry-test")
    yield application
    Application.destroy("telemetry-test")


def _register(app: Application, id: str, func: Any) -> None:
    app.commands.register_command(id, func, title=id)


def test_owners() -> None:
    owner = CommandOwners(PUBLIC)
    assert owner("napari.window.file.open_files_dialog") == "napari"
    assert owner("napari:window:view:toggle_fullscreen") == "napari"  # napari < 0.5 ids
    assert owner("napari-svg.svg_writer") == "napari-svg"
    assert owner("napari_svg.svg_writer") == "napari-svg"  # ids are matched normalized
    assert owner("napari-devplug.hello") is None  # listed, but installed at a dev version
    assert owner("my-private-plugin.run") is None  # not in the public index: not counted
    assert owner("napari-telemetry.settings_dock") is None
    assert owner("bad id with spaces") is None
    assert CommandOwners()("napari-svg.svg_writer") is None  # no index: only napari's own
    key = owner.key("napari-svg.svg_writer")
    assert key == CommandKey("napari-svg.svg_writer", "napari-svg")
    assert owner.key("napari-svg.svg_writer") is key  # made once per command id
    assert owner.key("my-private-plugin.run") is None


def test_execute_command_counts_and_returns(app: Application) -> None:
    _register(app, "napari-svg.do", lambda: 42)
    _register(app, "private-plugin.do", lambda: 43)
    counter = Counter(PUBLIC)
    _commands.wrap_execute_command(app.commands, counter)
    _commands.wrap_execute_command(app.commands, counter)  # idempotent: wrapped once
    assert app.commands.execute_command("napari-svg.do").result() == 42
    assert app.commands.execute_command("private-plugin.do").result() == 43
    with pytest.raises(KeyError):
        app.commands.execute_command("napari.not_registered")
    assert counter.counted == [("napari-svg.do", "napari-svg")]


def test_the_commands_own_exception_passes_untouched(app: Application) -> None:
    error = Boom("from the command")

    def fails() -> None:
        raise error

    _register(app, "napari.fails", fails)
    counter = Counter(PUBLIC)
    _commands.wrap_execute_command(app.commands, counter)
    future = app.commands.execute_command("napari.fails")
    assert future.exception() is error  # app-model's own contract: the error is in the future
    app.commands._raise_synchronous_exceptions = True
    with pytest.raises(Boom) as caught:
        app.commands.execute_command("napari.fails")
    assert caught.value is error
    assert counter.counted == [("napari.fails", "napari")] * 2


def test_a_failing_counter_never_breaks_a_command(app: Application) -> None:
    class Broken:
        def owner(self, command_id: str) -> str | None:
            raise RuntimeError("broken")

        count = owner

    _register(app, "napari.ok", lambda: "ok")
    _commands.wrap_execute_command(app.commands, Broken())
    assert app.commands.execute_command("napari.ok").result() == "ok"


def test_unwrap_restores_the_original(app: Application) -> None:
    _commands.wrap_execute_command(app.commands, Counter(PUBLIC))
    _commands.unwrap(app.commands, "execute_command")
    assert "execute_command" not in vars(app.commands)


def _reader(path: str) -> Any:
    return (lambda p: [(None,)]) if path.endswith(".ok") else None


def test_npe2_counts_widgets_once_and_readers_only_when_they_accept(app: Application) -> None:
    registry = CommandRegistry()
    registry.register("napari-svg.widget", lambda: "widget")
    registry.register("napari-svg.reader", _reader)
    _register(app, "napari-svg.widget", lambda: registry.get("napari-svg.widget")())
    counter = Counter(PUBLIC)
    _commands.wrap_execute_command(app.commands, counter)
    _commands.wrap_npe2_get(registry, counter, lambda cid: cid.endswith(".reader"))

    assert registry.get("napari-svg.widget")() == "widget"  # e.g. `napari -w napari-svg`
    app.commands.execute_command("napari-svg.widget")  # from the Plugins menu: counted once
    assert registry.get("napari-svg.reader")("a.no") is None  # declined: not counted
    assert registry.get("napari-svg.reader")("a.ok") is not None
    with pytest.raises(KeyError):
        registry.get("napari-svg.missing")
    assert counter.counted == [("napari-svg.widget", "napari-svg")] * 2 + [
        ("napari-svg.reader", "napari-svg")
    ]
