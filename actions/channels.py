"""Deliver a message to a worker through apprise: email and instant messaging.

One ``Apprise`` object per URL so each channel has its own result and its own
error text. Secrets are only ever added to a URL here, at send time, and
scrubbed out of every error before it leaves this module:

- email: ``[nudge] email`` (an apprise ``mailto://``/``mailtos://`` URL) with
  the worker's roster email as the only recipient; the SMTP password comes
  from the variable named by ``email_password_env``.
- IM: the roster's ``im`` URL. Because a roster is often a shared sheet,
  tokens are referenced, not written: ``${FARWATCH_IM_...}`` in the URL is
  replaced from the environment (only variables with that prefix, so a
  hostile roster cannot send another secret to its own webhook).

Connect/read timeouts default to 10 s unless the URL sets ``cto``/``rto``,
and the whole call is capped, so a dead server fails in bounded time.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import apprise

from farwatch.state.audit import scrub_text
from farwatch.state.settings import NudgeSettings
from farwatch.state.status import WorkerStatus

ChannelKind = Literal["email", "im"]

DEFAULT_TIMEOUT = 10.0
CALL_TIMEOUT = 45.0
IM_ENV_PREFIX = "FARWATCH_IM_"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ONE_ADDRESS = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")


class ChannelError(Exception):
    """A channel cannot be built (bad URL, missing secret, bad address)."""


@dataclass(frozen=True, slots=True)
class Channel:
    """One way to reach one worker. ``url`` may hold roster tokens: never log it."""

    kind: ChannelKind
    target: str
    """What the owner sees: an address, or the scrubbed URL."""
    url: str
    problem: str = ""
    """Why this channel cannot be used (it is then reported, not sent)."""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.target}"


@dataclass(frozen=True, slots=True)
class ChannelResult:
    channel: ChannelKind
    target: str
    ok: bool
    error: str = ""
    elapsed: float = 0.0


def _with_timeouts(url: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("cto", str(DEFAULT_TIMEOUT))
    query.setdefault("rto", str(DEFAULT_TIMEOUT))
    return urlunsplit(parts._replace(query=urlencode(query)))


def email_channel(nudge: NudgeSettings, status: WorkerStatus) -> Channel | None:
    """The email channel for ``status``, or None when none is configured."""
    if not nudge.email:
        return None
    address = status.email.strip()
    if not address:
        return Channel("email", "(no email in the roster)", "", "no email address in the roster")
    if not _ONE_ADDRESS.match(address):
        return Channel("email", "(bad address)", "", "the roster email is not a single address")
    try:
        parts = urlsplit(nudge.email)
        if parts.scheme not in ("mailto", "mailtos"):
            raise ValueError
    except ValueError:
        return Channel(
            "email", address, "", "[nudge] email must be an apprise mailto:// or mailtos:// URL"
        )
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "to"]
    query.append(("to", address))
    url = urlunsplit(parts._replace(path="", query=urlencode(query)))
    return Channel("email", address, url)


def im_channel(status: WorkerStatus) -> Channel | None:
    """The IM channel from the roster's ``im`` URL, or None when it is empty."""
    url = status.im.strip()
    if not url:
        return None
    target = scrub_text(url)
    if "://" not in url:
        return Channel("im", target, "", "the roster im value is not an apprise URL")
    return Channel("im", target, url)


def channels_for(nudge: NudgeSettings, status: WorkerStatus) -> list[Channel]:
    found = [email_channel(nudge, status), im_channel(status)]
    return [c for c in found if c is not None]


def _secret_url(channel: Channel, nudge: NudgeSettings) -> tuple[str, list[str]]:
    """The URL with secrets filled in, and the secrets (to scrub from errors)."""
    secrets: list[str] = []
    url = channel.url
    if channel.kind == "email" and nudge.email_password_env:
        var = nudge.email_password_env
        password = os.environ.get(var)
        if not password:
            raise ChannelError(f"environment variable {var} (email_password_env) is not set")
        parts = urlsplit(url)
        if not parts.username:
            raise ChannelError("[nudge] email URL has no user name to log in with")
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{quote(parts.username, safe='')}:{quote(password, safe='')}@{host}"
        if parts.port:
            netloc += f":{parts.port}"
        url = urlunsplit(parts._replace(netloc=netloc))
        secrets += [password, quote(password, safe="")]
    if channel.kind == "im":

        def fill(match: re.Match[str]) -> str:
            var = match.group(1)
            if not var.startswith(IM_ENV_PREFIX):
                raise ChannelError(
                    f"the im URL may only reference variables starting with {IM_ENV_PREFIX}"
                    f" (not {var})"
                )
            value = os.environ.get(var)
            if not value:
                raise ChannelError(f"environment variable {var} (in the im URL) is not set")
            secrets.append(value)
            return value

        url = _ENV_REF.sub(fill, url)
    parts = urlsplit(url)
    if parts.password:
        secrets.append(parts.password)
    return _with_timeouts(url), secrets


def scrub_error(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return str(scrub_text(text)).strip()


def _reason(result: object, fallback: str) -> str:
    """The warning/error lines apprise logged for this call."""
    lines: list[str] = []
    logs = getattr(result, "logs", None)
    if callable(logs):
        for entry in logs():
            level = str(getattr(entry, "level", ""))
            message = str(getattr(entry, "message", "")).strip()
            if level in ("WARNING", "ERROR", "CRITICAL") and message and message not in lines:
                lines.append(message)
    return "; ".join(lines) or fallback


class _ScrubSecrets(logging.Filter):
    """Hide secrets in log records written while sending (apprise and urllib3 log a
    URL's token path at DEBUG)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub_error(message, self.secrets) if self.secrets else message
        if clean != message:
            record.msg, record.args = clean, None
        return True


_SENDING_LOGGERS = ("apprise", "urllib3.connectionpool")
"""Loggers that write a URL's path (where IM tokens live) while a message is sent."""


@contextmanager
def _scrubbed_logs(secrets: list[str]) -> Iterator[None]:
    scrubber = _ScrubSecrets(secrets)
    loggers = [logging.getLogger(name) for name in _SENDING_LOGGERS]
    for logger in loggers:
        logger.addFilter(scrubber)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(scrubber)


def send(channel: Channel, subject: str, body: str, nudge: NudgeSettings) -> ChannelResult:
    """Send on one channel; never raises, the result says what happened."""
    start = time.monotonic()
    if channel.problem:
        return ChannelResult(channel.kind, channel.target, False, channel.problem)
    secrets: list[str] = []
    try:
        url, secrets = _secret_url(channel, nudge)
        with _scrubbed_logs(secrets):
            asset = apprise.AppriseAsset(storage_mode="memory")
            sender = apprise.Apprise(asset=asset)
            if not sender.add(url):
                raise ChannelError(f"apprise does not understand the {channel.kind} URL")
            result = sender.notify(
                body=body,
                title=subject,
                body_format=apprise.NotifyFormat.TEXT,
                timeout=CALL_TIMEOUT,
                log_level=logging.WARNING,
            )
        ok = bool(result)
        error = "" if ok else _reason(result, f"the {channel.kind} server refused the message")
    except ChannelError as exc:
        ok, error = False, str(exc)
    except Exception as exc:  # apprise plugins raise all sorts; the owner needs words
        ok, error = False, f"{type(exc).__name__}: {exc}"
    return ChannelResult(
        channel.kind,
        channel.target,
        ok,
        scrub_error(error, secrets),
        time.monotonic() - start,
    )
