"""``toggl`` source: running timers and hours for a whole Toggl Track workspace.

Calls (see ``farwatch.sources.tracker`` for the per-poll budget):

* running: ``GET /workspaces/{wid}/dashboard/all_activity`` — documented as
  "the 20 latest actions in the workspace or latest activity for every
  workspace user" (v9 spec, DashboardApi), so not a complete list of running
  timers. A negative ``duration`` means running, whatever its value: the v9
  guide shows ``duration: -1`` for a running entry
  (engineering.toggl.com/docs/tracking), older answers ``-start_epoch``. The
  start is taken from ``start`` when the row has it, else from a
  ``-start_epoch`` duration; a ``-1`` without ``start`` is skipped.
  A timer that vanishes from the listing is only closed once confirmed: its
  user's row shows it stopped (``stop``), or the next entries refresh (asked
  for at once, covering its start) is read whole — then it ends at its stop
  time from the report, or at its last sighting when the report lacks it;
* hours: ``POST {reports}/workspace/{wid}/search/time_entries`` paged by the
  ``X-Next-ID`` / ``X-Next-Row-Number`` response headers sent back as
  ``first_id`` / ``first_row_number``. ``start_date``/``end_date`` are dates in
  each user's own timezone (toggl/toggl_api_docs#182, ``end_date`` inclusive
  per #170), so they are asked a day wider on each side (``date_span``) and
  rows are kept by their instants;
* users: ``GET /workspaces/{wid}/users``.

Errors: Toggl answers 402 when the hourly quota of the plan is used up
(``X-Toggl-Quota-Resets-In`` says when it refills) — a ``quota`` error, told
apart from a 429 rate limit and a 403 auth failure. In the Reports API a 402
without quota headers means the feature is not on the plan (not retried).

Stopping timers: not offered. Toggl's v9 docs document
``PATCH /workspaces/{wid}/time_entries/{id}/stop`` but do not say that an admin
may stop *another* user's entry (only a 2015 staff remark about v8 says admins
may edit others' entries), and ``all_activity`` gives no entry id to stop. So
``can_stop_timer`` is False: pausing a Toggl worker marks them paused and
notifies them, but their timer keeps running.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from farwatch.sources.base import MAX_RETRY_AFTER, Option, SourceError
from farwatch.sources.http import ApiClient, expect, parse_retry_after
from farwatch.sources.model import TimeEntry
from farwatch.sources.netopts import clean_text
from farwatch.sources.tracker import (
    MAX_ENTRY_HOURS,
    TrackerSource,
    Users,
    common_options,
    date_span,
    ident,
    number,
    parse_time,
)

API = "https://api.track.toggl.com/api/v9"
REPORTS = "https://api.track.toggl.com/reports/api/v3"
PLAUSIBLE_EPOCH = 946684800
"""2000-01-01: a ``-duration`` below this is no start time (``-1`` is the v9 marker)."""


def toggl_error(source: str) -> Any:
    """Classify Toggl's 402 (quota or plan) before the generic mapping."""

    def classify(response: httpx.Response) -> SourceError | None:
        if response.status_code != 402:
            return None
        resets = response.headers.get("X-Toggl-Quota-Resets-In")
        remaining = response.headers.get("X-Toggl-Quota-Remaining")
        body = response.text[:500].lower()
        if resets is not None or remaining is not None or "quota" in body:
            wait = parse_retry_after(resets)
            hint = f"; it refills in {min(wait, MAX_RETRY_AFTER):.0f} s" if wait is not None else ""
            return SourceError(
                f"{source}: the Toggl plan's hourly request quota is used up{hint}",
                title="quota used up",
                kind="quota",
                retryable=True,
                retry_after=wait,
            )
        return SourceError(
            f"{source}: Toggl says this feature is not on the workspace's plan (402)",
            title="not on plan",
            kind="config",
            retryable=False,
        )

    return classify


