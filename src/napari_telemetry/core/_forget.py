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

from . import _identity, _paths, _store, _uploader
from ._identity import SecretError

if TYPE_CHECKING:
    from ._transport import Transport

log = logging.getLogger("napari_telemetry")


@dataclass(frozen=True)
class ForgetResult:
    """What ``forget`` did: the ids it asked to delete, whether they were heard, the secret."""

    ids: list[tuple[str, str]]
    reached: bool
    message: str
    replaced: bool


def forget(transport: Transport | None = None) -> ForgetResult:
    """Ask the collector to delete the recent ids, then replace the secret (always)."""
    try:
        ids = _identity.recent_ids()
    except SecretError as e:
        ids, reached, message = [], False, f"no ids to delete: {e}"
    except OSError:  # there is no secret and none can be made: no id was ever used here
        ids, reached, message = [], False, "no ids to delete: none was ever made on this computer"
    else:
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
        out = [f"Deletion request: {self.forget.message}."]
        if not self.forget.reached and self.forget.ids:
            ids = ", ".join(uid for _, uid in self.forget.ids)
            out.append(f"To ask by e-mail instead, send {_identity.PRIVACY_EMAIL} the ids {ids}")
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
