"""The gate every plugin count passes on the plugin's thread: a dict lookup, then the recorder.

What may be counted is computed off that thread (installed declarations, the trusted manifest,
the switches) into one dict: (top-level package of the counting code, counter, label) → the
record's key. A count found there goes to the recorder, which drops it below `full`; any other
is refused and, at `full`, noted for ``napari-telemetry status`` by its reason. The gate follows
switches and manifests changed by another process on the recorder's writer thread, before each
write, and drops what is buffered for a plugin no longer switched on.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from psygnal import Signal

from napari_telemetry.core import _paths, _store
from napari_telemetry.core._state import state
from napari_telemetry.schema import CounterKey

from . import _choices, _manifest
from ._installed import Installed, bindings, installed
from ._offer import PluginOffer, offers

log = logging.getLogger("napari_telemetry")
Allowed = dict[tuple[str, str, str], CounterKey]


@dataclass(frozen=True)
class Overview:
    """What the settings dock and ``napari-telemetry counters list`` show."""

    plugins: tuple[PluginOffer, ...]  # plugins with counters to offer
    manifest: str  # the manifest in use (or why none), in words
    unapproved: tuple[str, ...]  # plugins that declare counters none of which is offered
    problems: tuple[str, ...]  # declaration files that cannot be used, in words


class Gate:
    """What may be counted now, and the count itself."""

    changed = Signal()  # offers or switches changed (any thread): views read them again

    def __init__(self, recorder: _store.Recorder | None = None) -> None:
        # The process's recorder, held once used: the gate and it are made and reset together.
        self._held = recorder
        if recorder is not None:
            recorder.writing.connect(self.follow)
        self._installed: list[Installed] = []
        self._bound: dict[str, str] = {}  # top-level package → plugin
        self._trusted = _manifest.Trusted(None, "not read yet")
        self._choices: dict[str, _choices.Choice] = {}
        self._seen: tuple[object, ...] = ()
        self._offers: list[PluginOffer] = []
        self._allowed: Allowed = {}
        self._quiet: frozenset[str] = frozenset()  # packages of plugins switched off: no-ops
        self._day_end = 0.0
        self._lock = threading.RLock()

    @property
    def _recorder(self) -> _store.Recorder:
        """The process's recorder, made on the first count: a terminal's status makes none."""
        if self._held is None:
            self._held = _store.get_recorder()
            self._held.writing.connect(self.follow)
        return self._held

    def count(self, top: str, counter: str, label: str) -> None:
        """Count *counter* with *label* for the code of package *top*; never raises."""
        try:
            if time.monotonic() >= self._day_end:
                self._rebuild()  # a new day: counters may have expired (memory only)
            key = self._allowed.get((top, counter, label))
            if key is not None:
                self._recorder.count("counter", key)
            elif top not in self._quiet:  # the user said no to that plugin: nothing to note
                self._refuse(top, counter, label)
        except Exception:
            log.debug("a plugin count was dropped", exc_info=True)

    def refuse_caller(self) -> None:
        """Note a count made by code outside the package whose handle it used."""
        self._recorder.drop("counter_foreign")

    def _refuse(self, top: str, counter: str, label: str) -> None:
        plugin = self._bound.get(top)
        offer = next((o for o in self._offers if o.plugin == plugin), None)
        declared = next((i.declaration for i in self._installed if i.plugin == plugin), None)
        manifest = self._trusted.manifest
        approved = manifest.plugins.get(plugin) if manifest and plugin else None
        if plugin is None:
            reason = "counter_foreign"
        elif declared is None or counter not in declared.counters:
            reason = "counter_undeclared"
        elif approved is None or counter not in approved.counters:
            reason = "counter_unapproved"
        elif offer is None or counter not in {c.name for c in offer.counters}:
            reason = "counter_expired" if self._expired(plugin, counter) else "counter_label"
        else:
            reason = "counter_label"
        self._recorder.drop(reason)

    def _expired(self, plugin: str, counter: str) -> bool:
        today = date.today()
        manifest = self._trusted.manifest
        declared = next(i.declaration for i in self._installed if i.plugin == plugin)
        if manifest is None or declared is None or manifest.expires <= today:
            return True
        approved = manifest.plugins[plugin].counters[counter]
        return min(approved.expires, declared.counters[counter].expires) <= today

    # --- what may be counted (off the plugin's thread) ---------------------------------
    def load(self) -> None:
        """Read everything: installed declarations, the cached manifest, the switches."""
        with self._lock:
            self._installed = installed()
            self._bound = bindings(self._installed)
            self._reload()

    def _reload(self) -> None:
        with self._lock:
            self._seen = _signatures()
            self._trusted = _manifest.load()
            self._choices = _choices.load()
            self._rebuild()

    def _rebuild(self) -> None:
        with self._lock:
            declared = [i.declaration for i in self._installed if i.declaration]
            found = offers(declared, self._trusted.manifest, self._choices, date.today())
            tops = {plugin: top for top, plugin in self._bound.items()}
            allowed: Allowed = {}
            for offer in found:
                top = tops.get(offer.plugin)
                if offer.state != "on" or top is None:
                    continue
                for counter in offer.counters:
                    for label in counter.labels or ("",):
                        key = CounterKey(offer.plugin, counter.name, label)
                        allowed[(top, counter.name, label)] = key
            off = {offer.plugin for offer in found if offer.state != "on"}
            self._quiet = frozenset(top for top, plugin in self._bound.items() if plugin in off)
            self._offers, self._allowed = found, allowed
            self._day_end = time.monotonic() + _seconds_to_midnight()

    def follow(self) -> None:
        """Follow switches or a manifest changed elsewhere (on the recorder's writer thread)."""
        try:
            if _signatures() == self._seen:
                return
            self._reload()
            keep = set(self._allowed.values())
            self._recorder.discard("counter", lambda key: key not in keep)
        except Exception:
            log.debug("the counter switches could not be read again", exc_info=True)
            return
        self._changed()

    def use(self, trusted: _manifest.Trusted) -> None:
        """A manifest was fetched (any thread): count by it from now on."""
        self._reload()
        self._changed()

    def set_switch(self, plugin: str, on: bool) -> None:
        """Turn *plugin*'s counters on (agreeing to what it offers now) or off.

        Off deletes what this environment counted for it and has not sent. ValueError when
        *plugin* offers nothing here; OSError when the switch cannot be written.
        """
        with self._lock:
            offer = next((o for o in self._offers if o.plugin == plugin), None)
            if offer is None:
                raise ValueError(f"{plugin!r} has no approved counters installed here")
            choice = _choices.Choice(on, offer.agreed() if on else {}, date.today())
            _choices.save(plugin, choice)
            if not on:
                _store.withdraw_counters(plugin)
            self._reload()
        self._changed()

    def overview(self) -> Overview:
        """The plugins with counters to offer and their switches, the manifest, problems."""
        offered = {o.plugin for o in self._offers}
        declaring = [i.plugin for i in self._installed if i.declaration]
        return Overview(
            plugins=tuple(self._offers),
            manifest=self._trusted.note,
            unapproved=tuple(p for p in declaring if p not in offered),
            problems=tuple(f"{i.plugin}: {i.problem}" for i in self._installed if i.problem),
        )

    def descriptions(self) -> dict[tuple[str, str], str]:
        """(plugin, counter) → the approved description, for every counter of the manifest."""
        manifest = self._trusted.manifest
        if manifest is None:
            return {}
        return {
            (plugin, name): counter.description
            for plugin, approved in manifest.plugins.items()
            for name, counter in approved.counters.items()
        }

    def _changed(self) -> None:
        try:
            self.changed.emit()
        except Exception:
            log.debug("a counters-changed callback failed", exc_info=True)


def _signatures() -> tuple[object, ...]:
    return (_choices.signature(), _stat_collection())


def _stat_collection() -> tuple[int, int] | None:
    try:
        st = _paths.collection_file().stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _seconds_to_midnight() -> float:
    now = datetime.now()
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
    return max((tomorrow - now).total_seconds(), 1.0)


def get_gate() -> Gate:
    """The process-wide gate, made (and read) on first use; call it off napari's GUI thread."""
    gate = state.gate
    if gate is None:
        with state.lock:
            if state.gate is None:
                made = Gate()  # its recorder: on its first count (get_recorder takes state.lock)
                made.load()
                state.gate = made
            gate = state.gate
    return gate
