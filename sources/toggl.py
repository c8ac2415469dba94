"""``toggl`` source: running timers and hours for a whole Toggl Track workspace.

Calls (see ``farwatch.sources.tracker`` for the per-poll budget):

* running: ``GET /workspaces/{wid}/dashboard/all_activity`` — the latest
  activity of every workspace user; a negative ``duration`` is ``-start_epoch``
  of a running entry, so elapsed = ``now + duration``;
* hours: ``POST {reports}/workspace/{wid}/search/time_entries`` paged by the
  ``X-Next-ID`` / ``X-Next-Row-Number`` response headers sent back as
  ``first_id`` / ``first_row_number``;
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

from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from farwatch.sources.base import Option, SourceError
from farwatch.sources.http import ApiClient, expect, parse_retry_after
from farwatch.sources.model import TimeEntry
from farwatch.sources.netopts import clean_text
from farwatch.sources.tracker import (
    TrackerSource,
    Users,
    common_options,
    ident,
    number,
    parse_time,
)

API = "https://api.track.toggl.com/api/v9"
REPORTS = "https://api.track.toggl.com/reports/api/v3"


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
            hint = f"; it refills in {wait:.0f} s" if wait is not None else ""
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
    options: ClassVar[tuple[Option, ...]] = (
        Option("workspace", "str", required=True, help="Toggl workspace id"),
        *common_options(API),
        Option("reports_url", "url", default=REPORTS, help="Reports API v3 base URL"),
    )

    def __init__(self, name: str, options: Any) -> None:
        super().__init__(name, options)
        self.workspace = str(self.opt("workspace") or "")
        self.reports_url = str(self.opt("reports_url") or REPORTS).rstrip("/")

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
        return {
            str(r.get("id")): str(r.get("email") or "").lower()
            for r in rows
            if isinstance(r, dict) and r.get("id")
        }

    def fetch_running(self, now: datetime) -> list[TimeEntry]:
        url = f"{self.base_url}/workspaces/{self.workspace}/dashboard/all_activity"
        rows = expect(list, self.api.get_json(url), self.name, "dashboard activity")
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
        if row.get("stop"):
            return None  # the latest activity was a finished entry
        duration = number(row.get("duration"))
        if duration is None:
            self.skip("running timer", "duration is not a number")
            return None
        if duration >= 0:
            return None  # finished, without a stop time
        user = ident(row.get("user_id"))
        if user is None:
            self.skip("running timer", "user_id is not an id")
            return None
        try:
            start = datetime.fromtimestamp(int(-duration), UTC)
        except (OverflowError, OSError, ValueError):
            self.skip("running timer", "duration is out of range")
            return None
        return TimeEntry(
            key=f"toggl:{user}:{int(-duration)}",
            who=self.who(user),
            start=start,
            end=None,
            task=clean_text(row.get("description"), 200),
        )

    def fetch_entries(self, start: datetime, end: datetime) -> list[TimeEntry]:
        url = f"{self.reports_url}/workspace/{self.workspace}/search/time_entries"
        body: dict[str, Any] = {
            "start_date": start.date().isoformat(),
            "end_date": end.date().isoformat(),
            "page_size": self.page_size,
        }
        entries: list[TimeEntry] = []
        while True:
            response = self.api.request("POST", url, json_body=body)
            rows = expect(list, self.api.json(response), self.name, "time entry search")
            for row in rows:
                entries.extend(self._rows(row))
            next_id = response.headers.get("X-Next-ID")
            next_row = response.headers.get("X-Next-Row-Number")
            if not next_id or not next_row:
                return entries
            try:
                body = {**body, "first_id": int(next_id), "first_row_number": int(next_row)}
            except ValueError:
                raise SourceError(
                    f"{self.name}: unreadable paging headers from Toggl",
                    title="bad response",
                    kind="parse",
                ) from None

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
                continue  # running: reported by all_activity
            out.append(
                TimeEntry(
                    key=f"toggl:{user}:{int(start.timestamp())}",
                    who=who,
                    start=start,
                    end=stop,
                    task=task,
                )
            )
        return out
