"""``clockify`` source: running timers and hours for a whole Clockify workspace.

Calls (see ``farwatch.sources.tracker`` for the per-poll budget):

* running: ``GET /workspaces/{wid}/time-entries/status/in-progress`` paged with
  ``page``/``page-size`` until a short page;
* hours: ``POST {reports}/workspaces/{wid}/reports/detailed`` paged with
  ``detailedFilter.page``/``pageSize``; rows carry ``userEmail``;
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
from farwatch.sources.tracker import TrackerSource, Users, common_options, parse_time

API = "https://api.clockify.me/api/v1"
REPORTS = "https://reports.api.clockify.me/v1"


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

    def _paged(self, url: str, params: dict[str, Any], what: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.api.get_json(
                url, params={**params, "page": page, "page-size": self.page_size}
            )
            items = expect(list, body, self.name, what)
            rows.extend(item for item in items if isinstance(item, dict))
            if len(items) < self.page_size:
                return rows
            page += 1

    def fetch_users(self) -> Users:
        rows = self._paged(f"{self.base_url}/workspaces/{self.workspace}/users", {}, "users")
        return {str(r.get("id")): str(r.get("email") or "").lower() for r in rows if r.get("id")}

    def fetch_running(self, now: datetime) -> list[TimeEntry]:
        url = f"{self.base_url}/workspaces/{self.workspace}/time-entries/status/in-progress"
        entries = []
        for row in self._paged(url, {}, "running time entries"):
            interval = _interval(row)
            start = parse_time(interval.get("start"))
            if start is None or not row.get("id"):
                continue
            entries.append(
                TimeEntry(
                    key=f"clockify:{row['id']}",
                    who=self.who(row.get("userId")),
                    start=start,
                    end=None,
                    task=clean_text(row.get("description"), 200),
                )
            )
        return entries

    def fetch_entries(self, start: datetime, end: datetime) -> list[TimeEntry]:
        url = f"{self.reports_url}/workspaces/{self.workspace}/reports/detailed"
        entries: list[TimeEntry] = []
        page = 1
        while True:
            body = {
                "dateRangeStart": _iso(start),
                "dateRangeEnd": _iso(end),
                "exportType": "JSON",
                "detailedFilter": {"page": page, "pageSize": self.report_page_size},
            }
            data = expect(
                dict,
                self.api.json(self.api.request("POST", url, json_body=body)),
                self.name,
                "detailed report",
            )
            rows = expect(list, data.get("timeentries", []), self.name, "detailed report")
            for row in rows:
                entry = self._report_entry(row) if isinstance(row, dict) else None
                if entry is not None:
                    entries.append(entry)
            if len(rows) < self.report_page_size:
                return entries
            page += 1

    def _report_entry(self, row: dict[str, Any]) -> TimeEntry | None:
        interval = _interval(row)
        start, stop = parse_time(interval.get("start")), parse_time(interval.get("end"))
        ident = row.get("_id") or row.get("id")
        if start is None or stop is None or not ident:
            return None  # running entries come from the in-progress call
        task = clean_text(row.get("description"), 200) or clean_text(row.get("projectName"), 200)
        return TimeEntry(
            key=f"clockify:{ident}",
            who=self.who(row.get("userId"), row.get("userEmail")),
            start=start,
            end=stop,
            task=task,
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
