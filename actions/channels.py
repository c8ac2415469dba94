"""Deliver a message to a worker through apprise: email and instant messaging.

One ``Apprise`` object per URL so each channel has its own result and its own
error text. Secrets are only ever added to a URL here, at send time, and
scrubbed out of every error before it leaves this module:

- email: ``[nudge] email`` (an apprise ``mailto://``/``mailtos://`` URL) with
  the worker's roster email as the only recipient; the SMTP password comes
  from the variable named by ``email_password_env``.
- IM: a channel the owner configured, ``[nudge.im.NAME]`` with an apprise
  ``url`` template and ``x_env`` secrets; the roster's ``im`` cell only says
  ``NAME:recipient`` (``farwatch.sources.imref``). A roster is often a shared
  sheet, so a cell can neither reach the owner's secrets nor pick a host: a
  URL or ``${...}`` in it, or an unknown channel name, is refused and nothing
  is sent.

Every secret read here is registered with the redactor, and every error,
subject and body passes it before it leaves this module.

Connect/read timeouts default to 10 s unless the URL sets ``cto``/``rto``,
and the whole call is capped, so a dead server fails in bounded time.
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import apprise

from farwatch.sources.imref import ImRefError, fill_channel_url, parse_im_ref
from farwatch.sources.redact import redact, register
from farwatch.state.audit import scrub_text
from farwatch.state.settings import NudgeSettings
from farwatch.state.status import WorkerStatus

ChannelKind = Literal["email", "im"]

DEFAULT_TIMEOUT = 10.0
CALL_TIMEOUT = 45.0
_ONE_ADDRESS = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")


class ChannelError(Exception):
    """A channel cannot be built (bad URL, missing secret, bad address)."""


@dataclass(frozen=True, slots=True)
class Channel:
    """One way to reach one worker. ``url`` may hold roster tokens: never log it."""

    kind: ChannelKind
    target: str
    """What the owner sees: an address, or ``channel:recipient``."""
    url: str
    problem: str = ""
    """Why this channel cannot be used (it is then reported, not sent)."""
    recipient: str = ""
    """For IM: who on the configured channel (from the roster)."""
    channel: str = ""
    """For IM: the configured channel's name."""

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


def email_channel(nudge: NudgeSettings, email: str) -> Channel | None:
    """The email channel to ``email`` (a roster cell), or None when none is configured."""
    if not nudge.email:
        return None
    address = email.strip()
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


def im_channel(nudge: NudgeSettings, im: str) -> Channel | None:
    """The IM channel named by an ``im`` cell (``NAME:recipient``), or None when empty."""
    try:
        ref = parse_im_ref(im)
    except ImRefError as exc:
        return Channel("im", "(refused roster im)", "", str(exc))
    if ref is None:
        return None
    name, recipient = ref
    target = f"{name}:{recipient}"
    configured = nudge.im.get(name)
    if configured is None:
        known = ", ".join(sorted(nudge.im)) or "none configured"
        return Channel(
            "im",
            target,
            "",
            f"the roster names IM channel {name}, which the config does not define "
            f"([nudge.im.{name}]; configured: {known}); refused, nothing sent",
        )
    return Channel("im", target, configured.url, recipient=recipient, channel=name)


def channels_for(nudge: NudgeSettings, status: WorkerStatus) -> list[Channel]:
    found = [email_channel(nudge, status.email), im_channel(nudge, status.im)]
    return [c for c in found if c is not None]


def _secret(var: str, why: str) -> str:
    value = register(os.environ.get(var))
    if not value:
        raise ChannelError(f"environment variable {var} ({why}) is not set")
    return value


def _secret_url(channel: Channel, nudge: NudgeSettings) -> str:
    """The URL with its secrets filled in (each registered with the redactor)."""
    url = channel.url
    if channel.kind == "email" and nudge.email_password_env:
        password = _secret(nudge.email_password_env, "email_password_env")
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
    if channel.kind == "im":
        configured = nudge.im[channel.channel]
        secrets = {
            name: _secret(var, f"{name}_env of [nudge.im.{channel.channel}]")
            for name, var in configured.secrets.items()
        }
        url = fill_channel_url(configured.url, channel.recipient, secrets)
    parts = urlsplit(url)
    if parts.password:
        register(unquote(parts.password))
    return _with_timeouts(url)


def scrub_error(text: str) -> str:
    return str(scrub_text(redact(text))).strip()


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


def send(channel: Channel, subject: str, body: str, nudge: NudgeSettings) -> ChannelResult:
    """Send on one channel; never raises, the result says what happened."""
    start = time.monotonic()
    if channel.problem:
        return ChannelResult(channel.kind, channel.target, False, channel.problem)
    try:
        url = _secret_url(channel, nudge)
        asset = apprise.AppriseAsset(storage_mode="memory")
        sender = apprise.Apprise(asset=asset)
        if not sender.add(url):
            raise ChannelError(f"apprise does not understand the {channel.kind} URL")
        result = sender.notify(
            body=redact(body),
            title=redact(subject),
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
        scrub_error(error),
        time.monotonic() - start,
    )