class TogglSource(TrackerSource):
    """Toggl Track workspace: everyone's running timer in one call, hours from Reports."""

    type_name: ClassVar[str] = "toggl"
    description: ClassVar[str] = "running timers and hours from a Toggl Track workspace"
    can_stop_timer: ClassVar[bool] = False
    running_listing_complete: ClassVar[bool] = False
    options: ClassVar[tuple[Option, ...]] = (
        Option("workspace", "str", required=True, help="Toggl workspace id"),
        *common_options(API),
        Option("reports_url", "url", default=REPORTS, help="Reports API v3 base URL"),
    )

    def __init__(self, name: str, options: Any) -> None:
        super().__init__(name, options)
        self.workspace = str(self.opt("workspace") or "")
        self.reports_url = str(self.opt("reports_url") or REPORTS).rstrip("/")
        self._stops: dict[str, list[tuple[datetime, float]]] = {}
        """Per user, the (stop, duration) of finished entries in the activity listing."""
        self._report_running: set[str] = set()
        """Keys the entries report showed still running (no stop)."""

    def make_client(self) -> ApiClient:
        return ApiClient(
            self.name,
            base_urls=[self.base_url, self.reports_url],
            auth=(self.secret("api_key_env"), "api_token"),
            headers={"Accept": "application/json"},
            timeout=self.timeout,
            classify=toggl_error(self.name),
            budget=self.request_budget,
        )

    def fetch_users(self) -> Users:
        rows = expect(
            list,
            self.api.get_json(f"{self.base_url}/workspaces/{self.workspace}/users"),
            self.name,
            "users",
        )
        users = [r for r in rows if isinstance(r, dict) and r.get("id")]
        self.user_names = {
            str(r.get("id")): clean_text(r.get("fullname") or r.get("name"), 100) for r in users
        }
        return {str(r.get("id")): str(r.get("email") or "").lower() for r in users}

    def fetch_running(self, now: datetime) -> list[TimeEntry]:
        url = f"{self.base_url}/workspaces/{self.workspace}/dashboard/all_activity"
        rows = expect(list, self.api.get_json(url), self.name, "dashboard activity")
        self._stops = {}
        self._report_running = set()
        entries = []
        for row in rows:
            entry = self._running(row)
            if entry is not None:
                entries.append(entry)
        return entries

    def _running(self, row: Any) -> TimeEntry | None:
        """The running timer in one activity row; None for a finished or unreadable one."""
        if not isinstance(row, dict):
            self.skip("running timer", "not an object")
            return None
        duration = number(row.get("duration"))
        user = ident(row.get("user_id"))
        stop = parse_time(row.get("stop"))
        if stop is not None or row.get("stop"):
            if duration is not None and not 0 <= duration <= MAX_ENTRY_HOURS * 3600:
                self.skip("finished activity row", "duration is not a number of seconds")
            elif user is not None and stop is not None and duration is not None:
                self._stops.setdefault(user, []).append((stop, duration))
            return None  # the latest activity was a finished entry
        if duration is None:
            self.skip("running timer", "duration is not a number")
            return None
        if duration >= 0:
            return None  # finished, without a stop time
        if user is None:
            self.skip("running timer", "user_id is not an id")
            return None
        start = self._running_start(row, duration)
        if start is None:
            return None
        return TimeEntry(
            key=_key(user, start),
            who=self.who(user),
            start=start,
            end=None,
            task=clean_text(row.get("description"), 200),
            who_name=self.who_name(user),
        )

    def _running_start(self, row: dict[str, Any], duration: float) -> datetime | None:
        """A running row's start: ``start`` when given, else a ``-start_epoch`` duration."""
        if row.get("start") is not None:
            start = parse_time(row.get("start"))
            if start is None:
                self.skip("running timer", "start is not a date-time")
            return start
        if -duration < PLAUSIBLE_EPOCH:
            self.skip("running timer", "no start, and duration is not a start time")
            return None
        try:
            return datetime.fromtimestamp(int(-duration), UTC)
        except (OverflowError, OSError, ValueError):
            self.skip("running timer", "duration is out of range")
            return None

    def fetch_entries(self, start: datetime, end: datetime) -> list[TimeEntry]:
        url = f"{self.reports_url}/workspace/{self.workspace}/search/time_entries"
        first, last = date_span(start, end)
        body: dict[str, Any] = {
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "page_size": self.page_size,
        }
        entries: list[TimeEntry] = []
        pager = self.pager("entries", "time entry search")
        while True:
            response = self.api.request("POST", url, json_body=body)
            rows = expect(list, self.api.json(response), self.name, "time entry search")
            page: list[TimeEntry] = []
            for row in rows:
                page.extend(self._rows(row))
            entries.extend(page)
            next_id = response.headers.get("X-Next-ID")
            next_row = response.headers.get("X-Next-Row-Number")
            if not next_id or not next_row:
                return entries
            try:
                cursor = (int(next_id), int(next_row))
            except ValueError:
                raise SourceError(
                    f"{self.name}: unreadable paging headers from Toggl "
                    "(X-Next-ID, X-Next-Row-Number)",
                    title="bad response",
                    kind="parse",
                ) from None
            if not pager.more(_row_ids(rows), cursor):
                return entries
            body = {**body, "first_id": cursor[0], "first_row_number": cursor[1]}

    def window_for_unconfirmed(
        self,
        state: dict[str, Any],
        running: list[TimeEntry],
        window: tuple[datetime, datetime] | None,
        now: datetime,
    ) -> tuple[datetime, datetime] | None:
        """Ask for the entries now when a timer vanished unconfirmed, back to its start."""
        live = {e.key for e in running}
        vanished = [
            o for k, o in _open(state).items() if k not in live and self._stop_of(o) is None
        ]
        if not vanished:
            return window
        oldest = min(o["start"] for o in vanished)
        floor = now - timedelta(seconds=self.lookback)
        lo = max(floor, oldest - timedelta(minutes=1))
        if window is not None and window[0] <= lo:
            return window
        return (lo, now)

    def settle_unconfirmed(
        self,
        state: dict[str, Any],
        running: list[TimeEntry],
        fetched: dict[str, TimeEntry] | None,
        now: datetime,
    ) -> list[TimeEntry]:
        """Close vanished timers once confirmed stopped; the rest stay open (and are
        reported open, so an entries window cannot drop them either)."""
        live = {e.key for e in running}
        still_open: dict[str, dict[str, Any]] = {}
        out: list[TimeEntry] = []
        for key, seen in _open(state).items():
            if key in live:
                continue
            entry = TimeEntry(
                key=key,
                who=seen["who"],
                start=seen["start"],
                end=None,
                task=seen["task"],
                who_name=self.who_name(seen["user"]),
            )
            stop = self._stop_of(seen)
            if stop is not None:
                out.append(replace(entry, end=stop))
            elif fetched is not None and key in fetched:
                continue  # the report has it, with its stop time
            elif fetched is not None and key not in self._report_running:
                out.append(replace(entry, end=max(seen["seen"], entry.start)))
            else:  # unconfirmed: still running as far as farwatch knows
                out.append(entry)
                still_open[key] = _open_doc(entry, seen["seen"])
        for entry in running:
            still_open[entry.key] = _open_doc(entry, now)
        state["open"] = still_open
        return out

    def _stop_of(self, seen: dict[str, Any]) -> datetime | None:
        """The stop time the activity listing shows for a known running timer, if any."""
        for stop, duration in self._stops.get(seen["user"], []):
            if abs((stop - timedelta(seconds=duration) - seen["start"]).total_seconds()) <= 1:
                return stop
        return None

    def _rows(self, row: Any) -> list[TimeEntry]:
        """A search row groups entries sharing user, description and project."""
        what = "time entry search row"
        if not isinstance(row, dict):
            self.skip(what, "not an object")
            return []
        user = ident(row.get("user_id"))
        items = row.get("time_entries")
        if user is None:
            self.skip(what, "user_id is not an id")
            return []
        if not isinstance(items, list):
            self.skip(what, "time_entries is not a list")
            return []
        who = self.who(user)
        who_name = self.who_name(user, row.get("username") or row.get("user_name"))
        task = clean_text(row.get("description"), 200)
        out = []
        for item in items:
            if not isinstance(item, dict):
                self.skip("time entry", "not an object")
                continue
            start, stop = parse_time(item.get("start")), parse_time(item.get("stop"))
            if start is None:
                self.skip("time entry", "start is not a date-time")
                continue
            if stop is None:
                if item.get("stop") is not None:
                    self.skip("time entry", "stop is not a date-time")
                else:  # running: all_activity reports it; the report confirms it runs
                    self._report_running.add(_key(user, start))
                continue
            out.append(
                TimeEntry(
                    key=_key(user, start),
                    who=who,
                    start=start,
                    end=stop,
                    task=task,
                    who_name=who_name,
                )
            )
        return out


