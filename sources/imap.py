"""``imap`` source: check-ins from a mailbox folder, read incrementally.

Each poll opens the folder read-only (EXAMINE), asks only for UIDs above the
last one seen, and fetches headers plus the first 2 KB of the first text part
with ``BODY.PEEK`` — mail is never marked read and attachments are never
downloaded. The cursor keeps ``{folder: {uidvalidity, last_uid}}``; when the
server's UIDVALIDITY changes (the folder was recreated or rebuilt) the folder is
read again from scratch, and check-in keys are Message-IDs, so nothing is
duplicated.

Connections: one per thread, kept open between polls (``threading.local``), so
a poll with no new mail costs one EXAMINE round trip. A dropped connection is
reopened once within the same poll. ``wait_for_change`` (IMAP IDLE, when the
``idle`` option is on and the server offers it) lets the caller wake as soon as
mail arrives instead of waiting for the next interval.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.imapclient import SocketTimeout

from farwatch.sources import mailparse
from farwatch.sources.base import Option, Source, SourceError
from farwatch.sources.imap_mime import TextPart, first_text_part, synthetic_message
from farwatch.sources.model import CheckIn, Cursor, FetchResult
from farwatch.sources.netopts import as_bool, as_seconds, option_value

log = logging.getLogger(__name__)

PREVIEW_BYTES = 2048


def is_loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ImapSource(Source):
    """Check-ins from an IMAP folder (TLS verified by default)."""

    type_name: ClassVar[str] = "imap"
    description: ClassVar[str] = "check-in emails from an IMAP mailbox folder"
    default_interval: ClassVar[float] = 120.0
    can_wait_for_change: ClassVar[bool] = True
    batch_size: ClassVar[int] = 200
    options: ClassVar[tuple[Option, ...]] = (
        Option("host", "str", required=True, help="IMAP server host name"),
        Option("port", "int", help="default 993 for tls=ssl, 143 otherwise"),
        Option("username", "str", required=True, help="mailbox login"),
        Option("password_env", "env", required=True, help="environment variable with the password"),
        Option("folder", "str", default="INBOX", help="folder workers send check-ins to"),
        Option(
            "tls",
            "choice",
            default="ssl",
            choices=("ssl", "starttls", "none"),
            help="ssl (port 993), starttls, or none (plain text; only if you mean it)",
        ),
        Option("ca_file", "path", help="CA certificate to trust (self-signed servers)"),
        Option("timeout", "duration", default=30.0, help="connect and read timeout"),
        Option(
            "lookback", "duration", default=14 * 86400.0, help="how far back the first sync reads"
        ),
        Option("idle", "bool", default=False, help="use IMAP IDLE to see mail within seconds"),
    )

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__(name, options)
        opt = self._opt
        self.host: str = str(opt("host") or "")
        self.tls: str = str(opt("tls") or "ssl").lower()
        if self.tls not in ("ssl", "starttls", "none"):
            raise SourceError(
                f"{name}: tls must be ssl, starttls or none, got {self.tls!r}",
                title="bad option",
                kind="config",
                retryable=False,
            )
        port = opt("port")
        self.port: int = int(port) if port else (993 if self.tls == "ssl" else 143)
        self.username: str = str(opt("username") or "")
        self.folder: str = str(opt("folder") or "INBOX")
        self.ca_file: str | None = str(opt("ca_file")) if opt("ca_file") else None
        self.timeout: float = as_seconds(opt("timeout"), name="timeout", source=name)
        self.lookback: float = as_seconds(opt("lookback"), name="lookback", source=name)
        self.idle: bool = as_bool(opt("idle"))
        self._local = threading.local()
        self._lock = threading.Lock()
        self._clients: list[IMAPClient] = []
        self._owners: dict[int, threading.Thread] = {}
        self._closed = threading.Event()
        self._plain_warning = ""
        if self.tls == "none" and not is_loopback(self.host):
            self._plain_warning = (
                f'{name}: tls = "none": the password and every message travel UNENCRYPTED '
                f'to {self.host}; use tls = "ssl" or "starttls"'
            )
            log.warning("%s", self._plain_warning)

    def _opt(self, key: str) -> Any:
        return option_value(self.config, self.options, key)

    @property
    def account(self) -> str:
        return f"{self.username}@{self.host}:{self.port}"

    # ----------------------------------------------------------- connection
    def _ssl_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise SourceError(
                f"{self.name}: cannot read ca_file {self.ca_file}: {exc.strerror or exc}",
                title="bad ca_file",
                kind="config",
                retryable=False,
            ) from None

    def _connect(self) -> IMAPClient:
        password = self.secret("password_env")
        context = self._ssl_context() if self.tls != "none" else None
        timeout = SocketTimeout(connect=self.timeout, read=self.timeout)
        client: IMAPClient | None = None
        try:
            client = IMAPClient(
                self.host,
                port=self.port,
                ssl=self.tls == "ssl",
                ssl_context=context,
                timeout=timeout,
            )
            client.normalise_times = False
            if self.tls == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise SourceError(
                        f"{self.name}: {self.host}:{self.port} does not offer STARTTLS; "
                        'use tls = "ssl" (port 993)',
                        title="no STARTTLS",
                        kind="tls",
                        retryable=False,
                    )
                client.starttls(context)
            client.login(self.username, password)
        except BaseException as exc:
            if client is not None:
                _quietly_shutdown(client)
            if isinstance(exc, SourceError):
                raise
            if isinstance(exc, Exception):
                raise self._error(exc) from None
            raise
        with self._lock:
            self._clients.append(client)
            self._owners[id(client)] = threading.current_thread()
        return client

    def _client(self) -> IMAPClient:
        client: IMAPClient | None = getattr(self._local, "client", None)
        if client is None:
            client = self._connect()
            self._local.client = client
        return client

    def _adopt(self) -> bool:
        """Take over a connection whose thread has finished; True if one was found.

        The poller runs each fetch in a thread of its own, so without this every
        poll would open a new connection and leave the last one open until the
        server's per-user limit (dovecot: 10) refuses the login.
        """
        with self._lock:
            for client in self._clients:
                owner = self._owners.get(id(client))
                if owner is None or not owner.is_alive():
                    self._owners[id(client)] = threading.current_thread()
                    self._local.client = client
                    return True
        return False

    def _drop(self) -> None:
        client: IMAPClient | None = getattr(self._local, "client", None)
        self._local.client = None
        if client is not None:
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)
                self._owners.pop(id(client), None)
            _quietly_shutdown(client)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            clients, self._clients = self._clients, []
            self._owners.clear()
        for client in clients:
            try:
                client.logout()
            except Exception:  # closing must never raise
                _quietly_shutdown(client)

    # --------------------------------------------------------------- errors
    def _error(self, exc: Exception) -> SourceError:
        where = f"{self.host}:{self.port}"
        if isinstance(exc, SourceError):
            return exc
        if isinstance(exc, LoginError):
            return SourceError(
                f"{self.name}: login failed for {self.username} on {self.host} "
                "(the server rejected the user name or password)",
                title="login failed",
                kind="auth",
                retryable=False,
            )
        if isinstance(exc, socket.gaierror):
            return SourceError(
                f"{self.name}: could not find host {self.host} — check the host name",
                title="host not found",
                kind="dns",
            )
        if isinstance(exc, ConnectionRefusedError):
            return SourceError(
                f"{self.name}: {where} refused the connection", title="refused", kind="refused"
            )
        if isinstance(exc, socket.timeout | TimeoutError):
            return SourceError(
                f"{self.name}: {where} did not answer within {self.timeout:g} s",
                title="timed out",
                kind="timeout",
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            return SourceError(
                f"{self.name}: the TLS certificate of {self.host} could not be verified "
                f"({exc.verify_message or 'verify failed'})",
                title="TLS failed",
                kind="tls",
                retryable=False,
            )
        if isinstance(exc, ssl.SSLError):
            return SourceError(
                f"{self.name}: TLS with {where} failed ({exc.reason or 'error'})",
                title="TLS failed",
                kind="tls",
            )
        if isinstance(exc, imaplib.IMAP4.abort | ConnectionError | EOFError):
            return SourceError(
                f"{self.name}: the connection to {where} was lost",
                title="connection lost",
                kind="io",
            )
        if isinstance(exc, IMAPClientError | imaplib.IMAP4.error):
            text = str(exc)[:200].replace(self._password_or_blank(), "***")
            return SourceError(
                f"{self.name}: the IMAP server answered an error: {text}",
                title="IMAP error",
                kind="protocol",
            )
        if isinstance(exc, OSError):
            return SourceError(
                f"{self.name}: network error talking to {where} ({exc.strerror or exc})",
                title="network error",
                kind="io",
            )
        return SourceError(
            f"{self.name}: unexpected failure ({type(exc).__name__})",
            title="failed",
            kind="unknown",
        )

    def _password_or_blank(self) -> str:
        try:
            return self.secret("password_env") or "\x00"
        except SourceError:
            return "\x00"

    # ----------------------------------------------------------------- fetch
    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        for attempt in (1, 2):
            result = FetchResult()
            if self._plain_warning:
                result.warnings.append(self._plain_warning)
            reused = getattr(self._local, "client", None) is not None or self._adopt()
            try:
                self._poll(self._client(), cursor, now, result)
                return result
            except SourceError:
                self._drop()
                raise
            except Exception as exc:
                self._drop()
                err = self._error(exc)
                # the server may have closed a kept-open connection: reconnect once
                if not (reused and attempt == 1 and err.kind in ("io", "protocol")):
                    raise err from None
        raise AssertionError("unreachable")

    def _poll(self, client: IMAPClient, cursor: Cursor, now: datetime, result: FetchResult) -> None:
        info = self._examine(client)
        uidvalidity = int(info.get(b"UIDVALIDITY", 0) or 0)
        uidnext = int(info.get(b"UIDNEXT", 0) or 0)
        folders = dict(cursor.get("folders", {})) if cursor.get("account") == self.account else {}
        state = folders.get(self.folder) or {}
        last_uid = int(state.get("last_uid", 0) or 0)
        first_sync = not state
        if state and int(state.get("uidvalidity", -1)) != uidvalidity:
            result.warnings.append(
                f"{self.name}: folder {self.folder} was rebuilt on the server "
                "(UIDVALIDITY changed); re-reading it — check-ins are matched by "
                "Message-ID, so none are duplicated"
            )
            last_uid, first_sync = 0, True
        if uidnext and uidnext <= last_uid + 1:
            uids: list[int] = []  # nothing new: skip the SEARCH round trip
        elif first_sync:
            since = (now - timedelta(seconds=self.lookback)).date()
            uids = sorted(int(u) for u in client.search(["SINCE", since]))
        else:
            uids = sorted(int(u) for u in client.search(["UID", f"{last_uid + 1}:*"]))
        uids = [u for u in uids if u > last_uid]
        newest = max([last_uid, *uids])
        if first_sync and uidnext:
            newest = max(newest, uidnext - 1)
        for batch in _chunks(uids, self.batch_size):
            result.checkins.extend(self._fetch_batch(client, batch))
        folders[self.folder] = {"uidvalidity": uidvalidity, "last_uid": newest}
        result.cursor = {"account": self.account, "folders": folders}
        result.unchanged = not uids and not first_sync

    def _examine(self, client: IMAPClient) -> dict[bytes, Any]:
        try:
            info: dict[bytes, Any] = client.select_folder(self.folder, readonly=True)
        except IMAPClientError as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
            raise SourceError(
                f"{self.name}: cannot open folder {self.folder!r} on {self.host}: {str(exc)[:160]}",
                title="no such folder",
                kind="not_found",
                retryable=False,
            ) from None
        return info

    def _fetch_batch(self, client: IMAPClient, uids: list[int]) -> list[CheckIn]:
        meta = client.fetch(uids, [b"BODY.PEEK[HEADER]", b"INTERNALDATE", b"BODYSTRUCTURE"])
        parts: dict[int, TextPart | None] = {}
        by_section: dict[str, list[int]] = {}
        for uid, data in meta.items():
            part = first_text_part(data.get(b"BODYSTRUCTURE"))
            parts[uid] = part
            if part is not None:
                by_section.setdefault(part.section, []).append(uid)
        bodies: dict[int, bytes] = {}
        for section, members in by_section.items():
            item = f"BODY.PEEK[{section}]<0.{PREVIEW_BYTES}>".encode("ascii")
            prefix = f"BODY[{section}]".encode("ascii")
            for uid, data in client.fetch(members, [item]).items():
                for key, value in data.items():
                    if (
                        isinstance(key, bytes)
                        and key.startswith(prefix)
                        and isinstance(value, bytes)
                    ):
                        bodies[uid] = value
        checkins: list[CheckIn] = []
        for uid in uids:
            data = meta.get(uid)
            if data is None:
                continue
            checkin = self._parse(data, parts.get(uid), bodies.get(uid, b""))
            if checkin is not None:
                checkins.append(checkin)
        return checkins

    def _parse(self, data: dict[bytes, Any], part: TextPart | None, body: bytes) -> CheckIn | None:
        headers = data.get(b"BODY[HEADER]") or b""
        if not isinstance(headers, bytes):
            return None
        received = data.get(b"INTERNALDATE")
        received_at = None
        if isinstance(received, datetime):
            received_at = (
                received if received.tzinfo else received.replace(tzinfo=UTC)
            ).astimezone(UTC)
        fallback = "imap:" + hashlib.sha256(headers).hexdigest()[:24]
        # A part we cannot read costs its first line, not the check-in: retry headers-only.
        for candidate in (part, None) if part is not None else (None,):
            try:
                raw = synthetic_message(headers, candidate, body if candidate else b"")
                parsed: CheckIn | None = mailparse.parse_checkin(
                    raw, received_at=received_at, fallback_key=fallback
                )
            except Exception as exc:  # one broken message must not stop the poll
                log.info(
                    "%s: could not read a message%s (%s)",
                    self.name,
                    "'s text part" if candidate else "",
                    type(exc).__name__,
                )
                continue
            return parsed
        return None

    # ------------------------------------------------------------------ IDLE
    def idle_supported(self) -> bool:
        """True when ``idle`` is on and the server advertises IDLE."""
        if not self.idle:
            return False
        try:
            return bool(self._client().has_capability("IDLE"))
        except Exception as exc:
            self._drop()
            raise self._error(exc) from None

    def wants_watching(self) -> bool:
        return self.idle

    def wait_for_change(self, timeout: float) -> bool:
        """Block up to ``timeout`` s; True as soon as new mail arrives.

        Without IDLE (option off or server lacks it) this just waits ``timeout``
        seconds and returns False, so a caller's loop degrades to polling.
        Uses this thread's own connection.
        """
        if not self.idle_supported():
            self._closed.wait(timeout)
            return False
        client = self._client()
        try:
            self._examine(client)
            client.idle()
            woke = self._idle_loop(client, timeout)
        except SourceError:
            raise
        except Exception as exc:
            self._drop()
            raise self._error(exc) from None
        if woke:
            # mail came with untagged lines we did not wait to read in full (some
            # servers split them); a fresh connection for the next poll is cheaper
            # than guessing what is left in the buffer
            self._drop()
            return True
        try:
            client.idle_done()
        except Exception:
            self._drop()
        return False

    def _idle_loop(self, client: IMAPClient, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._closed.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            for response in client.idle_check(timeout=min(left, 1.0)):
                if (
                    isinstance(response, tuple)
                    and len(response) > 1
                    and response[1]
                    in (
                        b"EXISTS",
                        b"RECENT",
                    )
                ):
                    return True
        return False


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _quietly_shutdown(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # the socket may already be gone
        client.shutdown()
