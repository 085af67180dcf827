"""Forget me: the collector deletes the weekly ids, and (with local data) every folder goes.

:func:`forget` asks the collector to delete the recent ids, then replaces the secret, so that
new ids are unrelated to the old, and deletes what was recorded under the old identity.

Uninstalling the plugin leaves its files behind (inert: nothing reads them any more). These are
the user's to remove: :func:`forget_local` first asks the collector to delete every weekly id
(:func:`forget`), then removes the plugin's folders for every environment of this user. The
site policy, an administrator's file, is never touched.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from napari_telemetry.schema import Level

from . import _identity, _ids, _paths, _store, _uploader
from ._identity import SecretError

if TYPE_CHECKING:
    from ._transport import Transport

log = logging.getLogger("napari_telemetry")
PRIVACY_EMAIL = _identity.PRIVACY_EMAIL
# What forget() says that the removal of every folder makes moot.
_NOT_LOCAL = ("Your secret was replaced", "Pending (unsent) data", "Your secret could not")


@dataclass(frozen=True)
class ForgetResult:
    """What ``forget`` did: the ids it asked to delete, whether they were heard, the secret."""

    ids: list[tuple[str, str]]
    reached: bool
    message: str
    replaced: bool

    @property
    def ok(self) -> bool:
        """Whether everything asked was done: the collector deleted the ids (if there were
        any) and the secret is new."""
        return self.replaced and (self.reached or not self.ids)

    def lines(self) -> list[str]:
        """What happened, for a user (the CLI prints them, the settings dock shows them)."""
        out = []
        if self.ids:
            out.append("Your weekly ids in use, whose data the collector was asked to delete:")
            out += [f"  {week}  {uid}" for week, uid in self.ids]
        out.append(f"{self.message[:1].upper()}{self.message[1:]}.")
        if self.replaced:
            out.append("Your secret was replaced: from now on your ids are new and unrelated.")
            out.append("Pending (unsent) data was deleted.")
        else:
            out.append("Your secret could not be replaced (is the data folder writable?).")
        if self.ids and not self.reached:
            out.append(f"To have it deleted anyway, e-mail the ids above to {PRIVACY_EMAIL}.")
        return out


def forget(transport: Transport | None = None) -> ForgetResult:
    """Ask the collector to delete the ids in use, then replace the secret (always)."""
    try:
        ids = _ids.ids_in_use()
    except SecretError as e:
        ids, reached, message = [], False, f"no ids to delete: {e}"
    else:
        reached, message = False, "no ids to delete: none was used with your current secret"
        if ids:
            reached, message = _identity.request_deletion([i for _, i in ids], transport)
    replaced = _identity.replace_secret()
    _store.delete_pending()  # pending data was recorded under the old identity: it goes too
    return ForgetResult(ids=ids, reached=reached, message=message, replaced=replaced)


@dataclass(frozen=True)
class Folder:
    """One folder of the plugin that exists now, and what it holds, in words."""

    path: Path
    holds: str


def _count(folder: Path, pattern: str) -> int:
    try:
        return sum(1 for p in folder.glob(pattern) if p.is_file())
    except OSError:
        return 0


def _holds(path: Path) -> list[str]:
    what = []
    if path == _paths.data_dir():
        what.append("your secret and weekly-id state (shared by all your environments)")
        what.append(f"{_count(_paths.pending_dir(), '*/*.jsonl')} file(s) of pending records")
        what.append(f"{_count(_paths.sent_dir(), '*/*.json')} copy(ies) of sent batches")
    if path == _paths.config_dir():
        environments = _count(_paths.config_dir() / "environments", "*.json")
        what.append(f"your consent choices ({environments} environment(s))")
    if path == _paths.cache_dir():
        what.append("the cached public plugin index")
    return what


def local_folders() -> list[Folder]:
    """The plugin's folders that exist now (data, consent records, cache), with their contents."""
    paths = dict.fromkeys([_paths.data_dir(), _paths.config_dir(), _paths.cache_dir()])
    return [Folder(p, "; ".join(_holds(p))) for p in paths if p.exists()]


@dataclass(frozen=True)
class LocalForgetResult:
    """What :func:`forget_local` did: the deletion request, and the folders removed or not."""

    forget: ForgetResult
    removed: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A few lines for a user (the CLI prints them, the settings dock shows them)."""
        out = [line for line in self.forget.lines() if not line.startswith(_NOT_LOCAL)]
        out += [f"Removed {path}" for path in self.removed]
        out += [f"Could not remove {problem}" for problem in self.problems]
        if not self.problems:
            out.append("Nothing of napari-telemetry is left on this computer but its code.")
        return out


def forget_local(transport: Transport | None = None) -> LocalForgetResult:
    """Stop here, ask the collector to delete every weekly id, remove every local folder.

    This process records and sends nothing afterwards; with the plugin still installed, the
    next napari launch asks for consent again.
    """
    _stop_here()
    result = forget(transport)
    removed, problems = [], []
    for folder in local_folders():
        try:
            shutil.rmtree(folder.path)
        except OSError as e:
            problems.append(f"{folder.path} ({e.strerror or type(e).__name__})")
        else:
            removed.append(folder.path)
    return LocalForgetResult(result, removed, problems)


def _stop_here() -> None:
    """This process's recorder and uploader must not write the folders again."""
    _store.get_recorder().set_level(Level.NONE)
    _uploader.get_uploader().stop()
