"""What one round of sending did, in the words the CLI prints and the docks show.

A failure names the collector's host, says what went wrong in plain words and what happens
next (the data stays, and when it is tried again, in local time); a success says what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from napari_telemetry.schema import Level

# A collector's refusal in plain words; anything else is "it did not accept it".
_REFUSED = {
    409: "a different batch with the same id was stored before",
    413: "it was too large",
    415: "it was not sent as the collector expects",
}
# An answer that keeps the batch for a later try (any other is a server-side problem).
_KEPT = {
    408: "gave up waiting for the batch (timeout)",
    429: "asked to wait (too many requests)",
}


@dataclass
class SendReport:
    """What one round of sending did; ``str(report)`` is a few lines for a user."""

    sent: int = 0
    dropped: int = 0
    kept: int = 0
    debug: bool = False
    notes: list[str] = field(default_factory=list)  # what else happened (nothing failed)
    problems: list[str] = field(default_factory=list)  # why something was not sent
    shown: int = 0  # batches logged instead of sent (NAPARI_TELEMETRY_DEBUG)
    streams: list[Level] = field(default_factory=list)  # streams that sent a batch

    @property
    def ok(self) -> bool:
        """Whether everything that was due left (or, in debug mode, was shown)."""
        return not (self.kept or self.dropped or self.problems)

    def lines(self) -> list[str]:
        """The summary, then each problem and note."""
        return [self._head(), *self.problems, *self.notes]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _head(self) -> str:
        if self.debug:
            return (
                "NAPARI_TELEMETRY_DEBUG is set: nothing was sent; "
                f"{self.shown} batch(es) would have been sent (logged, as JSON)"
            )
        if not (self.sent or self.dropped or self.kept):
            if self.problems:
                return "Nothing was sent."
            return "Nothing was due: a day is sent once it is over (`send --now` sends today's)."
        parts = [f"{self.sent} batch(es) sent"]
        if self.streams:
            parts[0] += f" ({', '.join(lv.value for lv in self.streams)})"
        parts += [f"{self.dropped} refused"] if self.dropped else []
        parts += [f"{self.kept} kept for later"] if self.kept else []
        return ", ".join(parts) + "."


def host(url: str) -> str:
    """The host (and port) a URL points at: what a failure names."""
    return urlsplit(url).netloc or url


def unreachable(url: str, reason: str) -> str:
    """No answer came back from *url*'s collector."""
    return f"could not reach {host(url)}: {reason}"


@dataclass(frozen=True)
class Failure:
    """Why a batch was kept: what a user reads now (*said*, naming the host) and what the
    uploader's state keeps for ``status`` (*error*, no host name) with its *kind*."""

    said: str
    error: str
    kind: str  # TransportError.kind, or "http"


def no_answer(url: str, reason: str, kind: str) -> Failure:
    """No answer came back from *url*'s collector, for *reason* (a TransportError's words)."""
    return Failure(unreachable(url, reason), reason, kind)


def kept(url: str, status: int) -> Failure:
    """An answer that keeps the batch (see :func:`kept_answer`)."""
    return Failure(kept_answer(url, status), _answer("the collector", status), "http")


def kept_answer(url: str, status: int) -> str:
    """An answer that keeps the batch: a server-side problem, a wait, a redirect."""
    return _answer(f"the collector at {host(url)}", status)


def _answer(where: str, status: int) -> str:
    if status in _KEPT:
        return f"{where} {_KEPT[status]}"
    if 300 <= status < 400:
        return f"{where} answered with a redirect (code {status}), which is never followed"
    return f"{where} could not take it right now (server error {status})"


def refusal(url: str, status: int, week: str | None) -> str:
    """A batch the collector refused for good (so it was dropped)."""
    why = _REFUSED.get(status, f"it did not accept it (code {status})")
    if week is not None:
        why = f"its week {week} is outside the weeks it accepts"
    return f"the collector at {host(url)} refused a batch: {why}; it was dropped, not retried"


def kept_line(level: Level, what: str, kept: int, retry: datetime | None) -> str:
    """One stream that stopped: what went wrong, what stays, when it is tried again."""
    when = (
        f"tried again after {retry.astimezone():%Y-%m-%d %H:%M} (local time)"
        if retry is not None
        else "tried again at the next check"
    )
    return f"{level.value}: {what}. {kept} batch(es) kept on this computer, {when}."
