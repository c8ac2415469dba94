"""Load and validate the TOML config into ``Settings``.

Where the file is: ``--config PATH``, else ``$FARWATCH_CONFIG``, else
``config.toml`` in the platformdirs user config dir (on Linux
``~/.config/farwatch/config.toml``).

Every mistake is a ``ConfigError`` that names the file, the key with its table
path and what was expected, because the owner fixing it is not a programmer and
has no traceback to read. ``[[sources]]`` tables are counted from 1 in file
order, so ``sources[2].interval`` is the second ``[[sources]]`` table.

Secrets are read only by reference: ``<name>_env = "VAR"`` (an environment
variable) or ``<name>_keyring = "service/username"`` (the system keyring). A
secret written inline is never used (unless a plugin declares that very key)
and always produces a warning that names the key, never the value.

``load_config`` returns a ``LoadedConfig`` (settings + warnings, which the CLI
prints to stderr); ``load_settings`` is the same without the warnings.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import platformdirs

from farwatch.sources.imref import channel_url_problem, is_channel_name
from farwatch.sources.localfile import NotRegularFile, read_regular
from farwatch.sources.model import CAP_PERIODS
from farwatch.sources.redact import register
from farwatch.state.config_reader import ConfigError, Table, display_path
from farwatch.state.config_sources import SourcesReader
from farwatch.state.config_types import (
    format_duration,
    parse_days,
    parse_hours,
    parse_time_of_day,
    parse_timezone,
)
from farwatch.state.settings import (
    DEFAULT_RETENTION,
    CacheSettings,
    DigestSettings,
    ImChannelSettings,
    NudgeSettings,
    OwnerSettings,
    Policy,
    Settings,
    Thresholds,
    UiSettings,
    WorkerDefaults,
)

ENV_VAR = "FARWATCH_CONFIG"
MAX_CONFIG_BYTES = 1024 * 1024
"""A config file is a few KB; more is not a config (and is never read whole)."""


def default_config_path() -> Path:
    """``config.toml`` in the user config dir (``~/.config/farwatch`` on Linux)."""
    return Path(platformdirs.user_config_dir("farwatch")) / "config.toml"


def default_cache_path() -> Path:
    """``cache.json`` in the user data dir (``~/.local/share/farwatch`` on Linux)."""
    return Path(platformdirs.user_data_dir("farwatch")) / "cache.json"


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A validated config and the warnings it earned (inline secrets)."""

    settings: Settings
    warnings: tuple[str, ...] = ()
    origin: str = "option"
    """Where the path came from: ``"option"``, ``"env"`` or ``"default"``."""


def resolve_config_path(path: Path | str | None = None) -> tuple[Path, str]:
    """The config file to use and where that choice came from.

    ``path`` (the ``--config`` option) wins, then ``$FARWATCH_CONFIG``, then the
    default location. Returns ``(path, origin)`` with origin ``"option"``,
    ``"env"`` or ``"default"``.
    """
    if path is not None and str(path) != "":
        return Path(path).expanduser(), "option"
    env = os.environ.get(ENV_VAR, "")
    if env:
        return Path(env).expanduser(), "env"
    return default_config_path(), "default"


__all__ = [
    "ENV_VAR",
    "ConfigError",
    "LoadedConfig",
    "default_cache_path",
    "default_config_path",
    "display_path",
    "load_config",
    "load_settings",
    "parse_config",
    "resolve_config_path",
]


def load_settings(path: Path | str | None = None) -> Settings:
    """Load, validate and return the settings (see ``load_config``)."""
    return load_config(path).settings