def _key(user: str, start: datetime) -> str:
    """Activity rows carry no entry id, so an entry is its user and start second."""
    return f"toggl:{user}:{int(start.timestamp())}"


def _row_ids(rows: list[Any]) -> list[str]:
    """The entry ids on a search page (a row groups entries)."""
    ids = []
    for row in rows:
        items = row.get("time_entries") if isinstance(row, dict) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                ids.append(str(item.get("id")))
    return ids


def _open_doc(entry: TimeEntry, seen: datetime) -> dict[str, Any]:
    user = entry.key.split(":")[1]
    return {
        "who": entry.who,
        "user": user,
        "start": entry.start.isoformat(),
        "task": entry.task,
        "seen": seen.isoformat(),
    }


def _open(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Timers seen running and not yet confirmed stopped (from the cursor), parsed."""
    raw = state.get("open")
    out: dict[str, dict[str, Any]] = {}
    for key, doc in (raw if isinstance(raw, dict) else {}).items():
        if not isinstance(doc, dict):
            continue
        start, seen = parse_time(doc.get("start")), parse_time(doc.get("seen"))
        if start is None or seen is None or not isinstance(key, str):
            continue
        out[key] = {
            "who": str(doc.get("who") or ""),
            "user": str(doc.get("user") or ""),
            "start": start,
            "task": str(doc.get("task") or ""),
            "seen": seen,
        }
    return out
