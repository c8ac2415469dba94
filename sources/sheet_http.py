"""Download a roster sheet over HTTP(S): Google Sheets links, CSV URLs, errors.

A shared Google Sheet is the owner's usual roster, and the edit link they copy
from the browser is not the CSV: ``to_csv_url`` turns it into the export URL
(the tab from ``gid``). A private sheet answers with a sign-in page, which must
read as "sheet is not shared", not as a parse error. Conditional requests
(ETag / Last-Modified) make an unchanged sheet cost one small 304.

The URL of a link-shared sheet is itself the key to it, so error messages show
a shortened, redacted form (no userinfo, no query values, long ids cut).
"""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx

from farwatch.sources.base import SourceError
from farwatch.sources.http import ApiClient, parse_retry_after

MAX_BYTES = 10 * 1024 * 1024
"""A roster is a few KB; refuse to hold more than this in memory."""

_SHEET_ID = re.compile(r"/spreadsheets/d/([a-zA-Z0-9_-]+)")
_GID = re.compile(r"[?#&]gid=(\d+)")
_SAFE_QUERY = {"gid", "format", "output", "single", "usp", "tqx", "sheet", "headers"}
_SIGN_IN_HOSTS = ("accounts.google.com",)
USER_AGENT = "farwatch (roster sheet reader)"


def to_csv_url(url: str) -> str:
    """The CSV export URL for a Google Sheets edit/share link; other URLs unchanged.

    ``…/spreadsheets/d/{ID}/edit#gid=N`` (also ``?usp=sharing``,
    ``/edit?gid=N#gid=N``, ``/view``, bare ``/d/{ID}``) becomes
    ``https://docs.google.com/spreadsheets/d/{ID}/export?format=csv&gid=N``.
    Published links (``/d/e/2PACX…/pub?output=csv``), gviz and export URLs are
    left as they are: they already answer with CSV (or must be pasted as-is).
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # e.g. a broken IPv6 literal: download() says it is not a usable URL
        return url
    if host != "docs.google.com" or "/spreadsheets/d/" not in parts.path:
        return url
    if "/spreadsheets/d/e/" in parts.path:
        return url  # published-to-web: the 2PACX id cannot be turned into an export link
    tail = parts.path.split("/spreadsheets/d/", 1)[1].split("/")
    action = tail[1] if len(tail) > 1 else ""
    if action in {"export", "gviz", "pub", "pubhtml"}:
        return url
    match = _SHEET_ID.search(parts.path)
    if not match:
        return url
    gid_match = _GID.search("?" + parts.query + "#" + parts.fragment)
    gid = gid_match.group(1) if gid_match else "0"
    return f"https://docs.google.com/spreadsheets/d/{match.group(1)}/export?format=csv&gid={gid}"


def redact(url: str) -> str:
    """A URL fit for an error message: no userinfo, query values hidden, long ids cut."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    netloc = host + (f":{port}" if port else "")
    segments = [s if len(s) <= 24 else s[:6] + "…" for s in parts.path.split("/")]
    query = ""
    if parts.query:
        try:
            pairs = parse_qs(parts.query, keep_blank_values=True)
        except ValueError:
            pairs = {}
        shown = [
            f"{k}={v[0] if k.lower() in _SAFE_QUERY and len(v[0]) <= 24 else '…'}"
            for k, v in pairs.items()
        ]
        query = "&".join(shown) or "…"
    return urlunsplit((parts.scheme, netloc, "/".join(segments), query, ""))


@dataclass(frozen=True, slots=True)
class Download:
    """What one conditional GET returned; ``body`` is None on 304 Not Modified."""

    body: bytes | None
    etag: str = ""
    last_modified: str = ""
    final_url: str = ""
    requests: int = 1


def download(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: float = 30.0,
    connect_timeout: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Download:
    """GET ``url`` through the shared transport, conditionally when validators are known.

    Redirects are followed on the sheet's own origin and, for a Google Sheets
    link, to Google's documented download and sign-in hosts over https; any
    other redirect is refused (``sources.http.ApiClient``).

    Raises:
        SourceError: not_shared (HTML/sign-in/401/403), not_found (404), server
            (5xx), rate_limited (429), timeout, dns, refused, tls, config (bad
            URL), parse (too large), protocol (redirect elsewhere) — messages
            carry only a redacted URL.
    """
    shown = redact(url)
    headers = {"Accept": "text/csv, text/plain;q=0.9, */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        http = ApiClient(
            "sheet",
            base_urls=[url],
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            connect_timeout=connect_timeout or timeout,
            transport=transport,
            max_bytes=MAX_BYTES,
            redirect_ok=_google_hops if _is_google(url) else None,
            on_failure=lambda exc: _network_error(exc, shown, timeout),
        )
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError):
        raise _bad_url(shown) from None
    try:
        response = http.send("GET", url, headers=headers)
    except SourceError as err:
        if err.kind == "parse" and "larger than" in err.message:
            raise SourceError(
                f"sheet is larger than {MAX_BYTES // (1024 * 1024)} MB: {shown}",
                title="sheet too large",
                kind="parse",
                retryable=False,
            ) from None
        if err.title == "too many redirects":
            raise SourceError(
                f"sheet redirects in a loop: {shown}", title="too many redirects", kind="protocol"
            ) from None
        raise
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError):
        raise _bad_url(shown) from None
    finally:
        http.close()
    _check_status(response, shown)
    if response.status_code == 304:
        return Download(None, etag, last_modified, str(response.url), _hops(response))
    body = response.content
    _check_not_html(response, body, shown)
    return Download(
        body,
        response.headers.get("etag", ""),
        response.headers.get("last-modified", ""),
        str(response.url),
        _hops(response),
    )