def load_config(path: Path | str | None = None) -> LoadedConfig:
    """Find, read and validate the config file.

    Raises:
        ConfigError: for a missing or unreadable file, invalid TOML, or any
            invalid, unknown or missing key.
    """
    file, origin = resolve_config_path(path)
    try:  # never a blocking open: a FIFO or /dev/zero named as the config must not hang
        raw, _stat = read_regular(file, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise _missing(file, origin) from None
    except NotRegularFile as exc:
        what = "a directory" if exc.what == "a folder" else exc.what
        raise ConfigError(file, None, "a TOML file", what) from None
    except OSError as exc:
        raise ConfigError(file, None, None, problem=f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(file, None, "a TOML file of at most 1 MB", "a larger file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(file, None, "a UTF-8 text file", "undecodable bytes") from None
    loaded = parse_config(text, file.resolve())
    return LoadedConfig(loaded.settings, loaded.warnings, origin)


def _missing(file: Path, origin: str) -> ConfigError:
    if origin == "default":
        return ConfigError(
            file,
            None,
            None,
            problem='no config file here yet; run "farwatch init" to write a commented '
            'starter config, or "farwatch demo" to try farwatch on a bundled demo team',
        )
    where = f" (from ${ENV_VAR})" if origin == "env" else ""
    return ConfigError(
        file,
        None,
        None,
        problem=f"no such file{where}; check the path, or run "
        f'"farwatch init {display_path(file)}" to write a starter config there',
    )


def parse_config(text: str, file: Path) -> LoadedConfig:
    """Validate TOML ``text`` as if read from ``file`` (relative paths resolve
    against ``file``'s directory).

    Raises:
        ConfigError: as ``load_config``.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(file, text, exc) from None
    return _Validator(file, doc).run()


def _syntax_error(file: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        where = f"line {match.group(1)}, column {match.group(2)}"
        message = message[: match.start()]
    else:
        message = re.sub(r"\s*\(at end of document\)$", "", message)
        lines = text.splitlines() or [""]
        where = f"line {len(lines)}, column {len(lines[-1]) + 1} (end of file)"
    return ConfigError(file, where, None, problem=f"invalid TOML: {message}")


class _Validator(SourcesReader):
    """Reads a parsed TOML document into ``Settings``, raising on the first mistake."""

    def __init__(self, file: Path, doc: dict[str, Any]) -> None:
        super().__init__(file)
        self.doc = doc

    def run(self) -> LoadedConfig:
        top = Table(self, self.doc, "")
        thresholds = self._thresholds(top)
        policy = self._policy(top)
        defaults = self._defaults(top)
        cache = self._cache(top)
        audit_path = self._audit(top)
        nudge = self._nudge(top)
        ui = self._ui(top)
        owner = self._owner(top)
        digest = self._digest(top, owner)
        sources = self._sources(top)
        top.finish(
            (
                "thresholds",
                "policy",
                "defaults",
                "cache",
                "audit",
                "sources",
                "nudge",
                "ui",
                "owner",
                "digest",
            )
        )
        settings = Settings(
            path=self.file,
            cache=cache,
            thresholds=thresholds,
            policy=policy,
            defaults=defaults,
            sources=sources,
            nudge=nudge,
            ui=ui,
            owner=owner,
            digest=digest,
            audit_path=audit_path,
        )
        self._check_audit_file(settings.audit_file, default=audit_path is None)
        return LoadedConfig(settings, tuple(self.warnings))

    def _section(self, top: Table, name: str) -> Table:
        top.used.add(name)
        return Table(self, top.data.get(name, {}), name)

    def _thresholds(self, top: Table) -> Thresholds:
        t = self._section(top, "thresholds")
        d = Thresholds()
        warn = t.get("checkin_warn", self.duration(1), d.checkin_warn)
        alert = t.get("checkin_alert", self.duration(1), d.checkin_alert)
        burn = t.get("burn_warn", self.number, d.burn_warn)
        if not 0 < burn <= 1:
            raise self.fail(
                t.key("burn_warn"),
                "a fraction of the cap above 0 and at most 1, like 0.8",
                t.data["burn_warn"],
            )
        if alert <= warn:
            if t.has("checkin_alert"):
                raise self.fail(
                    t.key("checkin_alert"),
                    f"a duration longer than checkin_warn ({format_duration(warn)})",
                    t.data["checkin_alert"],
                )
            raise self.fail(
                t.key("checkin_warn"),
                f"a duration shorter than checkin_alert ({format_duration(alert)}, the default)",
                t.data["checkin_warn"],
            )
        t.finish(("checkin_warn", "checkin_alert", "burn_warn"))
        return Thresholds(checkin_warn=warn, checkin_alert=alert, burn_warn=burn)

    def _policy(self, top: Table) -> Policy:
        t = self._section(top, "policy")
        d = Policy()
        policy = Policy(
            auto_pause_at_cap=t.get("auto_pause_at_cap", self.boolean, d.auto_pause_at_cap),
            nudge_cooldown=t.get("nudge_cooldown", self.duration(), d.nudge_cooldown),
            auto_nudge=t.get("auto_nudge", self.boolean, d.auto_nudge),
            auto_nudge_max_per_day=t.get(
                "auto_nudge_max_per_day", self.count(1), d.auto_nudge_max_per_day
            ),
            shift_start_reminder=t.get(
                "shift_start_reminder", self.duration(), d.shift_start_reminder
            ),
        )
        t.finish(
            (
                "auto_pause_at_cap",
                "nudge_cooldown",
                "auto_nudge",
                "auto_nudge_max_per_day",
                "shift_start_reminder",
            )
        )
        return policy

    def _defaults(self, top: Table) -> WorkerDefaults:
        t = self._section(top, "defaults")
        d = WorkerDefaults()
        defaults = WorkerDefaults(
            timezone=t.get("timezone", self.checked(parse_timezone), d.timezone),
            hours=t.get("hours", self.checked(parse_hours), d.hours),
            days=t.get("days", self.checked(parse_days), d.days),
            cap_period=t.get("cap_period", self.choice(CAP_PERIODS), d.cap_period),
        )
        t.finish(("timezone", "hours", "days", "cap_period"))
        return defaults

    def _cache(self, top: Table) -> CacheSettings:
        t = self._section(top, "cache")
        cache = CacheSettings(
            path=t.get("path", self.path, default_cache_path()),
            retention=t.get("retention", self.duration(3600), DEFAULT_RETENTION),
        )
        t.finish(("path", "retention"))
        return cache

    def _audit(self, top: Table) -> Path | None:
        t = self._section(top, "audit")
        path: Path | None = t.get("path", self.path, None)
        t.finish(("path",))
        return path

    def _check_audit_file(self, path: Path, default: bool) -> None:
        """Every command opens the audit log: a folder or FIFO there must not crash or hang."""
        if path.is_file() or not path.exists():
            return
        what = "a directory" if path.is_dir() else "not a regular file"
        beside = " (beside the cache)" if default else ""
        expected = 'the path of the audit log file, like "audit.jsonl"'
        got = f"{display_path(path)}{beside}, which is {what}"
        raise ConfigError(self.file, "audit.path", expected, got)

    def _nudge(self, top: Table) -> NudgeSettings:
        t = self._section(top, "nudge")
        email = t.get("email", self.string, "")
        if email:
            parts = urlsplit(email)
            if not parts.scheme:
                raise self.fail(
                    t.key("email"), 'an apprise URL like "mailtos://user@smtp.example.com"', email
                )
            if parts.password:
                register(unquote(parts.password))
                register(parts.password)
                self.warn(
                    t.key("email"),
                    "the URL has a password inline; keep it out of the config file: leave it "
                    'out of the URL and set email_password_env = "VAR_NAME" instead',
                )
        password_env = t.get("email_password_env", self.env_name, "")
        t.used.add("templates")
        templates_table = Table(self, t.data.get("templates", {}), t.key("templates"))
        templates = {
            name: self.string(templates_table.key(name), text)
            for name, text in templates_table.data.items()
        }
        t.used.add("im")
        im_table = Table(self, t.data.get("im", {}), t.key("im"))
        channels = {
            name.lower(): self._im_channel(Table(self, table, im_table.key(name)), name)
            for name, table in im_table.data.items()
        }
        t.finish(("email", "email_password_env", "templates", "im"))
        return NudgeSettings(
            email=email, email_password_env=password_env, templates=templates, im=channels
        )

    def _im_channel(self, t: Table, name: str) -> ImChannelSettings:
        """``[nudge.im.NAME]``: ``url`` with ``{to}`` and ``{x}`` for each ``x_env``."""
        if not is_channel_name(name):
            raise self.fail(t.path, 'a channel name like "slack" or "team-hook"', name)
        url = t.get("url", self.string, "")
        secrets = {
            key.removesuffix("_env"): t.get(key, self.env_name, "")
            for key in list(t.data)
            if key.endswith("_env")
        }
        problem = channel_url_problem(url, set(secrets))
        if problem:
            raise self.fail(t.key("url"), problem, url if "{" in url else None)
        t.finish(("url", *(f"{k}_env" for k in secrets)))
        return ImChannelSettings(name=name.lower(), url=url, secrets=secrets)

    def _owner(self, top: Table) -> OwnerSettings:
        t = self._section(top, "owner")
        d = OwnerSettings()
        owner = OwnerSettings(
            timezone=t.get("timezone", self.checked(parse_timezone), d.timezone),
            quiet_hours=t.get("quiet_hours", self.checked(parse_hours), d.quiet_hours),
        )
        t.finish(("timezone", "quiet_hours"))
        return owner

    def _digest(self, top: Table, owner: OwnerSettings) -> DigestSettings:
        t = self._section(top, "digest")
        at = t.get("at", self.checked(parse_time_of_day), "")
        zone = t.get("timezone", self.checked(parse_timezone), owner.timezone)
        channels = t.get("channels", self.digest_channels, ())
        if at and not channels:
            raise self.fail(
                t.key("channels"),
                'at least one channel when [digest] at is set, like ["email:you@example.com"]',
                [],
            )
        t.finish(("at", "timezone", "channels"))
        return DigestSettings(at=at, timezone=zone, channels=channels)

    def digest_channels(self, key: str, value: Any) -> tuple[str, ...]:
        expected = (
            'a list like ["email:you@example.com"] (email:ADDRESS, or an im value '
            "in the roster's im form)"
        )
        if not isinstance(value, list):
            raise self.fail(key, expected, value)
        found: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{key}[{i + 1}]", expected, item)
            if item.startswith("email:") and "@" not in item:
                raise self.fail(f"{key}[{i + 1}]", "email:ADDRESS with an @", item)
            found.append(item.strip())
        return tuple(found)

    def count(self, minimum: int) -> Any:
        def parse(key: str, value: Any) -> int:
            number = self.integer(key, value)
            if number < minimum:
                raise self.fail(key, f"a whole number of at least {minimum}", value)
            return number

        return parse

    def _ui(self, top: Table) -> UiSettings:
        t = self._section(top, "ui")
        d = UiSettings()
        theme = t.get("theme", self.string, d.theme)
        bell = t.get("bell", self.boolean, d.bell)
        tick = t.get("tick", self.duration(0.1), d.tick)
        t.used.add("keys")
        keys_table = Table(self, t.data.get("keys", {}), t.key("keys"))
        keys: dict[str, str] = {}
        for binding, key in keys_table.data.items():
            if not isinstance(key, str) or not key.strip():
                raise self.fail(keys_table.key(binding), 'a key like "n" or "ctrl+p"', key)
            keys[binding] = key
        t.finish(("theme", "bell", "tick", "keys"))
        return UiSettings(theme=theme, bell=bell, keys=keys, tick=tick)

    # -- sources -------------------------------------------------------
