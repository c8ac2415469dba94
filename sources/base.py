"""The source contract: what every built-in and third-party source implements.

A source declares its options as data (so config validation, ``farwatch init``
and the docs come from one place), its capabilities as class variables, and a
synchronous ``fetch`` that the poller runs in a worker thread. Failures are
raised as ``SourceError`` with a short title fit for the screen.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from farwatch.sources.envref import looks_like_secret
from farwatch.sources.model import Cursor, FetchResult
from farwatch.sources.redact import redact, register

OptionKind = Literal[
    "str", "int", "float", "bool", "duration", "path", "url", "env", "choice", "host"
]


@dataclass(frozen=True, slots=True)
class Option:
    """One config key a source accepts.

    ``kind == "env"`` names an environment variable holding a secret (the key
    must end in ``_env``); the secret itself never appears in the config.
    ``minimum`` (for ``int``) makes a smaller value a config error, not a
    source that fails at every poll.
    """

    name: str
    kind: OptionKind = "str"
    required: bool = False
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: int | None = None


ErrorKind = Literal[
    "config",
    "dns",
    "refused",
    "timeout",
    "tls",
    "auth",
    "not_shared",
    "rate_limited",
    "quota",
    "server",
    "protocol",
    "parse",
    "not_found",
    "io",
    "file",
    "content",
    "unknown",
]


MAX_RETRY_AFTER = 86400.0
"""A server's Retry-After beyond this (seconds) is treated as this: a broken
header must not mute a source for weeks. The poller and every message about
the next try use the same figure."""


class SourceError(Exception):
    """A failure the user can act on.

    Args:
        message: plain words for the source-health screen; any registered
            secret in it (or in ``title``) is masked here, at the root.
        title: a few words for a badge or toast.
        kind: the class of failure, used for wording and back-off policy.
        retryable: False when polling again will not help (bad credentials,
            sheet not shared, bad config): the poller then backs off hard.
        retry_after: seconds the server asked us to wait, if it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        title: str = "source failed",
        kind: ErrorKind = "unknown",
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        message, title = redact(message), redact(title)  # whatever a server echoed
        super().__init__(message)
        self.message = message
        self.title = title
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after


class TimerNotRunning(SourceError):
    """Raised by ``stop_timer`` when the worker has no running timer."""

    def __init__(self, message: str = "no timer is running") -> None:
        super().__init__(message, title="nothing running", kind="not_found", retryable=False)


@dataclass(frozen=True, slots=True)
class StopResult:
    """What ``stop_timer`` did: the entry it stopped and when."""

    entry_key: str
    stopped_at: datetime
    task: str = ""


class Source(ABC):
    """Base class for sources.

    Subclasses set ``type_name`` (the ``type = ...`` in config and the entry
    point name), ``options``, ``default_interval`` (seconds) and capability
    flags, and implement ``fetch``. The constructor receives the validated
    options, with defaults filled in.

    Capabilities are class variables, each with the method it promises:
    ``can_stop_timer`` (``stop_timer``) and ``can_wait_for_change``
    (``wait_for_change``, e.g. IMAP IDLE, used when ``wants_watching()``).
    """

    type_name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    options: ClassVar[tuple[Option, ...]] = ()
    default_interval: ClassVar[float] = 60.0
    can_stop_timer: ClassVar[bool] = False
    can_wait_for_change: ClassVar[bool] = False

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.config = dict(options)

    @abstractmethod
    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        """Poll once.

        Args:
            cursor: what the previous successful fetch returned as ``cursor``
                (empty on first run); lets sources fetch only what is new.
            now: the injected clock's current time (UTC).
        Returns:
            The observations and the next cursor.
        Raises:
            SourceError: on any failure, with plain words for the user.
        """

    def stop_timer(self, who: str, now: datetime) -> StopResult:
        """Stop ``who``'s running timer (``who`` as this source names them).

        Raises:
            SourceError: when the source cannot stop timers or the call fails.
            TimerNotRunning: when nothing is running.
        """
        raise SourceError(
            f"{self.type_name} cannot stop timers",
            title="not supported",
            kind="config",
            retryable=False,
        )

    def wants_watching(self) -> bool:
        """True when this source was asked to wake its caller on news (``idle = true``)."""
        return False

    def wait_for_change(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True as soon as something new arrived.

        Raises:
            SourceError: when the source cannot wait for news, or the wait fails.
        """
        raise SourceError(
            f"{self.type_name} cannot wait for changes",
            title="not supported",
            kind="config",
            retryable=False,
        )

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections; called when the poller stops."""

    def secret(self, option: str) -> str:
        """Read the secret named by the ``<option>`` env-var option.

        Raises SourceError (auth, not retryable) naming the variable, never the
        value, when it is unset. ``<name>_keyring = "service/username"`` in
        place of ``<name>_env`` reads the secret from the system keyring.
        """
        var = self.config.get(option)
        ref = None if var else self.config.get(option.removesuffix("_env") + "_keyring")
        if ref:
            return _keyring_secret(self.name, option, str(ref))
        if not var:
            raise SourceError(
                f"{self.name}: no {option} configured",
                title="no credentials",
                kind="config",
                retryable=False,
            )
        if looks_like_secret(str(var)):
            raise SourceError(
                f"{self.name}: {option} must name an environment variable, but its value "
                "looks like a secret (not shown); put the secret in a variable and name that",
                title="bad config",
                kind="config",
                retryable=False,
            )
        value = register(os.environ.get(str(var)))
        if not value:
            raise SourceError(
                f"{self.name}: environment variable {var} (from {option}) {_IS_UNSET}",
                title="no credentials",
                kind="auth",
                retryable=False,
            )
        return value


_IS_UNSET = "is not set"
_UNSET_VARIABLE = re.compile(
    rf"environment variable ([A-Za-z_][A-Za-z0-9_]*) \(from \w+\) {_IS_UNSET}"
)


def unset_variable(error: SourceError) -> str | None:
    """The variable ``Source.secret`` found unset, read back from its message.

    The message is all that survives in the cache, so the advice (which must
    name the variable, not blame the server) is derived from it.
    """
    found = _UNSET_VARIABLE.search(error.message) if error.kind == "auth" else None
    return found.group(1) if found else None


def _keyring_secret(source: str, option: str, ref: str) -> str:
    """Look up ``service/username`` in the system keyring (never logs the value)."""
    service, _, username = ref.partition("/")
    try:
        import keyring  # imported here: it is slow to import and rarely used

        value = register(keyring.get_password(service, username))
    except Exception as exc:  # no backend, locked keyring, D-Bus trouble
        raise SourceError(
            f"{source}: cannot read {ref} from the system keyring: {type(exc).__name__}",
            title="no credentials",
            kind="auth",
            retryable=False,
        ) from exc
    if not value:
        keyref = option.removesuffix("_env") + "_keyring"
        raise SourceError(
            f"{source}: the system keyring has no secret for {ref} (from {keyref})",
            title="no credentials",
            kind="auth",
            retryable=False,
        )
    return value