def _is_google(url: str) -> bool:
    try:
        return (urlsplit(url).hostname or "").lower() == "docs.google.com"
    except ValueError:
        return False


def _google_hops(target: httpx.URL) -> bool:
    """Where Google sends a sheet export: its download hosts, or its sign-in page."""
    host = (target.host or "").lower()
    return target.scheme == "https" and (
        host.endswith(".googleusercontent.com") or host in _SIGN_IN_HOSTS
    )


def _bad_url(shown: str) -> SourceError:
    return SourceError(
        f"sheet url is not a usable http(s) URL: {shown}",
        title="bad URL",
        kind="config",
        retryable=False,
    )


def _hops(response: httpx.Response) -> int:
    return 1 + len(response.history)


def _check_status(response: httpx.Response, shown: str) -> None:
    status = response.status_code
    if status == 304 or 200 <= status < 300:
        if _on_sign_in(response):
            raise _not_shared(shown, "it redirects to a Google sign-in page")
        return
    if status in (401, 403):
        if _on_sign_in(response) or "google" in (response.url.host or ""):
            raise _not_shared(shown, f"the server answered {status}")
        raise SourceError(
            f"sheet needs a login (HTTP {status}): {shown}",
            title="access denied",
            kind="auth",
            retryable=False,
        )
    if status in (404, 410):
        raise SourceError(
            f"sheet not found (HTTP {status}): {shown} — check the link",
            title="not found",
            kind="not_found",
            retryable=False,
        )
    if status == 429:
        raise SourceError(
            f"sheet server is rate limiting (HTTP 429): {shown}",
            title="rate limited",
            kind="rate_limited",
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    if status >= 500:
        raise SourceError(
            f"sheet server error (HTTP {status}): {shown}",
            title="server error",
            kind="server",
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    raise SourceError(
        f"sheet answered HTTP {status}: {shown}",
        title=f"HTTP {status}",
        kind="protocol",
        retryable=False,
    )


def _on_sign_in(response: httpx.Response) -> bool:
    host = (response.url.host or "").lower()
    return host in _SIGN_IN_HOSTS or "ServiceLogin" in response.url.path


def _check_not_html(response: httpx.Response, body: bytes, shown: str) -> None:
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if ctype in ("text/html", "application/xhtml+xml") or head.startswith(
        (b"<!doctype html", b"<html")
    ):
        raise _not_shared(shown, "it answered with a web page instead of CSV")


def _not_shared(shown: str, why: str) -> SourceError:
    return SourceError(
        f"sheet is not shared: {why} ({shown}). In Google Sheets use Share → "
        '"Anyone with the link can view", or File → Publish to web as CSV.',
        title="sheet not shared",
        kind="not_shared",
        retryable=False,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _network_error(exc: httpx.HTTPError, shown: str, timeout: float = 30.0) -> SourceError:
    """Name the network failure in plain words (timeout, DNS, refused, TLS)."""
    if isinstance(exc, httpx.TimeoutException):
        return SourceError(
            f"sheet timed out after {timeout:g} s: {shown}", title="timed out", kind="timeout"
        )
    if isinstance(exc, httpx.UnsupportedProtocol):
        return _bad_url(shown)
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain).lower()
    host = shown.split("/")[2] if shown.count("/") >= 2 else shown
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        s in text for s in ("name or service not known", "nodename nor servname", "getaddrinfo")
    ):
        return SourceError(
            f"cannot find the sheet's server {host} (DNS lookup failed)",
            title="DNS failed",
            kind="dns",
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return SourceError(
            f"the sheet's server {host} refused the connection",
            title="connection refused",
            kind="refused",
        )
    if any(isinstance(e, ssl.SSLError) for e in chain) or "certificate" in text or "ssl" in text:
        return SourceError(
            f"TLS failed talking to {host} (certificate not trusted or handshake failed)",
            title="TLS error",
            kind="tls",
            retryable=False,
        )
    if isinstance(exc, httpx.ConnectError | httpx.NetworkError):
        return SourceError(
            f"cannot connect to the sheet's server {host}",
            title="connection failed",
            kind="refused",
        )
    return SourceError(
        f"the sheet's server {host} broke off the answer ({type(exc).__name__})",
        title="connection dropped",
        kind="server",
    )
