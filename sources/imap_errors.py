"""IMAP failures in plain words, with nothing the server said copied unmasked.

A server's NO/BAD text may repeat the password it was sent (some echo the
LOGIN line), so any server text is masked in every form the password can
take on the wire before it is cut; a response farwatch could not parse is
named, never copied (it may be a page of someone's mail headers).
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Sequence

from imapclient.exceptions import IMAPClientError, LoginError, ProtocolError

from farwatch.sources.base import SourceError
from farwatch.sources.imap_wire import masked

SERVER_TEXT = 120
"""Characters of a server's own error text shown, after masking."""


def imap_error(
    source: str,
    host: str,
    port: int,
    username: str,
    timeout: float,
    exc: BaseException,
    secrets: Sequence[str],
) -> SourceError:
    """The ``SourceError`` an owner should read for ``exc``."""
    where = f"{host}:{port}"
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, LoginError):
        return SourceError(
            f"{source}: login failed for {username} on {host} "
            "(the server rejected the user name or password)",
            title="login failed",
            kind="auth",
            retryable=False,
        )
    if isinstance(exc, socket.gaierror):
        return SourceError(
            f"{source}: could not find host {host} — check the host name",
            title="host not found",
            kind="dns",
        )
    if isinstance(exc, ConnectionRefusedError):
        return SourceError(
            f"{source}: {where} refused the connection", title="refused", kind="refused"
        )
    if isinstance(exc, socket.timeout | TimeoutError):
        return SourceError(
            f"{source}: {where} did not answer within {timeout:g} s",
            title="timed out",
            kind="timeout",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SourceError(
            f"{source}: the TLS certificate of {host} could not be verified "
            f"({exc.verify_message or 'verify failed'})",
            title="TLS failed",
            kind="tls",
            retryable=False,
        )
    if isinstance(exc, ssl.SSLError):
        return SourceError(
            f"{source}: TLS with {where} failed ({exc.reason or 'error'})",
            title="TLS failed",
            kind="tls",
        )
    if isinstance(exc, imaplib.IMAP4.abort | ConnectionError | EOFError):
        return SourceError(
            f"{source}: the connection to {where} was lost", title="connection lost", kind="io"
        )
    if isinstance(exc, ProtocolError | ValueError | TypeError | RecursionError):
        return SourceError(
            f"{source}: {where} sent an answer farwatch could not read ({type(exc).__name__})",
            title="IMAP error",
            kind="protocol",
        )
    if isinstance(exc, IMAPClientError | imaplib.IMAP4.error):
        return SourceError(
            f"{source}: the IMAP server answered an error: "
            f"{masked(str(exc), secrets, SERVER_TEXT)}",
            title="IMAP error",
            kind="protocol",
        )
    if isinstance(exc, OSError):
        detail = masked(str(exc.strerror or exc), secrets, SERVER_TEXT)
        return SourceError(
            f"{source}: network error talking to {where} ({detail})",
            title="network error",
            kind="io",
        )
    return SourceError(
        f"{source}: unexpected failure ({type(exc).__name__})", title="failed", kind="unknown"
    )
