"""Shared httpx plumbing for the time-tracker sources.

One place decides how an HTTP answer becomes a ``SourceError`` so every tracker
tells the owner the same thing for the same failure: 429 is a rate limit with
the server's ``Retry-After``; 401/403 are credentials (not retried); 5xx is the
vendor's problem; a connection that never got an answer is DNS, refused, TLS or
a timeout. Secrets travel only in request headers and are never part of an
error message or a log line: messages name the method, the path and the status.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import math
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from farwatch.sources.base import MAX_RETRY_AFTER, SourceError
from farwatch.sources.netopts import clean_text
from farwatch.sources.redact import register

log = logging.getLogger(__name__)

MAX_BYTES = 16 * 1024 * 1024
"""The largest answer read from a tracker (a full page is well under 4 MB)."""
REQUEST_BUDGET = 60
"""Requests one source may send in one poll (a normal poll sends 1-3, plus pages)."""
MAX_REDIRECTS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

Classifier = Callable[[httpx.Response], SourceError | None]
"""A per-API hook that may turn a response into a specific error first."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf" and "nan" parse as floats but say nothing usable
        return max(0.0, seconds) if math.isfinite(seconds) else None
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
    except (ValueError, RecursionError):  # RecursionError: nested past Python's stack
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
        hint = f"; retry after {min(wait, MAX_RETRY_AFTER):.0f} s" if wait is not None else ""
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
    """The one HTTP transport of the tracker and sheet sources.

    * Credentials (``credentials`` headers, Basic ``auth``) are attached only
      to requests whose scheme, host and port equal one of ``base_urls``; a
      request, pagination link or redirect to any other origin (https to http
      included) is refused with an error naming that origin, before anything
      is sent.
    * Same-origin redirects are followed (at most ``MAX_REDIRECTS``);
      ``redirect_ok`` may allow a few more (a sheet's documented download
      hosts), which never get credentials.
    * Every answer is read streamed and stops at ``max_bytes``.
    * Every request counts against ``budget`` per poll (``begin_poll``);
      ``requests`` counts every request ever sent.
    """

    def __init__(
        self,
        source: str,
        *,
        base_urls: Sequence[str],
        headers: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float = 20.0,
        connect_timeout: float | None = None,
        classify: Classifier | None = None,
        transport: httpx.BaseTransport | None = None,
        max_bytes: int = MAX_BYTES,
        budget: int = REQUEST_BUDGET,
        redirect_ok: Callable[[httpx.URL], bool] | None = None,
        on_failure: Callable[[httpx.HTTPError], SourceError] | None = None,
    ) -> None:
        self.source = source
        self.requests = 0
        self.max_bytes = max_bytes
        self.budget = budget
        self._poll_start = 0
        self._classify = classify
        self.origins = tuple(dict.fromkeys(origin_of(u) for u in base_urls if u))
        self._redirect_ok = redirect_ok
        self._on_failure = on_failure
        plain, secret = _split_headers(headers, credentials)
        if auth is not None:
            register(auth[0])
            register(auth[1] if auth[1] != "api_token" else None)
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            secret["Authorization"] = f"Basic {token}"
        for key, value in secret.items():
            if key.lower() != "harvest-account-id":  # an id: kept off other hosts, not masked
                register(value.split(" ", 1)[-1] if " " in value else value)
        self._credentials = secret
        self._client = httpx.Client(
            headers=plain,
            timeout=httpx.Timeout(timeout, connect=connect_timeout or min(timeout, 10.0)),
            follow_redirects=False,
            transport=transport,
        )

    # ------------------------------------------------------------ budget
    def begin_poll(self) -> None:
        """Start a new per-poll request budget."""
        self._poll_start = self.requests

    @property
    def used(self) -> int:
        """Requests sent since ``begin_poll``."""
        return self.requests - self._poll_start

    def _spend(self) -> None:
        if self.used >= self.budget:
            raise SourceError(
                f"{self.source}: used its budget of {self.budget} requests for one poll; "
                "the rest waits for the next poll (raise request_budget if this is normal)",
                title="request budget used",
                kind="protocol",
                retryable=True,
            )
        self.requests += 1

    # ------------------------------------------------------------ origins
    def check_origin(self, url: httpx.URL, *, via: str = "a link") -> None:
        """Refuse ``url`` unless it is on a configured origin (no credentials leave)."""
        origin = origin_of(url)
        if origin in self.origins:
            return
        raise self._foreign(origin, via)

    def _foreign(self, origin: str, via: str) -> SourceError:
        allowed = " or ".join(self.origins) or "no configured origin"
        host = _host_of(origin)
        downgrade = origin.startswith("http://") and any(
            o.startswith("https://") and _host_of(o) == host for o in self.origins
        )
        why = "a downgrade from https to http" if downgrade else f"not the API origin {allowed}"
        return SourceError(
            f"{self.source}: refused to follow {via} to {origin} ({why}); nothing was sent there",
            title="link to another host",
            kind="protocol",
            retryable=False,
        )

    def next_page(self, link: str, *, base: str | httpx.URL) -> str:
        """The absolute URL of a server's "next page" ``link`` (relative to ``base``).

        Raises:
            SourceError: the link is not a URL or leads to another origin.
        """
        try:
            url = httpx.URL(str(base)).join(link)
        except (httpx.InvalidURL, ValueError, TypeError):
            raise SourceError(
                f"{self.source}: the server sent a next-page link that is not a URL",
                title="bad response",
                kind="parse",
            ) from None
        self.check_origin(url, via="a next-page link")
        return str(url)

    # ------------------------------------------------------------ requests
    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        ok: tuple[int, ...] = (),
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; return the response if 2xx (or a status in ``ok``).

        Raises:
            SourceError: mapped from the status or the transport failure, or a
                refused origin, a used-up budget or an answer over ``max_bytes``.
        """
        response = self.send(method, url, params=params, json_body=json_body, headers=headers)
        if response.is_success or response.status_code in ok:
            return response
        err = (self._classify(response) if self._classify else None) or error_from_response(
            self.source, response
        )
        log.info(
            "%s: %s %s -> %s (%s)",
            self.source,
            method,
            response.request.url.path,
            response.status_code,
            err.kind,
        )
        raise err

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request and its same-origin redirects; the answer read whole (under the cap).

        ``response.history`` holds one entry per redirect followed.
        """
        target = httpx.URL(url, params=params) if params else httpx.URL(url)
        self.check_origin(target, via="a request")
        history: list[httpx.Response] = []
        while True:
            response = self._send_once(method, target, json_body, headers)
            if response.status_code not in _REDIRECTS or "location" not in response.headers:
                response.history = history
                return response
            history.append(response)
            if len(history) > MAX_REDIRECTS:
                raise SourceError(
                    f"{self.source}: redirects in a loop ({MAX_REDIRECTS}+ hops)",
                    title="too many redirects",
                    kind="protocol",
                )
            target = self._redirect_target(response)
            if response.status_code not in (307, 308):
                method, json_body = "GET", None

    def _redirect_target(self, response: httpx.Response) -> httpx.URL:
        try:
            target = response.url.join(response.headers.get("location", ""))
        except (httpx.InvalidURL, ValueError):
            raise SourceError(
                f"{self.source}: redirected to something that is not a URL",
                title="bad redirect",
                kind="protocol",
            ) from None
        origin = origin_of(target)
        if origin in self.origins:
            return target
        if self._redirect_ok is not None and self._redirect_ok(target):
            return target
        raise self._foreign(origin, "a redirect")

    def _send_once(
        self,
        method: str,
        url: httpx.URL,
        json_body: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        self._spend()
        extra = dict(headers or {})
        if origin_of(url) in self.origins:
            extra.update(self._credentials)
        try:
            with self._client.stream(method, url, json=json_body, headers=extra) as streamed:
                body = read_capped(streamed, self.max_bytes, self.source)
        except httpx.HTTPError as exc:
            err = (
                self._on_failure(exc)
                if self._on_failure is not None
                else error_from_exception(self.source, url.host or str(url), exc)
            )
            log.info("%s: %s %s failed: %s", self.source, method, url.path, err.kind)
            raise err from None
        kept = [
            (k, v)
            for k, v in streamed.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            streamed.status_code, headers=kept, content=body, request=streamed.request
        )

    def json(self, response: httpx.Response) -> Any:
        """Decode a JSON body or raise a ``parse`` error (never a crash)."""
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError):
            problem = "something that is not JSON"
        except RecursionError:
            problem = "JSON nested too deeply to read"
        raise SourceError(
            f"{self.source}: {response.request.method} {response.request.url.path} "
            f"answered with {problem}",
            title="bad response",
            kind="parse",
        )

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.json(self.request("GET", url, params=params))

    def close(self) -> None:
        self._client.close()


