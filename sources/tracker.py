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

Dates. Each vendor reads a date filter on a calendar: Toggl's Reports API in
each user's own timezone (toggl/toggl_api_docs#182), Harvest's ``from``/``to``
on ``spent_date`` (the user's date), Clockify's report range as wall-clock time
of the key owner's profile timezone. So every request asks for a window wide
enough for any roster timezone (UTC-12 to UTC+14, ``wide_span``/``date_span``)
and the entries are then kept by their instants (``within``); date-only entries
(Harvest without timestamps) carry their ``day`` and ``state`` places them on
the worker's own calendar.

Bounds. Every paginated listing goes through a ``Pager``: it stops at
``max_pages`` pages, and when a page brings no new ids or the next-page cursor
does not advance (an always-full page, a repeated ``X-Next-ID``, ever-new
``links.next`` over the same rows). Stopping is a visible warning, and a
listing that stopped early, or skipped a row it could not read, is not taken
as complete: the cache then deletes and closes nothing on its word. An answer
without its list, or with something else where the list belongs, fails the
source with a message naming the field.
"""

from __future__ import annotations

import abc
import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Literal

from farwatch.sources.base import Option, Source, SourceError
from farwatch.sources.http import REQUEST_BUDGET, ApiClient, json_type
from farwatch.sources.model import Cursor, FetchResult, SourceWarning, TimeEntry
from farwatch.sources.netopts import as_seconds, clean_text, option_value

Users = dict[str, str]
"""Tracker user id -> email (lower case); empty string when unknown."""

Listing = Literal["users", "running", "entries"]

EARLIEST_OFFSET = timedelta(hours=-12)
LATEST_OFFSET = timedelta(hours=14)
"""The roster's timezones run from UTC-12 to UTC+14."""

MAX_PAGES = 50
"""Default page cap of one listing in one poll (``max_pages``)."""

MAX_ENTRY_HOURS = 24.0 * 366
"""More hours than this on one entry is a mangled answer, not work."""


def wide_span(lo: datetime, hi: datetime) -> tuple[datetime, datetime]:
    """Instants that, even re-read as wall-clock time of any roster timezone, cover [lo, hi]."""
    return lo + EARLIEST_OFFSET, hi + LATEST_OFFSET


def date_span(lo: datetime, hi: datetime) -> tuple[date, date]:
    """Every calendar date that some roster timezone gives an instant in [lo, hi]."""
    first, last = wide_span(lo, hi)
    return first.date(), last.date()


def date_only_instant(day: date, now: datetime | None) -> datetime:
    """Bookkeeping instant of a date-only entry read at ``now``.

    The latest moment ``day`` begins anywhere (00:00 at UTC-12), but never after
    ``now``: ``state`` places the entry at the worker's own midnight of ``day``
    or at this instant, whichever is earlier, so it is never in the future.
    """
    latest = datetime.combine(day, time(), UTC) - EARLIEST_OFFSET
    return latest if now is None else min(latest, now)


def within(entry: TimeEntry, lo: datetime, hi: datetime) -> bool:
    """Whether an entry of a widened request belongs to the window [lo, hi].

    Timed entries by their instants (any overlap); date-only entries by their
    day, within the dates asked for (``date_span``): a day the vendor should
    not have sent (``9999-12-31``) would otherwise count as hours read now.
    """
    if entry.day is not None:
        first, last = date_span(lo, hi)
        return first <= entry.day <= last
    return entry.start <= hi and (entry.end is None or entry.end > lo)


def off_dates_warning(
    source: str, entries: list[TimeEntry], lo: datetime, hi: datetime
) -> SourceWarning | None:
    """A warning counting the date-only entries dated outside the dates asked for."""
    stray = sorted(e.day for e in entries if e.day is not None and not within(e, lo, hi))
    if not stray:
        return None
    first, last = date_span(lo, hi)
    rows = "time entry" if len(stray) == 1 else "time entries"
    return SourceWarning(
        "skipped",
        f"{source}: skipped {len(stray)} {rows} dated outside the dates asked for "
        f"({first} to {last}), e.g. {stray[-1]}; not counted",
    )


def duplicates_warning(source: str, entries: list[TimeEntry]) -> SourceWarning | None:
    """A warning counting ids one listing gave to different entries (the last is kept)."""
    first: dict[str, TimeEntry] = {}
    clashing: set[str] = set()
    for entry in entries:
        seen = first.setdefault(entry.key, entry)
        if seen != entry:
            clashing.add(entry.key)
    if not clashing:
        return None
    rows = "id" if len(clashing) == 1 else "ids"
    return SourceWarning(
        "skipped",
        f"{source}: {len(clashing)} {rows} listed for two different entries "
        f"(e.g. {min(clashing)[:60]!r}); the last one listed is kept",
    )


def malformed(source: str, what: str, problem: str) -> SourceError:
    """An answer that is not what the vendor documents: fail the source, name the field."""
    return SourceError(
        f"{source}: unexpected answer for {what}: {problem}; nothing in the cache was changed",
        title="bad response",
        kind="parse",
    )


def list_field(source: str, data: Any, keys: tuple[str, ...], what: str) -> list[Any]:
    """The list under the first of ``keys`` present in a JSON object.

    A missing key or a non-list value is an error, never an empty list: an
    empty truth would make the cache delete every entry of the window.
    """
    wanted = " or ".join(f"'{k}'" for k in keys)
    if not isinstance(data, dict):
        raise malformed(
            source,
            what,
            f"expected an object, got {json_type(data)} (a {wanted} list belongs there)",
        )
    for key in keys:
        if key in data:
            value = data[key]
            if not isinstance(value, list):
                raise malformed(source, what, f"'{key}': expected a list, got {json_type(value)}")
            return value
    present = ", ".join(sorted(clean_text(str(k), 40) for k in list(data)[:12])) or "none"
    raise malformed(source, what, f"the answer has no {wanted} list (its keys: {present})")


class Pager:
    """Bounds of one paginated listing in one poll.

    After each page, ``more`` says whether to ask for the next. It stops at the
    page cap, on a page that brings no id not seen before, and on a next-page
    cursor already used; each is a warning, and the listing is then marked
    incomplete so the cache deletes and closes nothing on its word.
    """

    def __init__(self, source: TrackerSource, listing: Listing, what: str) -> None:
        self.source = source
        self.listing = listing
        self.what = what
        self.pages = 0
        self.rows = 0
        self._ids: set[str] = set()
        self._cursors: set[Hashable] = set()

    def more(self, ids: Iterable[str], next_cursor: Hashable | None) -> bool:
        """Count one page (its row ids, the cursor it gave); True to fetch the next."""
        self.pages += 1
        page_ids = list(ids)
        self.rows += len(page_ids)
        new = set(page_ids) - self._ids
        self._ids |= new
        if next_cursor is None:
            return False
        if not new:
            return self._stop("a page brought no new rows but pointed to another")
        if next_cursor in self._cursors:
            return self._stop("the next-page cursor did not advance")
        if self.pages >= self.source.max_pages:
            return self._stop(f"stopped at the page cap ({self.source.max_pages} pages)")
        self._cursors.add(next_cursor)
        return True

    def _stop(self, why: str) -> bool:
        self.source.truncate(self.listing, f"{self.what}: {why}")
        return False


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
            "max_pages",
            "int",
            default=MAX_PAGES,
            help="page cap of one listing per poll (more is a warning, nothing is deleted)",
        ),
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
    """An ISO-8601 timestamp from an API as aware UTC, or None.

    None too when its offset carries it past ``datetime``'s years 1-9999
    (``0001-01-01T00:00:00+01:00``): one such row is skipped, not the poll.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


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
    running_listing_complete: ClassVar[bool] = True
    """Whether the running-timers call lists every running timer (Toggl's does not)."""

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
        self.max_pages = max(1, int(self.opt("max_pages") or MAX_PAGES))
        self._api: ApiClient | None = None
        self.users: Users = {}
        self.user_names: Users = {}
        """Tracker user id -> the display name the user listing gave."""
        self._skipped: Counter[tuple[str, str]] = Counter()
        self._truncated: dict[Listing, list[str]] = {}
        self.read_at: datetime | None = None
        """The ``now`` of the fetch under way: when its answers were read."""

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

    def truncate(self, listing: Listing, why: str) -> None:
        """A listing stopped before its end: warn, and take it as incomplete."""
        self._truncated.setdefault(listing, []).append(why)

    def pager(self, listing: Listing, what: str) -> Pager:
        return Pager(self, listing, what)

    def _complete(self, listing: Listing, skipped_before: int) -> bool:
        """Whether a listing was read whole: no early stop, no row it could not read."""
        return listing not in self._truncated and sum(self._skipped.values()) == skipped_before

    def _truncation_warnings(self) -> list[SourceWarning]:
        warnings = [
            SourceWarning(
                "cap",
                f"{self.name}: {why}; what was read is kept, "
                "nothing is taken as deleted or stopped",
            )
            for whys in self._truncated.values()
            for why in whys
        ]
        self._truncated.clear()
        return warnings

    def _skip_warnings(self) -> list[SourceWarning]:
        warnings = []
        for (what, why), count in sorted(self._skipped.items()):
            rows = what if count == 1 else _plural(what)
            warnings.append(
                SourceWarning("skipped", f"{self.name}: skipped {count} {rows} ({why})")
            )
        self._skipped.clear()
        return warnings

    def who(self, user_id: Any, email: Any = None) -> str:
        """The worker identity: the email when known, else the tracker user id."""
        if isinstance(email, str) and "@" in email:
            return email.strip().lower()
        uid = str(user_id) if user_id is not None else ""
        return self.users.get(uid) or uid

    def who_name(self, user_id: Any, given: Any = None) -> str:
        """The tracker's display name for a user: the answer's own, else the listing's."""
        return clean_text(given, 100) or self.user_names.get(str(user_id), "")

    # ----------------------------------------------------------------- fetch
    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        api = self.api
        api.begin_poll()
        before = api.requests
        result = FetchResult()
        state: dict[str, Any] = dict(cursor)
        self._skipped.clear()
        self._truncated.clear()
        self.read_at = now
        try:
            self._refresh_users(state, now, result)
            skipped = sum(self._skipped.values())
            running = self.fetch_running(now)
            self._warn_duplicates(running, result)
            running_read_whole = self._complete("running", skipped)
            entries: dict[str, TimeEntry] = {}
            window = self.window_for_unconfirmed(
                state, running, self._entries_window(state, now), now
            )
            fetched: dict[str, TimeEntry] | None = None
            if window is not None:
                skipped = sum(self._skipped.values())
                listed = self.fetch_entries(*window)
                self._warn_duplicates(listed, result)
                fetched = {e.key: e for e in listed if within(e, *window)}
                stray = off_dates_warning(self.name, listed, *window)
                if stray is not None:
                    result.warnings.append(stray)
                entries.update(fetched)
                result.entries_complete = self._complete("entries", skipped)
                if result.entries_complete:
                    result.entries_window = window
                    state["entries_at"] = now.isoformat()
                    if window[0] <= now - timedelta(seconds=self.lookback):
                        state["full_at"] = now.isoformat()
                else:
                    fetched = None  # not read whole: confirms nothing
            for entry in self.settle_unconfirmed(state, running, fetched, now):
                entries[entry.key] = entry
            for entry in running:  # the live view wins over a report row
                entries[entry.key] = entry
        finally:
            result.requests = api.requests - before
        result.entries = list(entries.values())
        result.warnings.extend(self._truncation_warnings())
        result.warnings.extend(self._skip_warnings())
        result.running_complete = self.running_listing_complete and running_read_whole
        result.cursor = state
        return result

    def _warn_duplicates(self, entries: list[TimeEntry], result: FetchResult) -> None:
        warning = duplicates_warning(self.name, entries)
        if warning is not None:
            result.warnings.append(warning)

    def window_for_unconfirmed(
        self,
        state: dict[str, Any],
        running: list[TimeEntry],
        window: tuple[datetime, datetime] | None,
        now: datetime,
    ) -> tuple[datetime, datetime] | None:
        """The entries window, widened when a vanished timer needs confirming (Toggl)."""
        return window

    def settle_unconfirmed(
        self,
        state: dict[str, Any],
        running: list[TimeEntry],
        fetched: dict[str, TimeEntry] | None,
        now: datetime,
    ) -> list[TimeEntry]:
        """Entries that close timers confirmed stopped this poll (Toggl); ``fetched``
        is the entries window when it was read whole, else None."""
        return []

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
            self.user_names = _names(state.get("user_names"))
            return
        try:
            self.users = self.fetch_users()
        except SourceError as exc:
            if exc.kind not in ("auth", "not_found"):
                raise
            # a manager key may not list users: keep going with tracker ids
            result.warn(
                f"{self.name}: cannot list users ({exc.message}); "
                "workers are matched by tracker_id only"
            )
            self.users = {str(k): str(v) for k, v in (cached or {}).items()}
            self.user_names = _names(state.get("user_names"))
        state["users"] = dict(self.users)
        state["user_names"] = dict(self.user_names)
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


def _names(cached: Any) -> Users:
    """Display names kept in a cursor; anything that is not id -> text is dropped."""
    if not isinstance(cached, dict):
        return {}
    return {str(k): clean_text(v, 100) for k, v in cached.items() if isinstance(v, str)}


def _plural(noun: str) -> str:
    """ "time entry" -> "time entries", "running timer" -> "running timers"."""
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
