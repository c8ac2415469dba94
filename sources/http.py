"""Shared httpx plumbing for the time-tracker sources.

One place decides how an HTTP answer becomes a ``SourceError`` so every tracker
tells the owner the same thing for the same failure: 429 is a rate limit with
the server's ``Retry-After``; 401/403 are credentials (not retried); 5xx is the
vendor's problem; a connection that never got an answer is DNS, refused, TLS or
a timeout. Secrets travel only in request headers and are never part of an
error message or a log line: messages name the method, the path and the status.
"""

from __future__ import annotations

import email.utils
import json
import logging
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from farwatch.sources.base import SourceError
from farwatch.sources.netopts import clean_text

log = logging.getLogger(__name__)

Classifier = Callable[[httpx.Response], SourceError | None]
"""A per-API hook that may turn a response into a specific error first."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _api_message(response: httpx.Response) -> str:
    """A short, cleaned message from an error body, if the API gave one."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        text = response.text if len(response.content) < 2000 else ""
        return clean_text(text, 160) if text and not text.lstrip().startswith("<") else ""
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "reason"):
            value = body.get(key)
            if isinstance(value, str):
                return str(clean_text(value, 160))
    if isinstance(body, str):
        return str(clean_text(body, 160))
    return ""


def error_from_response(source: str, response: httpx.Response) -> SourceError:
    """Map a non-2xx answer to a ``SourceError`` with plain words."""
    status = response.status_code
    where = f"{response.request.method} {response.request.url.path}"
    detail = _api_message(response)
    suffix = f": {detail}" if detail else ""
    if status == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        hint = f"; retry after {wait:.0f} s" if wait is not None else ""
        return SourceError(
            f"{source}: rate limited by the server ({where} answered 429{hint})",
            title="rate limited",
            kind="rate_limited",
            retryable=True,
            retry_after=wait,
        )
    if status in (401, 403):
        what = "rejected the API key" if status == 401 else "refused access (403)"
        return SourceError(
            f"{source}: the server {what} for {where}{suffix} — check the key and that it "
            "belongs to a workspace admin",
            title="auth failed",
            kind="auth",
            retryable=False,
        )
    if status == 404:
        return SourceError(
            f"{source}: {where} was not found (404){suffix} — check the workspace/account id",
            title="not found",
            kind="not_found",
            retryable=False,
        )
    if status >= 500:
        return SourceError(
            f"{source}: the server failed ({where} answered {status})",
            title="server error",
            kind="server",
            retryable=True,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    return SourceError(
        f"{source}: {where} answered {status}{suffix}",
        title=f"HTTP {status}",
        kind="protocol",
        retryable=status not in (400, 422),
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def error_from_exception(source: str, host: str, exc: Exception) -> SourceError:
    """Map a transport failure (no HTTP answer) to dns/refused/tls/timeout."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    lowered = text.lower()
    if isinstance(exc, httpx.TimeoutException) or any(
        isinstance(e, socket.timeout | TimeoutError) for e in chain
    ):
        return SourceError(
            f"{source}: {host} did not answer in time",
            title="timed out",
            kind="timeout",
        )
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        marker in lowered
        for marker in (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "temporary failure in name resolution",
            "no address associated",
        )
    ):
        return SourceError(
            f"{source}: could not find host {host} — check the host name",
            title="host not found",
            kind="dns",
        )
    if any(isinstance(e, ssl.SSLError) for e in chain) or "certificate" in lowered:
        return SourceError(
            f"{source}: TLS with {host} failed — the certificate could not be verified",
            title="TLS failed",
            kind="tls",
            retryable=False,
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in lowered:
        return SourceError(
            f"{source}: {host} refused the connection",
            title="refused",
            kind="refused",
        )
    return SourceError(
        f"{source}: connection to {host} failed ({type(exc).__name__})",
        title="connection failed",
        kind="io",
    )


class ApiClient:
    """An httpx client with timeouts, request counting and error mapping.

    ``requests`` counts every request sent (successful or not), so a source can
    report its per-poll cost and the benchmarks can prove it does not grow with
    the number of workers.
    """

    def __init__(
        self,
        source: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout: float = 20.0,
        connect_timeout: float | None = None,
        classify: Classifier | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self.requests = 0
        self._classify = classify
        self._secrets = _credentials(headers, auth)
        self._client = httpx.Client(
            headers=dict(headers or {}),
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=connect_timeout or min(timeout, 10.0)),
            follow_redirects=False,
            transport=transport,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send one request; return the response if 2xx (or a status in ``ok``).

        Raises:
            SourceError: mapped from the status or the transport failure.
        """
        self.requests += 1
        host = httpx.URL(url).host or url
        try:
            response = self._client.request(method, url, params=params, json=json_body)
        except httpx.HTTPError as exc:
            err = error_from_exception(self.source, host, exc)
            log.info("%s: %s %s failed: %s", self.source, method, httpx.URL(url).path, err.kind)
            raise err from None
        if response.is_success or response.status_code in ok:
            return response
        err = (self._classify(response) if self._classify else None) or error_from_response(
            self.source, response
        )
        err = self._scrub(err)
        log.info(
            "%s: %s %s -> %s (%s)",
            self.source,
            method,
            response.request.url.path,
            response.status_code,
            err.kind,
        )
        raise err

    def json(self, response: httpx.Response) -> Any:
        """Decode a JSON body or raise a ``parse`` error (never a crash)."""
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError):
            raise SourceError(
                f"{self.source}: {response.request.method} {response.request.url.path} "
                "answered with something that is not JSON",
                title="bad response",
                kind="parse",
            ) from None

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.json(self.request("GET", url, params=params))

    def close(self) -> None:
        self._client.close()

    def _scrub(self, err: SourceError) -> SourceError:
        """Hide our own credentials in an error (some APIs echo a bad key back)."""
        for secret in self._secrets:
            err.message = err.message.replace(secret, "***")
            err.title = err.title.replace(secret, "***")
        err.args = (err.message,)
        return err


_CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "x-auth-token", "api-key"})


def _credentials(
    headers: Mapping[str, str] | None, auth: httpx.Auth | tuple[str, str] | None
) -> list[str]:
    """The secret values this client sends, longest first (for scrubbing)."""
    found: set[str] = set()
    for key, value in (headers or {}).items():
        if key.lower() in _CREDENTIAL_HEADERS:
            found |= {value, value.split(" ", 1)[-1]}  # and the token of "Bearer <token>"
    if isinstance(auth, tuple):
        found |= {part for part in auth if part != "api_token"}
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def json_type(value: Any) -> str:
    """A decoded JSON value's type in JSON's own words ("an object", "null")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def expect(kind: type | tuple[type, ...], value: Any, source: str, what: str) -> Any:
    """Check a decoded JSON value's shape; a wrong shape is a parse error saying which."""
    if not isinstance(value, kind):
        wanted = " or ".join(json_type(k()) for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise SourceError(
            f"{source}: unexpected answer shape for {what}: expected {wanted}, "
            f"got {json_type(value)}",
            title="bad response",
            kind="parse",
        )
    return value