_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "x-api-key", "x-auth-token", "api-key", "harvest-account-id"}
)


def origin_of(url: str | httpx.URL) -> str:
    """``scheme://host:port`` of ``url``, with the scheme's default port made explicit."""
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    scheme = parsed.scheme.lower()
    port = parsed.port or {"http": 80, "https": 443}.get(scheme, 0)
    host = (parsed.host or "").lower()
    return f"{scheme}://{host}:{port}"


def _host_of(origin: str) -> str:
    """The host of a ``scheme://host:port`` origin."""
    return origin.split("://", 1)[-1].rsplit(":", 1)[0]


def read_capped(response: httpx.Response, limit: int, source: str) -> bytes:
    """Read a streamed answer, stopping as soon as it passes ``limit`` bytes.

    Raises:
        SourceError: (parse, retryable) when the answer is larger than ``limit``.
    """
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise SourceError(
                f"{source}: the answer to {response.request.method} {response.request.url.path} "
                f"is larger than {limit / (1024 * 1024):g} MB; not read",
                title="answer too large",
                kind="parse",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _split_headers(
    headers: Mapping[str, str] | None, credentials: Mapping[str, str] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Plain headers (every request) and credential headers (configured origins only)."""
    plain: dict[str, str] = {}
    secret = dict(credentials or {})
    for key, value in (headers or {}).items():
        (secret if key.lower() in _CREDENTIAL_HEADERS else plain)[key] = value
    return plain, secret


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
