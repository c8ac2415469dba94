"""Reading TOML values with errors a user can act on.

``ConfigError`` names the file, the key with its table path, what was expected
and what was found; ``Reader`` holds the per-type value parsers that raise it
and ``Table`` tracks which keys of a table were read, so the rest are reported
as unknown (with a "did you mean" hint). ``farwatch.state.config`` builds the
sections on top of these.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from farwatch.sources.envref import looks_like_keyring_ref
from farwatch.sources.redact import register
from farwatch.state.config_types import (
    DURATION_EXPECTED,
    format_duration,
    is_env_name,
    parse_duration,
)
from farwatch.state.text import strip_control

_SECRET_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "pass",
    "token",
    "secret",
    "api_key",
    "apikey",
    "private_key",
    "access_key",
    "credentials",
)


def display_path(path: Path) -> str:
    """``path`` with the home directory shown as ``~``, as a user would type it."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class ConfigError(Exception):
    """A config mistake, in words a user can act on.

    ``str()`` reads ``FILE: KEY: [PROBLEM; ]expected EXPECTED, got GOT``, e.g.
    ``~/.config/farwatch/config.toml: thresholds.checkin_warn: expected a
    duration like "90m" or "2h", got "2 hours"``. Any part may be absent.
    """

    def __init__(
        self,
        file: Path | None,
        key: str | None,
        expected: str | None,
        got: str | None = None,
        *,
        problem: str | None = None,
    ) -> None:
        self.file = file
        self.key = key
        self.expected = expected
        self.got = got
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        head = [display_path(self.file)] if self.file is not None else []
        if self.key:
            head.append(self.key)
        parts = [self.problem] if self.problem else []
        if self.expected:
            parts.append(
                f"expected {self.expected}" + (f", got {self.got}" if self.got is not None else "")
            )
        return ": ".join([*head, "; ".join(parts)])


