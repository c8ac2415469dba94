"""What the Clockify, Toggl and Harvest sources share: cadence, users, budget.

Free plans allow about 30 requests an hour, so a tracker poll is cheap by
design. Per workspace, whatever the number of workers (pagination aside):

* every poll (default every 5 minutes): 1 request for every running timer,
  workspace-wide;
* every ``entries_every`` (default 30 minutes): 1 request for the time
  entries of the ``recent`` days (default 2) — edits to older entries are rare;
* every ``full_every`` (default a day, and on the first poll): the whole
  ``lookback`` window (default 35 days, so a monthly cap is covered), which
  for a big team is a few pages;
* every ``users_every`` (default a day): 1 request for the user list (tracker
  id -> email, so entries match roster workers by email).

That is ~14 requests an hour in steady state, under the ~30/hour of the free
plans; the first poll makes 3 (plus pages). The users map and the times of the
last entries fetches travel in the cursor.
"""

from __future__ import annotations

import abc
import math
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from farwatch.sources.base import Option, Source, SourceError
from farwatch.sources.http import REQUEST_BUDGET, ApiClient
from farwatch.sources.model import Cursor, FetchResult, TimeEntry
from farwatch.sources.netopts import as_seconds, option_value

Users = dict[str, str]
"""Tracker user id -> email (lower case); empty string when unknown."""


