"""``clockify`` source: running timers and hours for a whole Clockify workspace.

Calls (see ``farwatch.sources.tracker`` for the per-poll budget):

* running: ``GET /workspaces/{wid}/time-entries/status/in-progress`` paged with
  ``page``/``page-size`` until a short page;
* hours: ``POST {reports}/workspaces/{wid}/reports/detailed`` paged with
  ``detailedFilter.page``/``pageSize``; rows carry ``userEmail``. The range is
  read as wall-clock time of the key owner's profile timezone, so it is asked
  12 h earlier and 14 h later than wanted (every roster timezone) and the rows
  are kept by their instants. A report whose ``totals[0].entriesCount`` says
  more rows than its pages held ended early: an error, not a complete window;
* users: ``GET /workspaces/{wid}/users`` paged the same way;
* stop: ``PATCH /workspaces/{wid}/user/{uid}/time-entries`` with ``{"end": now}``;
  404 means nothing was running.

Running elapsed time is ``now - timeInterval.start``. The Free plan limits a
report to 31 days, hence that default lookback.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from farwatch.sources.base import Option, StopResult, TimerNotRunning
from farwatch.sources.http import ApiClient, expect
from farwatch.sources.model import TimeEntry
from farwatch.sources.netopts import clean_text
from farwatch.sources.tracker import (
    Listing,
    TrackerSource,
    Users,
    common_options,
    ident,
    list_field,
    malformed,
    parse_time,
    wide_span,
)

API = "https://api.clockify.me/api/v1"
REPORTS = "https://reports.api.clockify.me/v1"

REPORT_LIST_KEYS = ("timeEntries", "timeentries")
"""Clockify's API specification names the detailed report's list ``timeEntries``
(docs.clockify.me, Reports API, "Generate detailed report"); client libraries
report that the live API has answered ``timeentries`` too and read both (see
/work/shared/APIS.md, "Corrections"). Either is accepted; neither is an error."""


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _interval(row: dict[str, Any]) -> dict[str, Any]:
    """The row's ``timeInterval``, or {} when the API sent something else."""
    interval = row.get("timeInterval")
    return interval if isinstance(interval, dict) else {}


