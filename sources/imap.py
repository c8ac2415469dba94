"""``imap`` source: check-ins from a mailbox folder, read incrementally.

Each poll opens the folder read-only (EXAMINE), asks only for UIDs above the
last one seen, and fetches the header fields farwatch reads plus the first
2 KB of the first text part with ``BODY.PEEK`` — mail is never marked read and
attachments are never downloaded (``imap_read``). The cursor keeps
``{folder: {uidvalidity, last_uid}}`` and moves only over UIDs actually
fetched, never past UIDNEXT; answers that cannot be true (a UID at or past
UIDNEXT, UIDs going backwards) are warnings, not cursor moves. When the
server's UIDVALIDITY changes the folder is read again within the lookback;
check-in keys are Message-IDs (else a digest of sender, date and subject), so
nothing is duplicated, and a folder whose UIDVALIDITY keeps changing is read
again only from the day before the last poll.

Connections: one per thread, kept open between polls (``threading.local``), so
a poll with no new mail costs one EXAMINE round trip. A dropped connection is
reopened once within the same poll. ``wait_for_change`` (IMAP IDLE, when the
``idle`` option is on and the server offers it) lets the caller wake as soon as
mail arrives instead of waiting for the next interval.
"""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import logging
import socket
import ssl
import threading
import time
from datetime import datetime
from typing import Any, ClassVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import SocketTimeout

from farwatch.sources.base import Option, Source, SourceError
from farwatch.sources.imap_errors import SERVER_TEXT, imap_error
from farwatch.sources.imap_idle import ReconnectGate, exists_grew
from farwatch.sources.imap_read import LITERAL_BYTES
from farwatch.sources.imap_sync import MESSAGES_PER_POLL, FolderSync
from farwatch.sources.imap_wire import (
    LiteralCap,
    as_int,
    check_credentials,
    check_host,
    login,
    masked,
)
from farwatch.sources.model import Cursor, FetchResult
from farwatch.sources.netopts import as_bool, as_seconds, option_value

