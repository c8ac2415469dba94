"""Messages to the owner (the digest, auto-pause notices): queued, then delivered
once, outside the owner's quiet hours.

A message is first *queued* in the audit log (outcome ``queued``, with a key
such as ``digest:2026-03-10``); delivery writes an ``intent`` per channel
naming the queued entry, then the outcome. Both steps run under a lock
beside the audit log, and a queued message with any intent is never sent
again, so the daemon and every dashboard together deliver it exactly once;
a kill -9 mid-send leaves an intent without an outcome ("maybe sent").
"""

from __future__ import annotations

from datetime import datetime

from farwatch.actions import channels as channels_mod
from farwatch.actions.channels import Channel
from farwatch.actions.locking import locked_beside
from farwatch.state import audit
from farwatch.state.audit import AuditEntry
from farwatch.state.digest import (
    DIGEST_ACTION,
    OWNER_ALERT,
    QUEUED,
    Digest,
    build_digest,
    digest_day,
    quiet_until,
)
from farwatch.state.engine_api import EngineLike
from farwatch.state.pay import pay_report
from farwatch.state.settings import Settings

DELIVER = "owner_delivery"


def owner_channels(settings: Settings) -> list[Channel]:
    """The digest's channels: ``email:ADDRESS`` or an im value as in the roster."""
    found: list[Channel | None] = []
    for spec in settings.digest.channels:
        kind, _, address = spec.partition(":")
        if kind == "email":
            found.append(channels_mod.email_channel(settings.nudge, address))
        else:
            found.append(channels_mod.im_channel(settings.nudge, spec))
    return [c for c in found if c is not None]


def make_digest(engine: EngineLike, now: datetime | None = None) -> Digest:
    at = now or engine.clock()
    refresh = engine.refresh(at)
    report = pay_report(refresh.snapshot, refresh.statuses, engine.settings, at)
    entries = audit.read_entries(engine.settings.audit_file)
    zone = engine.settings.digest.timezone or engine.settings.owner.timezone
    return build_digest(refresh.statuses, refresh.health, report, entries, at, zone)


def queue(
    engine: EngineLike, action: str, key: str, subject: str, body: str, detail: str = ""
) -> AuditEntry:
    return audit.append(
        engine.settings.audit_file,
        AuditEntry(
            action=action,
            outcome=QUEUED,
            message=f"{subject}\n\n{body}",
            detail=f"{key} {detail}".strip(),
            time=engine.clock(),
        ),
    )


def queue_owner_alert(engine: EngineLike, key: str, subject: str, body: str) -> AuditEntry | None:
    """Queue a notice for the owner (an auto-pause); None when no channel is set."""
    if not engine.settings.digest.channels:
        return None
    return queue(engine, OWNER_ALERT, key, subject, body)


def queue_digest_if_due(engine: EngineLike) -> AuditEntry | None:
    """Queue today's digest once its minute has come (under the lock)."""
    settings = engine.settings
    if not settings.digest.at or not settings.digest.channels:
        return None
    path = settings.audit_file
    zone = settings.digest.timezone or settings.owner.timezone
    with locked_beside(path, "owner"):
        now = engine.clock()
        day = digest_day(settings.digest.at, zone, audit.read_entries(path), now)
        if day is None:
            return None
        digest = make_digest(engine, now)
        return queue(
            engine,
            DIGEST_ACTION,
            f"digest:{day.isoformat()}",
            digest.subject,
            digest.body,
            digest.summary(),
        )


def pending(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Queued owner messages with no delivery yet, oldest first."""
    started = {e.detail.split(" ", 1)[0] for e in entries if e.action == DELIVER}
    return [
        e
        for e in reversed(entries)
        if e.action in (DIGEST_ACTION, OWNER_ALERT) and e.outcome == QUEUED and e.id not in started
    ]


def deliver_owner_messages(engine: EngineLike) -> list[AuditEntry]:
    """Send every queued owner message, unless the owner's quiet hours say wait."""
    settings = engine.settings
    channels = [c for c in owner_channels(settings) if not c.problem]
    if not channels:
        return []
    path = settings.audit_file
    now = engine.clock()
    if quiet_until(settings.owner.quiet_hours, settings.owner.timezone, now) is not None:
        return []
    to_send: list[tuple[AuditEntry, list[AuditEntry]]] = []
    with locked_beside(path, "owner"):
        for queued in pending(audit.read_entries(path)):
            intents = [
                audit.append(
                    path,
                    AuditEntry(
                        action=DELIVER,
                        channel=c.kind,
                        outcome=audit.INTENT,
                        detail=f"{queued.id} to {c.target}",
                        time=engine.clock(),
                    ),
                )
                for c in channels
            ]
            to_send.append((queued, intents))
    written: list[AuditEntry] = []
    for queued, intents in to_send:
        subject, _, body = queued.message.partition("\n\n")
        for channel, intent in zip(channels, intents, strict=True):
            written.append(intent)
            result = channels_mod.send(channel, subject, body, settings.nudge)
            written.append(
                audit.append(
                    path,
                    AuditEntry(
                        action=DELIVER,
                        channel=channel.kind,
                        outcome="sent" if result.ok else "failed",
                        detail=f"{queued.id} to {channel.target}"
                        if result.ok
                        else f"{queued.id} {result.error}",
                        intent_id=intent.id,
                        time=engine.clock(),
                    ),
                )
            )
    return written