class ClockifySource(TrackerSource):
    """Clockify workspace: every running timer in one call, hours from a report."""

    type_name: ClassVar[str] = "clockify"
    description: ClassVar[str] = "running timers and hours from a Clockify workspace"
    can_stop_timer: ClassVar[bool] = True
    page_size: ClassVar[int] = 500
    report_page_size: ClassVar[int] = 1000
    options: ClassVar[tuple[Option, ...]] = (
        Option("workspace", "str", required=True, help="Clockify workspace id"),
        *common_options(API, lookback="31d"),
        Option("reports_url", "url", default=REPORTS, help="Reports API base URL"),
    )

    def __init__(self, name: str, options: Any) -> None:
        super().__init__(name, options)
        self.workspace = str(self.opt("workspace") or "")
        self.reports_url = str(self.opt("reports_url") or REPORTS).rstrip("/")

    def make_client(self) -> ApiClient:
        return ApiClient(
            self.name,
            base_urls=[self.base_url, self.reports_url],
            credentials={"X-Api-Key": self.secret("api_key_env")},
            headers={"Accept": "application/json"},
            timeout=self.timeout,
            budget=self.request_budget,
        )

    def _paged(
        self, url: str, params: dict[str, Any], what: str, listing: Listing
    ) -> list[dict[str, Any]]:
        """Every row of a bare-array listing, until a short page (or the pager stops)."""
        rows: list[dict[str, Any]] = []
        pager = self.pager(listing, what)
        page = 1
        while True:
            body = self.api.get_json(
                url, params={**params, "page": page, "page-size": self.page_size}
            )
            items = expect(list, body, self.name, what)
            rows.extend(item for item in items if isinstance(item, dict))
            if len(items) < self.page_size:
                return rows
            ids = [str(i.get("id")) for i in items if isinstance(i, dict)]
            if not pager.more(ids, page + 1):
                return rows
            page += 1

    def fetch_users(self) -> Users:
        rows = self._paged(
            f"{self.base_url}/workspaces/{self.workspace}/users", {}, "users", "users"
        )
        self.user_names = {
            str(r.get("id")): clean_text(r.get("name"), 100) for r in rows if r.get("id")
        }
        return {str(r.get("id")): str(r.get("email") or "").lower() for r in rows if r.get("id")}

    def fetch_running(self, now: datetime) -> list[TimeEntry]:
        url = f"{self.base_url}/workspaces/{self.workspace}/time-entries/status/in-progress"
        entries = []
        for row in self._paged(url, {}, "running time entries", "running"):
            start = parse_time(_interval(row).get("start"))
            entry_id = ident(row.get("id"))
            if entry_id is None:
                self.skip("running timer", "id is not an id")
                continue
            if ident(row.get("userId")) is None:
                self.skip("running timer", "userId is not an id")
                continue
            if start is None:
                self.skip("running timer", "timeInterval.start is not a date-time")
                continue
            entries.append(
                TimeEntry(
                    key=f"clockify:{entry_id}",
                    who=self.who(row.get("userId")),
                    start=start,
                    end=None,
                    task=clean_text(row.get("description"), 200),
                    who_name=self.who_name(row.get("userId")),
                )
            )
        return entries

    def fetch_entries(self, start: datetime, end: datetime) -> list[TimeEntry]:
        url = f"{self.reports_url}/workspaces/{self.workspace}/reports/detailed"
        first, last = wide_span(start, end)
        entries: list[TimeEntry] = []
        pager = self.pager("entries", "detailed report")
        page = 1
        while True:
            body = {
                "dateRangeStart": _iso(first),
                "dateRangeEnd": _iso(last),
                "exportType": "JSON",
                "detailedFilter": {"page": page, "pageSize": self.report_page_size},
            }
            data = self.api.json(self.api.request("POST", url, json_body=body))
            rows = list_field(self.name, data, REPORT_LIST_KEYS, "detailed report")
            for row in rows:
                entry = self._report_entry(row)
                if entry is not None:
                    entries.append(entry)
            if len(rows) < self.report_page_size:
                self._check_count(data, pager.rows + len(rows))
                return entries
            ids = [str(r.get("_id") or r.get("id")) for r in rows if isinstance(r, dict)]
            if not pager.more(ids, page + 1):
                return entries
            page += 1

    def _check_count(self, data: dict[str, Any], received: int) -> None:
        """A report that promised more rows than its pages held ended early."""
        totals = data.get("totals")
        first = totals[0] if isinstance(totals, list) and totals else None
        promised = first.get("entriesCount") if isinstance(first, dict) else None
        if isinstance(promised, int) and not isinstance(promised, bool) and promised > received:
            raise malformed(
                self.name,
                "detailed report",
                f"totals[0].entriesCount is {promised} but the pages ended after {received} rows",
            )

    def _report_entry(self, row: Any) -> TimeEntry | None:
        if not isinstance(row, dict):
            self.skip("time entry", "not an object")
            return None
        interval = _interval(row)
        start, stop = parse_time(interval.get("start")), parse_time(interval.get("end"))
        entry_id = ident(row.get("_id") or row.get("id"))
        if entry_id is None:
            self.skip("time entry", "_id is not an id")
            return None
        if start is None:
            self.skip("time entry", "timeInterval.start is not a date-time")
            return None
        if stop is None:
            return None  # running: the in-progress call reports it
        if not self.who(row.get("userId"), row.get("userEmail")):
            self.skip("time entry", "neither userEmail nor userId names a user")
            return None
        task = clean_text(row.get("description"), 200) or clean_text(row.get("projectName"), 200)
        return TimeEntry(
            key=f"clockify:{entry_id}",
            who=self.who(row.get("userId"), row.get("userEmail")),
            start=start,
            end=stop,
            task=task,
            who_name=self.who_name(row.get("userId"), row.get("userName")),
        )

    def stop_timer(self, who: str, now: datetime) -> StopResult:
        """Stop ``who``'s running timer (needs a workspace admin's key)."""
        uid = self.resolve_user(who)
        url = f"{self.base_url}/workspaces/{self.workspace}/user/{uid}/time-entries"
        response = self.api.request("PATCH", url, json_body={"end": _iso(now)}, ok=(404,))
        if response.status_code == 404:
            raise TimerNotRunning(f"{self.name}: {who} has no running timer")
        body = self.api.json(response)
        row = body if isinstance(body, dict) else {}
        return StopResult(
            entry_key=f"clockify:{row.get('id', '')}",
            stopped_at=now,
            task=clean_text(row.get("description"), 200),
        )