log = logging.getLogger(__name__)


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
    per_poll: ClassVar[int] = MESSAGES_PER_POLL
    """Messages one poll reads at most (see ``imap_sync``)."""
    options: ClassVar[tuple[Option, ...]] = (
        Option("host", "host", required=True, help="IMAP server host name"),
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
        self._sync = FolderSync(
            name, self.account, self.folder, self.lookback, self.batch_size, self.per_poll
        )
        self._gate = ReconnectGate()
        self._caps: dict[int, LiteralCap] = {}
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
        check_host(self.name, self.host)
        password = self.secret("password_env")
        check_credentials(self.name, self.username, password)
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
            self._caps[id(client)] = LiteralCap(LITERAL_BYTES)
            self._caps[id(client)].install(client)
            if self.tls == "starttls":
                self._starttls(client, context)
            login(client, self.username, password)
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

    def _starttls(self, client: IMAPClient, context: ssl.SSLContext | None) -> None:
        """STARTTLS or nothing: a server that lacks or refuses it never sees the password."""
        if not client.has_capability("STARTTLS"):
            raise SourceError(
                f"{self.name}: {self.host}:{self.port} does not offer STARTTLS; "
                'use tls = "ssl" (port 993)',
                title="no STARTTLS",
                kind="tls",
                retryable=False,
            )
        try:
            client.starttls(context)
        except (IMAPClientError, imaplib.IMAP4.error) as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
            raise SourceError(
                f"{self.name}: {self.host}:{self.port} refused STARTTLS "
                f"({masked(str(exc), [], SERVER_TEXT)}); nothing was sent in the clear",
                title="STARTTLS refused",
                kind="tls",
                retryable=False,
            ) from None

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
        """Close every connection without ever waiting on a busy one.

        A connection another thread is using (a poll stuck on a trickling
        server, an IDLE) is cut at the socket, which also ends that thread's
        wait; only idle connections get a LOGOUT, with a short timeout.
        """
        self._closed.set()
        with self._lock:
            clients, self._clients = self._clients, []
            owners, self._owners = dict(self._owners), {}
        for client in clients:
            owner = owners.get(id(client))
            if owner is not None and owner.is_alive() and owner is not threading.current_thread():
                _abandon(client)
                continue
            try:
                client.socket().settimeout(min(self.timeout, 2.0))
                client.logout()
            except Exception:  # closing must never raise
                _abandon(client)

    # --------------------------------------------------------------- errors
    def _error(self, exc: Exception) -> SourceError:
        return imap_error(
            self.name, self.host, self.port, self.username, self.timeout, exc, self._secrets()
        )

    def _secrets(self) -> list[str]:
        try:
            return [self.secret("password_env")]
        except SourceError:
            return []

    # ----------------------------------------------------------------- fetch
    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        for attempt in (1, 2):
            result = FetchResult()
            if self._plain_warning:
                result.warn(self._plain_warning)
            reused = getattr(self._local, "client", None) is not None or self._adopt()
            try:
                client = self._client()
                cap = self._caps.get(id(client))
                if cap is not None:
                    cap.cut.clear()
                info = self._examine(client)
                self._sync.poll(client, info, cursor, now, result)
                if cap is not None and cap.cut:
                    result.warn(
                        f"{self.name}: the server sent {len(cap.cut)} answer(s) larger than "
                        f"{cap.limit // 1024} KB (up to {max(cap.cut):,} bytes); only the "
                        f"first {cap.limit // 1024} KB of each was kept"
                    )
                return result
            except SourceError:
                self._drop()
                raise
            except Exception as exc:
                self._drop()
                err = self._error(exc)
                # the server may have closed a kept-open connection: reconnect once
                # (not when the source was closed under this poll: it was abandoned)
                retry = reused and attempt == 1 and not self._closed.is_set()
                if not (retry and err.kind in ("io", "protocol")):
                    raise err from None
        raise AssertionError("unreachable")

    def _examine(self, client: IMAPClient) -> dict[bytes, Any]:
        try:
            info: dict[bytes, Any] = client.select_folder(self.folder, readonly=True)
        except IMAPClientError as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
            text = masked(str(exc), self._secrets(), SERVER_TEXT)
            raise SourceError(
                f"{self.name}: cannot open folder {self.folder!r} on {self.host}: {text}",
                title="no such folder",
                kind="not_found",
                retryable=False,
            ) from None
        return info

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
        """Block up to ``timeout`` s; True as soon as the folder holds more mail.

        Without IDLE (option off or server lacks it) this just waits ``timeout``
        seconds and returns False, so a caller's loop degrades to polling. Uses
        this thread's own connection and keeps it across wake-ups; reconnecting
        is rate-limited (``ReconnectGate``), so a server that drops every IDLE
        costs a few logins a minute, not hundreds.
        """
        if not self.idle:
            self._closed.wait(timeout)
            return False
        if getattr(self._local, "client", None) is None:
            wait = self._gate.wait_needed()
            if wait > 0:
                self._closed.wait(min(timeout, wait))
                return False
            self._gate.attempted()
        try:
            if not self.idle_supported():
                self._closed.wait(timeout)
                return False
            client = self._client()
            known = getattr(self._local, "exists", None)
            if known is None:
                known = as_int(self._examine(client).get(b"EXISTS"))
            client.idle()
            woke, known = self._idle_loop(client, timeout, known)
            _text, responses = client.idle_done()
            grew, known = exists_grew(responses, known)
            self._local.exists = known
        except Exception as exc:
            self._local.exists = None
            self._drop()
            self._gate.failed()
            raise self._error(exc) from None
        self._gate.succeeded()
        return woke or grew

    def _idle_loop(self, client: IMAPClient, timeout: float, known: int) -> tuple[bool, int]:
        deadline = time.monotonic() + timeout
        while not self._closed.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            grew, known = exists_grew(client.idle_check(timeout=min(left, 1.0)), known)
            if grew:
                return True, known
        return False, known


def _abandon(client: IMAPClient) -> None:
    """Cut the socket first (wakes a thread blocked reading it), then release the rest."""
    with contextlib.suppress(Exception):
        client.socket().shutdown(socket.SHUT_RDWR)
    _quietly_shutdown(client)


def _quietly_shutdown(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # the socket may already be gone
        client.shutdown()
