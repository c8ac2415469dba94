"""The ``sheet`` source: the roster, from a local CSV file or a (Google) sheet URL.

An unchanged roster must cost nothing downstream, so the cursor remembers how
the last good copy looked (file size + mtime, HTTP validators, and a content
hash as the final word) and an unchanged copy is reported as ``unchanged``
with no rows. The cursor never holds the sheet URL itself (a link-shared URL
is a key to the sheet), only a hash of it.

A sheet URL is fetched at most once per ``refresh`` (default 5 minutes) even
when the poller asks more often, so a short source ``interval`` keeps local
files snappy without hammering Google.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from farwatch.sources.base import Option, Source, SourceError
from farwatch.sources.csvroster import RosterFormatError, parse_roster
from farwatch.sources.filestamp import decode_text, read_if_changed
from farwatch.sources.model import (
    MAX_WARNINGS,
    Cursor,
    FetchResult,
    SourceWarning,
    warnings_from_json,
)
from farwatch.sources.netopts import as_seconds, option_value

URL_REFRESH = 300.0
PATH_INTERVAL = 30.0


class SheetSource(Source):
    """The roster as a CSV file (``path``) or a shared sheet (``url``)."""

    type_name: ClassVar[str] = "sheet"
    description: ClassVar[str] = "the roster: a CSV file or a shared Google Sheet"
    default_interval: ClassVar[float] = PATH_INTERVAL
    options: ClassVar[tuple[Option, ...]] = (
        Option("path", "path", help="a local roster CSV file (or use url)"),
        Option("url", "url", help="a CSV URL or a Google Sheets link shared to anyone with it"),
        Option("timeout", "duration", default=30.0, help="read timeout for url"),
        Option("connect_timeout", "duration", default=10.0, help="connect timeout for url"),
        Option(
            "refresh",
            "duration",
            default=URL_REFRESH,
            help="download a url at most this often, however short the interval",
        ),
    )

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.path = str(self.config.get("path") or "").strip()
        self.url = str(self.config.get("url") or "").strip()
        self.timeout = self._seconds("timeout")
        self.connect_timeout = self._seconds("connect_timeout")
        self.refresh = self._seconds("refresh")

    def _seconds(self, option: str) -> float:
        value = option_value(self.config, self.options, option)
        return float(as_seconds(value, name=option, source=self.name))

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        """Read the roster if it changed since ``cursor``.

        Raises:
            SourceError: config (neither or both of path/url), file (missing or
                unreadable file), content (a local file with no header / no name
                column; parse for the same from a URL), and the HTTP kinds from
                ``sheet_http.download``.
        """
        if bool(self.path) == bool(self.url):
            raise SourceError(
                f"{self.name}: set exactly one of path (a CSV file) or url (a shared sheet)"
                + (", not both" if self.path else ""),
                title="bad config",
                kind="config",
                retryable=False,
            )
        if self.path:
            return self._fetch_path(cursor, now)
        return self._fetch_url(cursor, now)

    # -- local file ----------------------------------------------------------

    def _fetch_path(self, cursor: Cursor, now: datetime) -> FetchResult:
        path = Path(os.path.expanduser(self.path))
        got = read_if_changed(path, cursor, now, what="roster file", source=self.name)
        if got.data is None:
            return self._unchanged(cursor, got.stamp, requests=0)
        return self._parse(got.stamp, got.data, requests=0)

    # -- URL -----------------------------------------------------------------

    def _fetch_url(self, cursor: Cursor, now: datetime) -> FetchResult:
        from farwatch.sources.sheet_http import download, to_csv_url  # httpx: only for URLs

        url = to_csv_url(self.url)
        target = "url:" + _digest(url)
        same = cursor.get("target") == target
        last = cursor.get("fetched_at")
        if same and isinstance(last, int | float) and 0 <= now.timestamp() - last < self.refresh:
            return self._unchanged(cursor, cursor, requests=0)
        got = download(
            url,
            etag=str(cursor.get("etag", "")) if same else "",
            last_modified=str(cursor.get("last_modified", "")) if same else "",
            timeout=self.timeout,
            connect_timeout=self.connect_timeout,
        )
        stamp: dict[str, Any] = {
            "target": target,
            "etag": got.etag,
            "last_modified": got.last_modified,
            "fetched_at": now.timestamp(),
        }
        if got.body is None:
            return self._unchanged(cursor, stamp, requests=got.requests)
        return self._result(cursor, stamp, got.body, same, requests=got.requests)

    def describe_target(self) -> str:
        """Where the roster comes from, safe to show (URL redacted)."""
        if self.path:
            return self.path
        from farwatch.sources.sheet_http import redact, to_csv_url  # httpx: only for URLs

        return redact(to_csv_url(self.url))

    # -- shared --------------------------------------------------------------

    def _result(
        self, cursor: Cursor, stamp: dict[str, Any], data: bytes, same: bool, *, requests: int
    ) -> FetchResult:
        digest = hashlib.sha256(data).hexdigest()
        if same and cursor.get("sha256") == digest:
            return self._unchanged(cursor, stamp, requests=requests)
        return self._parse({**stamp, "sha256": digest}, data, requests=requests)

    def _parse(self, stamp: dict[str, Any], data: bytes, *, requests: int) -> FetchResult:
        text, warning = decode_text(data)
        try:
            parsed = parse_roster(text)
        except RosterFormatError as exc:
            raise SourceError(
                f"{self.name}: {exc} in {self.describe_target()}",
                title="not a roster",
                kind="content" if self.path else "parse",
                retryable=True,
            ) from None
        warnings = ([SourceWarning("note", warning)] if warning else []) + parsed.warnings
        new_cursor = {**stamp, "warnings": [w.to_json() for w in warnings[:MAX_WARNINGS]]}
        return FetchResult(
            roster=parsed.rows,
            cursor=new_cursor,
            roster_complete=True,
            requests=requests,
            warnings=warnings,
        )

    def _unchanged(self, old: Cursor, stamp: dict[str, Any], *, requests: int) -> FetchResult:
        kept = old.get("warnings")
        warnings = warnings_from_json(kept)
        cursor = {
            "sha256": old.get("sha256", ""),
            **stamp,
            "warnings": [w.to_json() for w in warnings],
        }
        return FetchResult(cursor=cursor, unchanged=True, requests=requests, warnings=warnings)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
