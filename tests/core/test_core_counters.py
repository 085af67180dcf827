"""Plugin counters on the computer: declared, approved, switched on, counted; the rest dropped.

The example plugins (tests/example_plugins) are real distributions installed into a folder of
their own; the manifest is signed with the collector's own signing function.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from napari_telemetry.core import _paths, _store, telemetry
from napari_telemetry.core._counters import _gate, _installed, _manifest
from napari_telemetry.counters import Counters, _door
from napari_telemetry.schema import Level

from .counter_helpers import (
    EXAMPLE,
    ManifestServer,
    approved_example,
    counted,
    example,
    forget_example_modules,
    signed,
    trust,
    use_site,
    wait_for_door,
)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def site(
    monkeypatch: pytest.MonkeyPatch, example_site: Path, tmp_path: Path, key: Ed25519PrivateKey
) -> Iterator[Path]:
    """The example plugins installed and importable, the test key trusted, telemetry at full."""
    use_site(monkeypatch, example_site)
    trust(monkeypatch, tmp_path, key)
    telemetry.record_consent(Level.FULL)
    yield example_site
    forget_example_modules()


def fetch(document: object) -> _manifest.Trusted | None:
    """The client fetches *document* (as if from the collector) and the gate follows it."""
    trusted = _manifest.refresh(ManifestServer(document))
    telemetry.counter_gate().use(trusted)  # type: ignore[arg-type]
    return trusted


def switch_on(key: Ed25519PrivateKey) -> None:
    fetch(signed(approved_example(), key))
    telemetry.set_plugin_counters(EXAMPLE, True)


# --- declarations and binding -------------------------------------------------------------


@pytest.mark.usefixtures("site")
def test_declarations_are_read_beside_the_manifest_of_each_installed_plugin() -> None:
    found = {item.plugin: item for item in _installed.installed()}
    mine = found[EXAMPLE]
    assert mine.top == "napari_counter_example"
    assert mine.declaration is not None
    assert sorted(mine.declaration.counters) == ["models", "old_viewer", "segmentations"]
    rogue = found["napari-counter-rogue"]
    assert rogue.declaration is None  # it declares for napari-counter-example: ignored
    assert rogue.problem is not None
    assert "ships with 'napari-counter-rogue'" in rogue.problem
    assert found["napari-telemetry"].declaration is None  # no file: no counters


@pytest.mark.usefixtures("site")
def test_code_binds_to_the_plugin_of_its_top_level_package_even_when_editable() -> None:
    bound = _installed.bindings(_installed.installed())
    assert bound["napari_counter_example"] == EXAMPLE
    assert bound["napari_counter_rogue"] == "napari-counter-rogue"
    # this checkout is an editable install, where packages_distributions() finds nothing
    assert bound["napari_telemetry"] == "napari-telemetry"


def test_a_top_level_package_two_plugins_share_binds_to_neither() -> None:
    shared = [
        _installed.Installed("napari-a", "ns"),
        _installed.Installed("napari-b", "ns"),
        _installed.Installed("napari-c", "napari_c"),
    ]
    assert _installed.bindings(shared) == {"napari_c": "napari-c"}


# --- counting -----------------------------------------------------------------------------


@pytest.mark.usefixtures("site")
def test_a_switched_on_plugin_counts_its_command_and_labelled_calls(
    key: Ed25519PrivateKey,
) -> None:
    switch_on(key)
    plugin = example()
    plugin.segment("cyto")
    plugin.segment("nuclei")
    plugin.use_model("cyto")
    wait_for_door()
    assert counted() == {
        (EXAMPLE, "segmentations", ""): 2,
        (EXAMPLE, "models", "cyto"): 2,
        (EXAMPLE, "models", "nuclei"): 1,
    }


@pytest.mark.usefixtures("site")
def test_undeclared_unapproved_and_expired_counts_are_dropped_and_noted(
    key: Ed25519PrivateKey,
) -> None:
    switch_on(key)
    plugin = example()
    plugin.count_undeclared()  # not in the declaration
    plugin.use_model("tissue")  # declared, not approved
    plugin.use_model("bacteria")  # neither
    plugin.use_old_viewer()  # approved, but the installed declaration's end date has passed
    wait_for_door()
    assert counted() == {}
    notes = dict(telemetry.status().counters)
    assert notes["plugin counts dropped: the installed plugin does not declare that counter"] == 1
    assert notes["plugin counts dropped: that label is not both declared and approved"] == 2
    assert notes["plugin counts dropped: that counter expired"] == 1


@pytest.mark.usefixtures("site")
def test_another_plugin_cannot_count_under_the_first_ones_name(key: Ed25519PrivateKey) -> None:
    switch_on(key)
    import napari_counter_rogue  # decorates its own function with the example's handle

    napari_counter_rogue.impersonate()
    wait_for_door()
    assert counted() == {}
    notes = dict(telemetry.status().counters)
    # the handle used from its code (2), and its decoration: refused; its own handle's
    # counter: undeclared (its declaration, naming the example plugin, was ignored)
    assert notes["plugin counts refused: made by code that is not the counting plugin's"] == 3
    assert notes["plugin counts dropped: the installed plugin does not declare that counter"] == 1


def test_code_outside_any_plugin_counts_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    trust(monkeypatch, tmp_path, key)
    telemetry.record_consent(Level.FULL)
    mine = Counters()  # made in tests.core: no plugin's package
    mine.count("segmentations")
    wait_for_door()
    assert counted() == {}
    assert telemetry.status().counters == [
        ("plugin counts refused: made by code that is not the counting plugin's", 1)
    ]


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("level", [Level.NONE, Level.MIDDLE])
def test_below_full_nothing_is_counted_or_noted(key: Ed25519PrivateKey, level: Level) -> None:
    switch_on(key)
    telemetry.record_consent(level)
    plugin = example()
    plugin.segment("cyto")
    plugin.count_undeclared()
    wait_for_door()
    telemetry.recorder().flush(timeout=5)
    assert counted() == {}
    assert telemetry.status().counters == []


@pytest.mark.usefixtures("site")
def test_off_by_default_and_off_again_deletes_what_was_pending(key: Ed25519PrivateKey) -> None:
    fetch(signed(approved_example(), key))
    plugin = example()
    plugin.segment("cyto")
    wait_for_door()
    assert counted() == {}  # never switched on: nothing
    assert telemetry.status().counters == []  # and the user's "no" is not a drop
    telemetry.set_plugin_counters(EXAMPLE, True)
    plugin.segment("cyto")
    assert counted() == {(EXAMPLE, "segmentations", ""): 1, (EXAMPLE, "models", "cyto"): 1}
    telemetry.set_plugin_counters(EXAMPLE, False)
    assert counted() == {}
    plugin.segment("cyto")
    assert counted() == {}


@pytest.mark.usefixtures("site")
def test_a_switch_turned_off_in_another_process_stops_what_is_buffered(
    key: Ed25519PrivateKey,
) -> None:
    switch_on(key)
    plugin = example()
    plugin.segment("cyto")
    wait_for_door()
    from napari_telemetry.core._counters import _choices

    _choices.save(EXAMPLE, _choices.Choice(False))  # what `counters disable` in a terminal does
    assert counted() == {}  # the writer followed the file before writing
    plugin.segment("cyto")
    assert counted() == {}


@pytest.mark.usefixtures("site")
def test_a_newly_approved_counter_asks_again_for_that_plugin_only(key: Ed25519PrivateKey) -> None:
    fetch(signed(approved_example(), key))
    telemetry.set_plugin_counters(EXAMPLE, True)
    plugins = approved_example()
    plugins[EXAMPLE]["counters"]["models"]["labels"] = ["cyto", "nuclei", "tissue"]
    plugins[EXAMPLE]["counters"]["segmentations"]["description"] = "Reworded: asks nothing."
    fetch(signed(plugins, key, version=2))
    (offer,) = telemetry.plugin_counters().plugins
    assert offer.state == "changed"
    assert offer.new == ("`models` now also counts by tissue",)
    example().segment("cyto")
    wait_for_door()
    assert counted() == {}  # nothing of it until the user agrees again
    telemetry.set_plugin_counters(EXAMPLE, True)
    example().segment("tissue")
    assert counted() == {(EXAMPLE, "segmentations", ""): 1, (EXAMPLE, "models", "tissue"): 1}


@pytest.mark.usefixtures("site")
def test_a_counter_stops_by_itself_when_its_day_comes(
    key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    switch_on(key)
    example().segment("cyto")
    wait_for_door()
    assert counted()[(EXAMPLE, "segmentations", "")] == 1

    class Later(date):
        @classmethod
        def today(cls) -> date:
            return date.today() + timedelta(days=400)  # past every counter's end

    monkeypatch.setattr(_gate, "date", Later)
    monkeypatch.setattr(_door.gate, "_day_end", 0.0)  # midnight passed
    example().segment("cyto")
    assert counted()[(EXAMPLE, "segmentations", "")] == 1


@pytest.mark.usefixtures("site")
def test_counting_never_raises_into_the_plugin(key: Ed25519PrivateKey) -> None:
    switch_on(key)
    handle = example().counters
    handle.count(None)
    handle.count(["not", "hashable"])
    handle.count("models", label={"a": 1})
    assert handle.counts("segmentations")(42) == 42  # not a function: given back
    wait_for_door()
    assert counted() == {}


@pytest.mark.usefixtures("site")
def test_do_not_track_keeps_counting_a_no_op_that_loads_nothing(
    monkeypatch: pytest.MonkeyPatch, key: Ed25519PrivateKey
) -> None:
    switch_on(key)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    _door._forget()
    example().segment("cyto")
    assert _door.gate is None
    assert _door._early == []


def test_counting_is_free_of_the_core_until_the_first_count() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from napari_telemetry.counters import Counters\n"
        "c = Counters()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('napari_telemetry.core', "
        "'pydantic', 'cryptography'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the manifest -------------------------------------------------------------------------


@pytest.mark.usefixtures("site")
def test_a_good_manifest_is_fetched_from_the_full_collector_and_cached(
    key: Ed25519PrivateKey,
) -> None:
    server = ManifestServer(signed(approved_example(), key))
    trusted = _manifest.refresh(server)
    assert trusted is not None
    assert trusted.manifest is not None
    assert server.urls == ["http://127.0.0.1:9/full/v1/collection"]
    assert trusted.note == f"collection manifest version 1 of {date.today()}"
    assert not _manifest.needs_refresh(date.today())  # weekly
    assert _manifest.needs_refresh(date.today() + timedelta(days=7))
    assert _manifest.load().manifest == trusted.manifest  # from the cache, verified again


def _tampered(document: dict[str, object]) -> dict[str, object]:
    document["signed"]["plugins"][EXAMPLE]["counters"]["models"]["labels"].append("tissue")  # type: ignore[index]
    return document


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda k, o: _tampered(signed(approved_example(), k, version=2)), "does not match"),
        (lambda k, o: signed(approved_example(), o, version=2), "no key this plugin trusts"),
        (lambda k, o: signed(approved_example(), k, version=2, expires=date.today()), "expired"),
        (lambda k, o: signed(approved_example(), k, version=0), "not a collection manifest"),
        (lambda k, o: {"signed": {}, "signatures": []}, "not a collection manifest"),
    ],
    ids=["tampered", "unknown key", "expired", "version 0", "empty"],
)
def test_a_manifest_that_fails_is_ignored_and_the_trusted_one_stays(
    key: Ed25519PrivateKey, make: object, why: str
) -> None:
    first = signed(approved_example(), key)
    _manifest.refresh(ManifestServer(first))
    other = Ed25519PrivateKey.generate()
    trusted = _manifest.refresh(ManifestServer(make(key, other)), today=date.today())  # type: ignore[operator]
    assert trusted is not None
    assert trusted.manifest is not None
    assert trusted.manifest.version == 1
    assert why in trusted.note
    assert "tissue" not in trusted.manifest.plugins[EXAMPLE].counters["models"].labels


@pytest.mark.usefixtures("site")
def test_an_older_version_or_the_same_version_changed_is_refused(key: Ed25519PrivateKey) -> None:
    _manifest.refresh(ManifestServer(signed(approved_example(), key, version=5)))
    older = _manifest.refresh(ManifestServer(signed(approved_example(), key, version=4)))
    assert older is not None
    assert "older than version 5" in older.note
    changed = approved_example()
    changed[EXAMPLE]["counters"].pop("models")
    again = _manifest.refresh(ManifestServer(signed(changed, key, version=5)))
    assert again is not None
    assert "came back with other content" in again.note
    assert again.manifest is not None
    assert "models" in again.manifest.plugins[EXAMPLE].counters


@pytest.mark.usefixtures("site")
def test_a_duplicated_key_is_refused(key: Ed25519PrivateKey) -> None:
    import json

    raw = json.dumps(signed(approved_example(), key))
    raw = raw[:-1] + ', "signatures": []}'  # a second "signatures" could hide the first
    trusted = _manifest.refresh(ManifestServer(raw=raw.encode()))
    assert trusted is not None
    assert trusted.manifest is None


def test_nothing_is_fetched_without_a_key_or_with_the_index_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    server = ManifestServer(signed(approved_example(), key))
    monkeypatch.setenv("NAPARI_TELEMETRY_COLLECTION_KEYS", str(tmp_path / "none.pem"))
    assert _manifest.refresh(server) is None  # no trusted key: nothing could be trusted
    trust(monkeypatch, tmp_path, key)
    monkeypatch.setenv("NAPARI_TELEMETRY_INDEX_URL", "off")
    assert _manifest.refresh(server) is None
    assert server.urls == []


def test_the_shipped_keyring_holds_no_key_until_the_operators_publish_one() -> None:
    from napari_telemetry.core._counters import _keyring

    assert _keyring.SHIPPED.is_file()
    assert _keyring.trusted_keys() == {}


def test_an_unreadable_cache_means_no_manifest_and_a_fetch() -> None:
    _paths.collection_file().parent.mkdir(parents=True, exist_ok=True)
    _paths.collection_file().write_text("{ not json")
    assert _manifest.load().manifest is None
    assert _manifest.needs_refresh(date.today())


def test_withdrawing_a_plugins_counters_leaves_everything_else(tmp_path: Path) -> None:
    telemetry.record_consent(Level.FULL)
    recorder = telemetry.recorder()
    recorder.count("counter", (EXAMPLE, "segmentations", ""))
    recorder.count("counter", ("napari-other", "runs", ""))
    recorder.count("command", ("napari.window.file.open_files_dialog", "napari"))
    recorder.flush(timeout=5)
    _store.withdraw_counters(EXAMPLE)
    left = [(r["type"], r.get("plugin")) for b in telemetry.preview() for r in b["records"]]
    assert sorted(left) == [("command", "napari"), ("counter", "napari-other")]


@pytest.mark.usefixtures("site")
def test_a_collector_older_than_counters_never_gets_a_counter_record(
    key: Ed25519PrivateKey,
) -> None:
    """An older collector has no /v1/collection (404) and refuses a `counter` record (422, the
    whole batch): the client counts nothing its own collector does not approve, even after a
    manifest from before (a collector rolled back), so its full batches stay acceptable there."""
    from typing import Annotated, Literal

    from pydantic import Field

    from napari_telemetry.schema import BatchBase, CommandRecord, LayerRecord

    class OlderFullBatch(BatchBase):  # the full stream as a collector before counters read it
        level: Literal["full"]
        records: list[Annotated[CommandRecord | LayerRecord, Field(discriminator="type")]]

    switch_on(key)
    trusted = _manifest.refresh(ManifestServer(raw=b'{"detail": "Not Found"}', status=404))
    assert trusted is not None
    assert trusted.note == "no collection manifest in use: the collector serves none"
    telemetry.counter_gate().use(trusted)
    example().segment("cyto")
    wait_for_door()
    telemetry.recorder().count("command", ("napari.window.file.open_files_dialog", "napari"))
    assert counted() == {}
    (full,) = [b for b in telemetry.preview() if b["level"] == "full"]
    assert OlderFullBatch.model_validate(full).records[0].type == "command"
