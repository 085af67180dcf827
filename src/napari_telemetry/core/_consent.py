"""Consent and the effective level: one answer to "how much is sent here, and why"."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from psygnal import EmitLoopError, SignalInstance

from napari_telemetry.schema import Level, changes, level_fields, level_hash

from . import _identity, _paths, _switches
from ._consent_record import ConsentFileError, ConsentRecord, load, save

log = logging.getLogger("napari_telemetry")
# The effective level after a choice was recorded in this process (the store follows it).
recorded = SignalInstance((Level,), name="recorded")


@dataclass(frozen=True)
class Decision:
    """The effective level now and the reason for it, as the CLI and the UI show it."""

    level: Level
    reason: str
    source: str
    should_ask: bool = False
    locked: bool = False
    agreed_level: Level = Level.NONE
    expires: date | None = None
    changed_fields: dict[str, list[str]] = field(default_factory=dict)
    changes: tuple[str, ...] = ()  # what changed, field by field, in plain words


def effective_level(*, interactive: bool = False, today: date | None = None) -> Decision:
    """Apply the switches in order of precedence; never raises."""
    try:
        return _decide(interactive, today or date.today())
    except Exception as e:  # telemetry never hurts the host: an unknown failure means "off"
        log.debug("effective_level failed", exc_info=True)
        return Decision(Level.NONE, f"telemetry is off because of an error ({e!r})", "error")


def _decide(interactive: bool, today: date) -> Decision:
    if _switches.do_not_track():
        return Decision(Level.NONE, "DO_NOT_TRACK is set", "do_not_track", locked=True)
    cap = _switches.env_cap()
    if cap is Level.NONE:
        return Decision(Level.NONE, "NAPARI_TELEMETRY turns telemetry off", "env", locked=True)
    policy = _switches.policy()
    if policy.max_level is Level.NONE:
        why = policy.problem or "the site policy turns telemetry off"
        return Decision(Level.NONE, why, "policy", locked=True)
    decision = _from_record(interactive and not policy.locked, today)
    decision = replace(decision, locked=policy.locked)
    for limit, source, name in (
        (cap, "env", "NAPARI_TELEMETRY"),
        (policy.max_level, "policy", "the site policy"),
    ):
        if limit is not None and decision.level.rank > limit.rank:
            decision = replace(
                decision,
                level=limit,
                source=source,
                reason=f"{decision.reason}; {name} caps it at {limit.value}",
                locked=decision.locked or source == "env",
            )
    return decision


def _from_record(interactive: bool, today: date) -> Decision:
    ci = _switches.ci_reason()
    ask = interactive and ci is None
    try:
        record = load()
    except ConsentFileError as e:
        log.warning("the consent record is unusable and is treated as missing: %s", e)
        return Decision(
            Level.NONE, f"the consent record is unusable ({e})", "error", should_ask=ask
        )
    if record is None:
        if ci is not None:
            return Decision(Level.NONE, f"no consent was recorded and {ci}", "ci")
        return Decision(Level.NONE, "you have not been asked yet", "no_consent", should_ask=ask)
    return _judge(record, today, ask)


def _judge(record: ConsentRecord, today: date, ask: bool) -> Decision:
    base = Decision(Level.NONE, "", "consent", agreed_level=record.level, expires=record.expires)
    when = record.granted.isoformat()
    if record.postponed:
        return _later(base, record, today, ask)
    if record.level is Level.NONE:
        return replace(base, reason=f"you chose not to share on {when}")
    if record.expires is not None and today >= record.expires:
        why = f"your agreement of {when} ended on {record.expires.isoformat()}"
        return replace(base, reason=why, source="expired", should_ask=ask)
    if record.schema_hash != level_hash(record.level):
        now, then = set(level_fields(record.level)), set(record.fields)
        changed = {"added": sorted(now - then), "removed": sorted(then - now)}
        words = tuple(changes(record.level, record.terms, record.fields))
        why = f"what the {record.level.value} level collects changed since you agreed on {when}"
        return replace(
            base,
            reason=why,
            source="changed",
            should_ask=ask,
            changed_fields=changed,
            changes=words,
        )
    until = f" until {record.expires.isoformat()}" if record.expires else ""
    return replace(
        base, level=record.level, reason=f"you agreed to {record.level.value} on {when}{until}"
    )


def _later(base: Decision, record: ConsentRecord, today: date, ask: bool) -> Decision:
    """ "Ask me later": nothing is shared, and napari asks again once the wait is over."""
    when = record.granted.isoformat()
    if record.expires is None or today >= record.expires:
        why = f"you asked on {when} to be asked later"
        return replace(base, reason=why, source="later", should_ask=ask)
    why = f"you asked on {when} to be asked later: napari asks again from {record.expires}"
    return replace(base, reason=why, source="later")


MAX_CONSENT_DAYS = 3650  # a temporary agreement of at most ten years (and no date overflow)


def record_consent(level: Level, *, days: int | None = None, today: date | None = None) -> None:
    """Store the user's choice for this environment ("Don't share" is ``Level.NONE``).

    The new effective level is announced on :data:`recorded` (the store follows it at once:
    the live recorder, and no pending data above it). Raises ValueError for *days* outside
    1..MAX_CONSENT_DAYS and OSError when the record cannot be written.
    """
    if days is not None and not 1 <= days <= MAX_CONSENT_DAYS:
        raise ValueError(f"days must be from 1 to {MAX_CONSENT_DAYS}, got {days!r}")
    save(ConsentRecord.new(Level(level), days, today or date.today()))
    if level is not Level.NONE:
        _identity.note_enabled()
    try:
        recorded.emit(effective_level().level)
    except EmitLoopError as e:  # a follower's own error, as if the store had been called here
        raise (e.__cause__ or e) from None


ASK_LATER_DAYS = 7  # "Ask me later": asked again at the first launch a week later


def postpone(today: date | None = None) -> bool:
    """ "Ask me later": no choice is recorded, and napari asks again after ASK_LATER_DAYS.

    A choice that holds (an agreement or a refusal, not ended, of today's schema) is kept as it
    is: asking later only postpones a question that is open. Returns whether it postponed.
    Raises OSError when the record cannot be written.
    """
    today = today or date.today()
    if _from_record(False, today).source == "consent":
        return False
    record = ConsentRecord.new(Level.NONE, ASK_LATER_DAYS, today)
    save(replace(record, postponed=True))
    try:
        recorded.emit(effective_level().level)
    except EmitLoopError as e:  # a follower's own error, as if the store had been called here
        raise (e.__cause__ or e) from None
    return True


def disable() -> None:
    """Record ``none`` for this environment and delete what it recorded and has not sent.

    The deletion follows from the level: the store withdraws this environment's pending data of
    every stream ``none`` does not include, which is all of them. Other environments' data
    stays: each was recorded under its own consent.
    """
    record_consent(Level.NONE)


def current_token() -> str | None:
    """The consent token new records carry now, or None when nothing may be recorded."""
    try:
        record = load()
    except ConsentFileError:
        return None
    return record.token if record is not None else None


Verdict = Literal["send", "stale", "keep"]


def judge_token(token: str, stream: Level, today: date | None = None) -> Verdict:
    """What to do with data recorded under *token* in *stream*: send it, drop it (its consent no
    longer holds) or keep it for the plugin of its environment.

    The data folder is shared by every environment of the user. Another environment's consent
    is judged here only when this plugin reads it exactly as that environment's own plugin does
    (the same schema hash for its level); one this plugin cannot read or judge (a newer plugin's)
    is left for its own plugin, never deleted. A consent record that is gone holds nothing.
    """
    env, _, consent_id = token.partition(".")
    if not (env.isalnum() and consent_id.isalnum()):
        return "stale"
    mine = env == _paths.environment_key()
    try:
        record = load(env)
    except ConsentFileError:
        return "keep"
    if record is None:  # withdrawn (or its environment removed): no plugin can send it now
        return "stale"
    if not mine and record.schema_hash != level_hash(record.level):
        return "keep"
    if record.consent_id != consent_id:
        return "stale"
    decision = _judge(record, today or date.today(), ask=False)
    return "send" if decision.level.includes(stream) else "stale"


def token_environment(token: str) -> str:
    """The environment key a consent token was recorded in."""
    return token.partition(".")[0]