def common_options(default_base: str, lookback: str = "35d") -> tuple[Option, ...]:
    return (
        Option(
            "api_key_env", "env", required=True, help="environment variable with an admin's API key"
        ),
        Option(
            "base_url", "url", default=default_base, help="API base URL (regional hosts, tests)"
        ),
        Option("timeout", "duration", default=20.0, help="connect and read timeout"),
        Option(
            "request_budget",
            "int",
            default=REQUEST_BUDGET,
            help="most requests one poll may send (pages included); more is a source error",
        ),
        Option(
            "lookback",
            "duration",
            default=lookback,
            help="how far back time entries are read (covers a monthly cap)",
        ),
        Option(
            "entries_every",
            "duration",
            default=1800.0,
            help="how often the recent hours (time entries) are refreshed",
        ),
        Option(
            "recent",
            "duration",
            default=2 * 86400.0,
            help="how many recent days each hours refresh re-reads",
        ),
        Option(
            "full_every",
            "duration",
            default=86400.0,
            help="how often the whole lookback window is re-read",
        ),
        Option(
            "users_every",
            "duration",
            default=86400.0,
            help="how often the user list (id to email) is refreshed",
        ),
    )


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp from an API as aware UTC, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def ident(value: Any) -> str | None:
    """A tracker id (a number or a non-empty string) as text, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() and value.isprintable():
        return value.strip()
    return None


def number(value: Any) -> float | None:
    """A finite JSON number (or numeric string) as a float, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        result = float(value)
    except (ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


class TrackerSource(Source, abc.ABC):
    """Base for workspace-wide time-tracker sources."""

    default_interval: ClassVar[float] = 300.0
    page_size: ClassVar[int] = 200

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.base_url = str(self.opt("base_url") or "").rstrip("/")
        self.timeout = as_seconds(self.opt("timeout"), name="timeout", source=name)
        self.request_budget = int(self.opt("request_budget"))
        self.lookback = self._duration("lookback")
        self.entries_every = self._duration("entries_every")
        self.recent = self._duration("recent")
        self.full_every = self._duration("full_every")
        self.users_every = self._duration("users_every")
        self._api: ApiClient | None = None
        self.users: Users = {}
        self._skipped: Counter[tuple[str, str]] = Counter()

    def opt(self, key: str) -> Any:
        return option_value(self.config, self.options, key)

    def _duration(self, key: str) -> float:
        return as_seconds(self.opt(key), name=key, source=self.name)

    # ---------------------------------------------------------------- client
    @property
    def api(self) -> ApiClient:
        if self._api is None:
            self._api = self.make_client()
        return self._api

    @abc.abstractmethod
    def make_client(self) -> ApiClient:
        """An ``ApiClient`` with this API's auth headers."""

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None

    # -------------------------------------------------------------- per API
    @abc.abstractmethod
    def fetch_users(self) -> Users:
        """Every user of the workspace (paged as the API pages)."""

    @abc.abstractmethod
    def fetch_running(self, now: datetime) -> list[TimeEntry]:
        """Every running timer in the workspace, in one call (pagination aside)."""

    @abc.abstractmethod
    def fetch_entries(self, start: datetime, end: datetime) -> list[TimeEntry]:
        """Every time entry of every user between ``start`` and ``end``."""

    def skip(self, what: str, why: str) -> None:
        """Count a row the API sent in a form we cannot read; ``fetch`` warns once per kind.

        ``what`` is the singular row kind ("time entry"), ``why`` says which
        field was wrong, e.g. "hours is not a number".
        """
        self._skipped[(what, why)] += 1

    def _skip_warnings(self) -> list[str]:
        warnings = []
        for (what, why), count in sorted(self._skipped.items()):
            rows = what if count == 1 else _plural(what)
            warnings.append(f"{self.name}: skipped {count} {rows} ({why})")
        self._skipped.clear()
        return warnings

    def who(self, user_id: Any, email: Any = None) -> str:
        """The worker identity: the email when known, else the tracker user id."""
        if isinstance(email, str) and "@" in email:
            return email.strip().lower()
        uid = str(user_id) if user_id is not None else ""
        return self.users.get(uid) or uid

    # ----------------------------------------------------------------- fetch
    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        api = self.api
        api.begin_poll()
        before = api.requests
        result = FetchResult()
        state: dict[str, Any] = dict(cursor)
        self._skipped.clear()
        try:
            self._refresh_users(state, now, result)
            running = self.fetch_running(now)
            entries: dict[str, TimeEntry] = {}
            window = self._entries_window(state, now)
            if window is not None:
                for entry in self.fetch_entries(*window):
                    entries[entry.key] = entry
                result.entries_complete = True
                result.entries_window = window
                state["entries_at"] = now.isoformat()
                if window[0] <= now - timedelta(seconds=self.lookback):
                    state["full_at"] = now.isoformat()
            for entry in running:  # the live view wins over a report row
                entries[entry.key] = entry
        finally:
            result.requests = api.requests - before
        result.entries = list(entries.values())
        result.warnings.extend(self._skip_warnings())
        result.running_complete = True
        result.cursor = state
        return result

    def _entries_window(
        self, state: dict[str, Any], now: datetime
    ) -> tuple[datetime, datetime] | None:
        """The span of entries due now: everything, the recent days, or nothing."""
        full_at, last = parse_time(state.get("full_at")), parse_time(state.get("entries_at"))

        def due(when: datetime | None, every: float) -> bool:
            return when is None or when > now or (now - when).total_seconds() >= every

        if due(full_at, self.full_every):
            return (now - timedelta(seconds=self.lookback), now)
        if due(last, self.entries_every):
            return (now - timedelta(seconds=min(self.recent, self.lookback)), now)
        return None

    def _refresh_users(self, state: dict[str, Any], now: datetime, result: FetchResult) -> None:
        cached = state.get("users")
        fetched_at = parse_time(state.get("users_at"))
        if (
            isinstance(cached, dict)
            and fetched_at is not None
            and timedelta(0) <= now - fetched_at < timedelta(seconds=self.users_every)
        ):
            self.users = {str(k): str(v) for k, v in cached.items()}
            return
        try:
            self.users = self.fetch_users()
        except SourceError as exc:
            if exc.kind not in ("auth", "not_found"):
                raise
            # a manager key may not list users: keep going with tracker ids
            result.warnings.append(
                f"{self.name}: cannot list users ({exc.message}); "
                "workers are matched by tracker_id only"
            )
            self.users = {str(k): str(v) for k, v in (cached or {}).items()}
        state["users"] = dict(self.users)
        state["users_at"] = now.isoformat()

    # ------------------------------------------------------------ stop timer
    def resolve_user(self, who: str) -> str:
        """Tracker user id for ``who`` (an email, or the id itself)."""
        wanted = who.strip().lower()
        if not self.users:
            self.users = self.fetch_users()
        for uid, email in self.users.items():
            if wanted in (uid.lower(), email):
                return uid
        if wanted and "@" not in wanted:
            return who.strip()  # a tracker_id the user list does not show
        raise SourceError(
            f"{self.name}: no tracker user with email {who}",
            title="unknown worker",
            kind="not_found",
            retryable=False,
        )


def _plural(noun: str) -> str:
    """ "time entry" -> "time entries", "running timer" -> "running timers"."""
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
