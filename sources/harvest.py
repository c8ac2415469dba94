"""``harvest`` source: running timers and hours for a whole Harvest account.

Calls (see ``farwatch.sources.tracker`` for the per-poll budget), always
following ``links.next`` (it may be a cursor URL):

* running: ``GET /v2/time_entries?is_running=true``;
* hours: ``GET /v2/time_entries?from=YYYY-MM-DD&to=YYYY-MM-DD``;
* users: ``GET /v2/users``;
* stop: find the running entry, then ``PATCH /v2/time_entries/{id}/stop``
  (422 means it is no longer running).

Harvest restarts timers on an existing entry, so a running entry is
``accrued_seconds = hours_without_timer * 3600`` plus ``now - timer_started_at``.
Stopped entries carry hours on a ``spent_date`` — the worker's own date — but
no instant (``timer_started_at`` is null once stopped; ``started_time`` is a
wall-clock time without a timezone), so they are date-only entries: ``day`` is
the ``spent_date`` and ``state`` counts them on that day of the worker's
calendar, never later than the moment they were read
(help.getharvest.com/api-v2/timesheets-api/timesheets/time-entries/).
``from``/``to`` filter on ``spent_date``, so they are asked a day wider on each
side than the window (``date_span``: every roster timezone).

A page whose ``links.next`` is missing while ``page`` is below ``total_pages``
ended the listing early: an error, never a complete window.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from farwatch.sources.base import Option, SourceError, StopResult, TimerNotRunning
from farwatch.sources.http import ApiClient
from farwatch.sources.model import TimeEntry
from farwatch.sources.netopts import clean_text
from farwatch.sources.tracker import (
    MAX_ENTRY_HOURS,
    Listing,
    TrackerSource,
    Users,
    common_options,
    date_only_instant,
    date_span,
    ident,
    list_field,
    malformed,
    number,
    parse_time,
)

API = "https://api.harvestapp.com/v2"


class HarvestSource(TrackerSource):
    """Harvest account: everyone's running timer in one call, hours from entries."""

    type_name: ClassVar[str] = "harvest"
    description: ClassVar[str] = "running timers and hours from a Harvest account"
    can_stop_timer: ClassVar[bool] = True
    page_size: ClassVar[int] = 2000
    options: ClassVar[tuple[Option, ...]] = (
        Option("account", "str", required=True, help="Harvest account id"),
        *common_options(API),
        Option(
            "contact",
            "str",
            default="owner@example.com",
            help="email for Harvest's required User-Agent",
        ),
    )

    def __init__(self, name: str, options: Any) -> None:
        super().__init__(name, options)
        self.account = str(self.opt("account") or "")

    def make_client(self) -> ApiClient:
        return ApiClient(
            self.name,
            base_urls=[self.base_url],
            credentials={
                "Authorization": f"Bearer {self.secret('api_key_env')}",
                "Harvest-Account-Id": self.account,
            },
            headers={
                "User-Agent": f"farwatch ({self.opt('contact')})",
                "Accept": "application/json",
            },
            timeout=self.timeout,
            budget=self.request_budget,
        )

    def _follow(self, path: str, params: dict[str, Any], key: str, listing: Listing) -> list[Any]:
        """Every item under ``key`` (as sent: callers check each), following ``links.next``."""
        rows: list[Any] = []
        url = f"{self.base_url}{path}"
        query: dict[str, Any] | None = {**params, "per_page": self.page_size}
        pager = self.pager(listing, key)
        while True:
            data = self.api.get_json(url, params=query)
            items = list_field(self.name, data, (key,), key)
            rows.extend(items)
            nxt = self._next_link(data, key)
            if nxt is not None:  # refused unless on the API's origin, before anything else
                nxt = self.api.next_page(nxt, base=url)
            ids = [str(i.get("id")) for i in items if isinstance(i, dict)]
            if not pager.more(ids, nxt):
                return rows
            assert nxt is not None  # more() is False without a next link
            url, query = nxt, None  # the next link carries its own query

    def _next_link(self, data: dict[str, Any], key: str) -> str | None:
        """``links.next``, or None at the last page; an early end is an error."""
        links = data.get("links")
        nxt = links.get("next") if isinstance(links, dict) else None
        if isinstance(nxt, str) and nxt:
            return nxt
        page, total = data.get("page"), data.get("total_pages")
        if isinstance(page, int) and isinstance(total, int) and page < total:
            raise malformed(
                self.name,
                key,
                f"links.next is missing on page {page} of {total} (total_pages)",
            )
        return None

    def fetch_users(self) -> Users:
        rows = self._follow("/users", {}, "users", "users")
        users = [r for r in rows if isinstance(r, dict) and r.get("id")]
        self.user_names = {
            str(r.get("id")): clean_text(
                f"{clean_text(r.get('first_name'))} {clean_text(r.get('last_name'))}", 100
            )
            for r in users
        }
        return {str(r.get("id")): str(r.get("email") or "").lower() for r in users}

    def _entry(self, row: Any) -> TimeEntry | None:
        """One time entry; None (counted by ``skip``) when a field has the wrong type."""
        if not isinstance(row, dict):
            self.skip("time entry", "not an object")
            return None
        running = row.get("is_running") is True  # not just truthy: "false" is a string
        what = "running timer" if running else "time entry"
        entry_id = ident(row.get("id"))
        if entry_id is None:
            self.skip(what, "id is not an id")
            return None
        user = row.get("user")
        uid = ident(user.get("id")) if isinstance(user, dict) else None
        if uid is None:
            self.skip(what, "user is not an object with an id")
            return None
        notes = clean_text(row.get("notes"), 200)
        who_name = self.who_name(uid, user.get("name") if isinstance(user, dict) else None)
        names = [
            clean_text((row.get(k) or {}).get("name"), 100)
            for k in ("project", "task")
            if isinstance(row.get(k), dict)
        ]
        task = notes or " / ".join(n for n in names if n)
        if running:
            start = parse_time(row.get("timer_started_at"))
            if start is None:
                self.skip(what, "timer_started_at is not a date-time")
                return None
            accrued = _hours(row.get("hours_without_timer"))
            if accrued is None:
                self.skip(what, "hours_without_timer is not a number of hours")
                return None
            return TimeEntry(
                key=f"harvest:{entry_id}",
                who=self.who(uid),
                start=start,
                end=None,
                task=task,
                accrued_seconds=accrued * 3600.0,
                who_name=who_name,
            )
        spent = row.get("spent_date")
        try:
            day = date.fromisoformat(spent) if isinstance(spent, str) else None
        except ValueError:
            day = None
        if day is None:
            self.skip(what, "spent_date is not a date")
            return None
        hours = _hours(row.get("hours"))
        if hours is None:
            self.skip(what, "hours is not a number of hours")
            return None
        at = date_only_instant(day, self.read_at)
        return TimeEntry(
            key=f"harvest:{entry_id}",
            who=self.who(uid),
            start=at,
            end=at,
            task=task,
            accrued_seconds=hours * 3600.0,
            day=day,
            who_name=who_name,
        )

    def _entries(self, params: dict[str, Any], listing: Listing) -> list[TimeEntry]:
        out = []
        for row in self._follow("/time_entries", params, "time_entries", listing):
            entry = self._entry(row)
            if entry is not None:
                out.append(entry)
        return out

    def fetch_running(self, now: datetime) -> list[TimeEntry]:
        return [e for e in self._entries({"is_running": "true"}, "running") if e.running]

    def fetch_entries(self, start: datetime, end: datetime) -> list[TimeEntry]:
        first, last = date_span(start, end)
        return self._entries({"from": first.isoformat(), "to": last.isoformat()}, "entries")

    def stop_timer(self, who: str, now: datetime) -> StopResult:
        """Stop ``who``'s running timer (admins, or managers of that teammate)."""
        uid = self.resolve_user(who)
        running = self._follow(
            "/time_entries", {"is_running": "true", "user_id": uid}, "time_entries", "running"
        )
        mine = [
            r
            for r in running
            if isinstance(r, dict)
            and isinstance(r.get("user"), dict)
            and str(r["user"].get("id")) == uid
        ]
        if not mine:
            raise TimerNotRunning(f"{self.name}: {who} has no running timer")
        entry_id = mine[0].get("id")
        response = self.api.request(
            "PATCH", f"{self.base_url}/time_entries/{entry_id}/stop", ok=(422,)
        )
        if response.status_code == 422:
            raise TimerNotRunning(f"{self.name}: {who}'s timer was already stopped")
        body = self.api.json(response)
        if not isinstance(body, dict):
            raise SourceError(
                f"{self.name}: unexpected answer to stop", kind="parse", title="bad response"
            )
        return StopResult(
            entry_key=f"harvest:{entry_id}", stopped_at=now, task=clean_text(body.get("notes"), 200)
        )


def _hours(value: Any) -> float | None:
    """Hours on an entry (missing means none yet), or None when not a sane number."""
    if value is None:
        return 0.0
    hours = number(value)
    return hours if hours is not None and 0.0 <= hours <= MAX_ENTRY_HOURS else None