def show(value: Any) -> str:
    """A found value as the user wrote it, short and safe to print."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        shown = json.dumps(strip_control(value), ensure_ascii=False)
        return shown if len(shown) <= 60 else shown[:56] + '..."'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime | date | time):
        return f"a date/time ({value.isoformat()})"
    return type(value).__name__


def is_secret_key(key: str) -> bool:
    """True for keys that name a secret value (``password``, ``api_token``...)."""
    k = key.lower()
    if k.endswith(("_env", "_keyring")):
        return False
    return any(k == w or k.endswith("_" + w) or k.startswith(w + "_") for w in _SECRET_WORDS)


class Table:
    """One TOML table being read: tracks which keys were used."""

    def __init__(self, v: Reader, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(v.file, path, f"a table ([{path}])", show(data))
        self.v = v
        self.data: dict[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return name in self.data

    def get(self, name: str, parse: Callable[[str, Any], Any], default: Any) -> Any:
        self.used.add(name)
        if name not in self.data:
            return default
        return parse(self.key(name), self.data[name])

    def finish(self, known: tuple[str, ...], what: str | None = None) -> None:
        for name in self.data:
            if name in self.used:
                continue
            if is_secret_key(name) and isinstance(self.data[name], str):
                self.v.warn_inline_secret(self.key(name), used=False)
                continue  # never used, never shown
            close = difflib.get_close_matches(name, known, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            where = what or (f"[{self.path}]" if self.path else "the top level")
            raise ConfigError(
                self.v.file,
                self.key(name),
                f"one of the keys {where} takes: {', '.join(known) or 'none'}",
                problem=f"unknown key{hint}",
            )


class Reader:
    """Value parsers bound to one file: each takes ``(key, value)`` and raises a
    ``ConfigError`` naming that key; ``warn`` collects secret warnings."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.base = file.parent
        self.warnings: list[str] = []

    def fail(self, key: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(self.file, key, expected, show(value))

    # -- scalar parsers: (key, value) -> typed value --------------------

    def duration(self, minimum: float = 0.0) -> Callable[[str, Any], float]:
        def parse(key: str, value: Any) -> float:
            if isinstance(value, int | float) and not isinstance(value, bool):
                unit = f'"{value}s" or "{value}m"'
                raise ConfigError(
                    self.file,
                    key,
                    DURATION_EXPECTED,
                    f"{show(value)} (a bare number; write {unit})",
                )
            if not isinstance(value, str):
                raise self.fail(key, DURATION_EXPECTED, value)
            try:
                seconds = parse_duration(value)
            except ValueError as exc:
                raise self.fail(key, str(exc), value) from None
            if seconds < minimum:
                need = "longer than 0s" if minimum <= 1 else f"at least {format_duration(minimum)}"
                raise self.fail(key, f"{DURATION_EXPECTED}, {need}", value)
            return seconds

        return parse

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(key, "a string in quotes", value)
        return value

    def boolean(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def integer(self, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "a whole number", value)
        return value

    def number(self, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, "a number", value)
        return float(value)

    def path(self, key: str, value: Any) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "a file path in quotes", value)
        if "\x00" in value:  # no file system takes one; open() would raise at first use
            raise self.fail(key, "a file path without NUL characters (\\u0000)", value)
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base / p

    def url(self, key: str, value: Any) -> str:
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or not parts.scheme or not parts.netloc:
            raise self.fail(key, 'a URL like "https://example.com/..."', value)
        if parts.password:
            self.warn(
                key,
                "the URL has a password inline; keep secrets out of the config file "
                "(use an option ending in _env or _keyring if this source has one)",
            )
        return str(value)

    def env_name(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not is_env_name(value):
            got = (
                show(value)
                if not isinstance(value, str)
                else (
                    "a value that looks like a secret, not a variable name "
                    "(not shown; if it is a key, treat it as exposed and keep it out of the config)"
                )
            )
            raise ConfigError(
                self.file,
                key,
                'the NAME of an environment variable, like "FARWATCH_IMAP_PASSWORD" '
                "(the secret itself goes in that variable)",
                got,
            )
        register(os.environ.get(value))  # known to the redactor before any source runs
        return value

    def keyring_ref(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not looks_like_keyring_ref(value):
            raise ConfigError(
                self.file,
                key,
                'a keyring reference "service/username"',
                "a value that is not one (not shown, in case it is the secret itself)",
            )
        return str(value)

    def checked(self, parse: Callable[[str], str]) -> Callable[[str, Any], str]:
        """Wrap a ``config_types`` parser so its ValueError names the key."""

        def run(key: str, value: Any) -> str:
            if not isinstance(value, str):
                raise self.fail(key, expectation(parse), value)
            try:
                return parse(value)
            except ValueError as exc:
                raise self.fail(key, str(exc), value) from None

        return run

    def choice(self, choices: tuple[str, ...]) -> Callable[[str, Any], str]:
        def run(key: str, value: Any) -> str:
            if not isinstance(value, str) or value not in choices:
                raise self.fail(key, "one of " + ", ".join(f'"{c}"' for c in choices), value)
            return value

        return run

    def warn(self, key: str, message: str) -> None:
        """Record a warning about ``key`` (the message never holds the value)."""
        self.warnings.append(f"{display_path(self.file)}: {key}: {message}")

    def warn_inline_secret(self, key: str, *, used: bool) -> None:
        name = key.rsplit(".", 1)[-1]
        fate = "it is used, but" if used else "farwatch ignores it;"
        self.warn(
            key,
            f"a secret is written inline in the config file; {fate} keep secrets out of the "
            f'file: put it in an environment variable and set {name}_env = "VAR_NAME", or '
            f'store it in the system keyring and set {name}_keyring = "service/username"',
        )

    # -- sections ------------------------------------------------------


def expectation(parse: Callable[[str], str]) -> str:
    try:
        parse("\x00")
    except ValueError as exc:
        return str(exc)
    return "a string"
