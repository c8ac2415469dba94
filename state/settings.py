"""Typed settings: what a loaded config file means.

``farwatch.state.config`` turns TOML into these; everything else reads only
these types, so tests can build a ``Settings`` directly without any file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a check-in is stale and a burn is worth a warning."""

    checkin_warn: float = 2 * 3600.0
    """Working seconds since the last check-in before it shows as a warning."""
    checkin_alert: float = 4 * 3600.0
    """Working seconds since the last check-in before it shows as an alert."""
    burn_warn: float = 0.8
    """Fraction of the cap used before the burn shows as a warning."""


@dataclass(frozen=True, slots=True)
class Policy:
    """What farwatch does on its own."""

    auto_pause_at_cap: bool = False
    """Pause a worker automatically when their burn reaches 100%."""
    nudge_cooldown: float = 30 * 60.0
    """Seconds before the same worker can be pinged again without --force."""
    auto_nudge: bool = False
    """Remind workers by themselves when a check-in is overdue (``state.cadence``)."""
    auto_nudge_max_per_day: int = 3
    """Automatic reminders per worker per local day, at most."""
    shift_start_reminder: float = 0.0
    """Seconds after a worker's day begins to remind them if they have not checked
    in; 0 means no start-of-shift reminder."""


@dataclass(frozen=True, slots=True)
class WorkerDefaults:
    """Used for roster rows that leave a column empty."""

    timezone: str = "UTC"
    hours: str = "09:00-17:00"
    days: str = "Mon-Fri"
    cap_period: str = "week"


DEFAULT_RETENTION = 90 * 86400.0
"""Seconds of check-ins and time entries the cache keeps unless told otherwise."""


@dataclass(frozen=True, slots=True)
class CacheSettings:
    path: Path
    """The TinyDB file (default under the user data dir)."""
    retention: float = DEFAULT_RETENTION
    """Seconds of check-ins and time entries to keep."""


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """One ``[[sources]]`` table: its type, a unique name and its options."""

    type: str
    name: str
    interval: float
    options: dict[str, Any] = field(default_factory=dict)
    deadline: float | None = None
    """Wall-clock seconds one fetch may take (None: ``farwatch.state.deadline``'s default)."""


@dataclass(frozen=True, slots=True)
class ImChannelSettings:
    """One IM channel the owner configured (``[nudge.im.NAME]``).

    ``url`` is an apprise URL whose ``{to}`` (in the path or query, never the
    host) receives the roster's recipient and whose ``{x}`` placeholders are
    filled from the variables named by ``x_env`` (``secrets``), at send time.
    """

    name: str
    url: str
    secrets: dict[str, str] = field(default_factory=dict)
    """Placeholder -> environment variable holding its value."""


@dataclass(frozen=True, slots=True)
class NudgeSettings:
    """How pings reach workers (apprise URLs; secrets by reference only)."""

    email: str = ""
    """An apprise mailto/mailtos URL; the recipient is the worker's email."""
    email_password_env: str = ""
    """Environment variable holding the SMTP password, substituted at send time."""
    templates: dict[str, str] = field(default_factory=dict)
    """Message templates by situation, overriding the built-in ones."""
    im: dict[str, ImChannelSettings] = field(default_factory=dict)
    """IM channels by name; a roster ``im`` cell says ``NAME:recipient``."""


@dataclass(frozen=True, slots=True)
class OwnerSettings:
    """The owner's own day: alerts to the owner wait out their quiet hours."""

    timezone: str = "UTC"
    quiet_hours: str = ""
    """Local window(s) like "22:00-07:00"; empty means never quiet."""


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """The owner's daily digest (``farwatch digest``, and the poll loops)."""

    at: str = ""
    """Local time of day, "08:00"; empty means no automatic digest."""
    timezone: str = ""
    """Defaults to ``[owner] timezone``."""
    channels: tuple[str, ...] = ()
    """Each ``email:ADDRESS`` or an im reference in the roster's ``im`` form."""


@dataclass(frozen=True, slots=True)
class UiSettings:
    theme: str = "farwatch-dark"
    bell: bool = True
    """Ring the terminal bell when a worker crosses a threshold."""
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> key(s), e.g. ``{"ping": "n"}``."""
    tick: float = 1.0
    """Seconds between live age updates."""


@dataclass(frozen=True, slots=True)
class Settings:
    """A whole config file, validated."""

    path: Path | None
    cache: CacheSettings
    thresholds: Thresholds = field(default_factory=Thresholds)
    policy: Policy = field(default_factory=Policy)
    defaults: WorkerDefaults = field(default_factory=WorkerDefaults)
    sources: tuple[SourceSettings, ...] = ()
    nudge: NudgeSettings = field(default_factory=NudgeSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    owner: OwnerSettings = field(default_factory=OwnerSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    audit_path: Path | None = None
    """The audit log (JSON Lines); default beside the cache."""

    @property
    def audit_file(self) -> Path:
        return self.audit_path or self.cache.path.with_name("audit.jsonl")
