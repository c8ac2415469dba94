"""Pay rules with figures worked out by hand (written in each test, never recomputed).

Each test states the team, the entries and what an owner would compute on
paper: which hours are payable, which are over the cap, and the money.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from farwatch.sources.model import TimeEntry
from farwatch.state.pay import PayRange, WorkerPay, totals, worker_pay
from farwatch.state.status import WorkerStatus
from farwatch.state.workhours import Schedule


def worker(
    *,
    tz: str = "UTC",
    cap: float | None = None,
    period: str = "week",
    rate: float | None = 15.0,
    currency: str = "USD",
    wid: str = "ana",
) -> WorkerStatus:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return WorkerStatus(
        id=wid,
        name=wid.capitalize(),
        email=f"{wid}@example.com",
        category="VA",
        timezone=tz,
        local_time=now,
        task="Invoices",
        task_source="roster",
        running=False,
        paused=False,
        working_now=True,
        last_checkin=None,
        last_checkin_subject="",
        checkin_age=None,
        checkin_work_age=None,
        checkin_level="never",
        hours_used=0.0,
        cap_hours=cap,
        cap_period=period,
        period_start=None,
        burn=None,
        burn_level="no_cap",
        cap_eta=None,
        checkins_total=0,
        rate=rate,
        currency=currency,
    )


def entry(start: str, end: str | None, key: str = "", task: str = "Invoices") -> TimeEntry:
    begin = datetime.fromisoformat(start)
    stop = datetime.fromisoformat(end) if end else None
    return TimeEntry(key or f"e-{start}", "ana@example.com", begin, stop, task)


def pay(
    status: WorkerStatus,
    entries: list[TimeEntry],
    now: str,
    first: date | None = None,
    last: date | None = None,
    sources: list[str] | None = None,
) -> WorkerPay:
    schedule = Schedule.parse(status.timezone, "00:00-24:00", "daily")
    named = [((sources or [])[i] if sources else "log", e) for i, e in enumerate(entries)]
    when = datetime.fromisoformat(now)
    return worker_pay(status, schedule, named, "Invoices", when, PayRange(first, last))


def test_an_entry_that_crosses_the_cap_is_split_to_the_second() -> None:
    """Cap 9.5 h a week. Monday 8 h, Tuesday from 09:00:30: the cap is reached
    1 h 30 min into Tuesday, at 10:30:30; the rest of Tuesday (to 13:00) is over."""
    ana = worker(cap=9.5)
    entries = [
        entry("2026-03-02T09:00:00+00:00", "2026-03-02T17:00:00+00:00"),
        entry("2026-03-03T09:00:30+00:00", "2026-03-03T13:00:00+00:00"),
    ]
    result = pay(ana, entries, "2026-03-04T12:00:00+00:00")
    assert result.seconds_logged == 8 * 3600 + 3 * 3600 + 59 * 60 + 30
    assert result.seconds_payable == 9.5 * 3600
    assert result.seconds_over_cap == 2 * 3600 + 29 * 60 + 30
    tuesday = [p for p in result.pieces if p.start.day == 3]
    assert [(p.start.time().isoformat(), p.end.time().isoformat(), p.payable) for p in tuesday] == [
        ("09:00:30", "10:30:30", True),
        ("10:30:30", "13:00:00", False),
    ]
    assert result.amount_payable == Decimal("142.50")  # 9.5 h x 15
    assert result.amount_over_cap == Decimal("37.38")  # 2.491666… h x 15 = 37.375 -> even: .38
    assert result.period_start == datetime(2026, 3, 2, tzinfo=UTC)
    assert not result.provisional


def test_a_week_across_the_autumn_clock_change_in_london() -> None:
    """London's week of Mon 19 Oct 2026 has 169 hours (clocks go back on Sun 25th).
    Cap 10 h. Monday 09:00-17:00 BST is 8 h. Sunday 00:30 BST to 02:30 GMT is 3 real
    hours (23:30Z to 02:30Z), so the cap falls 2 h in, at 01:30Z: 2 h payable, 1 h over.
    Monday 26th 00:30-01:30 GMT is the next week and not in this range."""
    ana = worker(tz="Europe/London", cap=10)
    entries = [
        entry("2026-10-19T09:00:00+01:00", "2026-10-19T17:00:00+01:00"),
        entry("2026-10-24T23:30:00+00:00", "2026-10-25T02:30:00+00:00"),
        entry("2026-10-26T00:30:00+00:00", "2026-10-26T01:30:00+00:00"),
    ]
    result = pay(ana, entries, "2026-10-28T12:00:00+00:00", date(2026, 10, 19), date(2026, 10, 25))
    assert result.period_start == datetime(2026, 10, 18, 23, 0, tzinfo=UTC)  # Mon 00:00 BST
    assert result.period_end == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)  # Mon 00:00 GMT
    assert result.seconds_logged == 11 * 3600
    assert result.seconds_payable == 10 * 3600
    assert result.seconds_over_cap == 1 * 3600
    over = [p for p in result.pieces if not p.payable]
    assert [(p.start, p.end) for p in over] == [
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 2, 30, tzinfo=UTC))
    ]


def test_a_monthly_cap_on_kiritimati_counts_the_workers_own_month() -> None:
    """UTC+14: November begins at 2026-10-31T10:00Z. An entry 09:00Z-11:00Z on 31 Oct
    is 1 h in October and 1 h in November. Then 20 h on 2 Nov: the month has 21 h,
    cap 20 h: 20 h payable, 1 h over. Rate 10 USD: 200.00 payable, 10.00 not paid."""
    ana = worker(tz="Pacific/Kiritimati", cap=20, period="month", rate=10)
    entries = [
        entry("2026-10-31T09:00:00+00:00", "2026-10-31T11:00:00+00:00"),
        entry("2026-11-02T00:00:00+00:00", "2026-11-02T20:00:00+00:00"),
    ]
    result = pay(ana, entries, "2026-11-20T00:00:00+00:00", date(2026, 11, 1), date(2026, 11, 30))
    assert result.period_start == datetime(2026, 10, 31, 10, 0, tzinfo=UTC)
    assert result.seconds_logged == 21 * 3600
    assert (result.seconds_payable, result.seconds_over_cap) == (20 * 3600, 3600)
    assert (result.amount_payable, result.amount_over_cap) == (Decimal("200.00"), Decimal("10.00"))


def test_a_range_starting_mid_week_knows_what_the_week_already_used() -> None:
    """Cap 10 h a week. Monday 8 h (before the range), Wednesday 4 h, Thursday 3 h.
    Range Wed-Thu: 2 h of Wednesday are payable, its other 2 h and all of Thursday over."""
    ana = worker(cap=10)
    entries = [
        entry("2026-03-02T09:00:00+00:00", "2026-03-02T17:00:00+00:00"),
        entry("2026-03-04T09:00:00+00:00", "2026-03-04T13:00:00+00:00"),
        entry("2026-03-05T09:00:00+00:00", "2026-03-05T12:00:00+00:00"),
    ]
    result = pay(ana, entries, "2026-03-06T12:00:00+00:00", date(2026, 3, 4), date(2026, 3, 5))
    assert result.seconds_logged == 7 * 3600
    assert result.seconds_payable == 2 * 3600
    assert result.seconds_over_cap == 5 * 3600
    assert result.amount_payable == Decimal("30.00")
    assert result.amount_over_cap == Decimal("75.00")


def test_the_same_hour_from_two_sources_is_paid_once() -> None:
    """A tracker says 09:00-12:00, the time log 10:00-13:00: 4 hours of work, not 6."""
    ana = worker(rate=20)
    entries = [
        entry("2026-03-02T09:00:00+00:00", "2026-03-02T12:00:00+00:00", "tracker-1"),
        entry("2026-03-02T10:00:00+00:00", "2026-03-02T13:00:00+00:00", "log-1"),
    ]
    result = pay(ana, entries, "2026-03-03T00:00:00+00:00", sources=["clockify", "hours"])
    assert result.seconds_logged == 4 * 3600
    assert result.amount_payable == Decimal("80.00")


def test_yen_have_no_minor_unit_and_dinars_three_rounded_half_even() -> None:
    """JPY 1233/h for 30 min = 616.5 -> 616 (half-even; half-up would say 617).
    BHD 2.335/h for 90 min = 3.5025 -> 3.502 (half-up would say 3.503)."""
    yen = worker(rate=1233, currency="JPY", wid="ken")
    half_hour = [entry("2026-03-02T09:00:00+00:00", "2026-03-02T09:30:00+00:00")]
    ken = pay(yen, half_hour, "2026-03-03T00:00:00+00:00")
    assert ken.amount_payable == Decimal("616")
    dinar = worker(rate=2.335, currency="BHD", wid="ali")
    ninety = [entry("2026-03-02T09:00:00+00:00", "2026-03-02T10:30:00+00:00")]
    ali = pay(dinar, ninety, "2026-03-03T00:00:00+00:00")
    assert ali.amount_payable == Decimal("3.502")
    by_currency = {t.currency: t for t in totals([ken, ali])}
    assert by_currency["JPY"].amount_payable == Decimal("616")
    assert by_currency["BHD"].amount_payable == Decimal("3.502")  # never added to the yen


def test_a_worker_without_a_rate_gets_hours_and_no_amount() -> None:
    bo = worker(rate=None, wid="bo")
    result = pay(
        bo,
        [entry("2026-03-02T09:00:00+00:00", "2026-03-02T11:00:00+00:00")],
        "2026-03-03T00:00:00+00:00",
    )
    assert result.seconds_payable == 2 * 3600
    assert result.amount_payable is None and result.amount_over_cap is None
    [total] = totals([result])
    assert total.workers_without_rate == 1 and total.amount_payable == Decimal(0)


def test_a_running_timer_counts_up_to_now_and_is_provisional() -> None:
    """Started 09:00, now 11:15: 2.25 h at 10/h = 22.50, provisional."""
    ana = worker(rate=10)
    result = pay(ana, [entry("2026-03-02T09:00:00+00:00", None)], "2026-03-02T11:15:00+00:00")
    assert result.seconds_logged == 2.25 * 3600
    assert result.amount_payable == Decimal("22.50")
    assert result.provisional
    assert result.period_end == datetime(2026, 3, 2, 11, 15, tzinfo=UTC)


def test_the_default_range_is_the_current_cap_period_up_to_now() -> None:
    """Weekly cap: last week's 5 h are not in this week's pay."""
    ana = worker(cap=40)
    entries = [
        entry("2026-02-27T09:00:00+00:00", "2026-02-27T14:00:00+00:00"),  # last Friday
        entry("2026-03-03T09:00:00+00:00", "2026-03-03T10:00:00+00:00"),
    ]
    result = pay(ana, entries, "2026-03-04T00:00:00+00:00")
    assert result.period_start == datetime(2026, 3, 2, tzinfo=UTC)
    assert result.seconds_logged == 3600
    assert result.period_end - result.period_start == timedelta(days=2)


def test_the_previous_period_is_the_whole_cap_period_before_this_one() -> None:
    """Weekly cap 4 h: last week (Mon 23 Feb - Mon 2 Mar) had 5 h, 4 payable and 1 over;
    this week's hour is not in it."""
    ana = worker(cap=4)
    entries = [
        entry("2026-02-27T09:00:00+00:00", "2026-02-27T14:00:00+00:00"),
        entry("2026-03-03T09:00:00+00:00", "2026-03-03T10:00:00+00:00"),
    ]
    schedule = Schedule.parse("UTC", "00:00-24:00", "daily")
    named = [("log", e) for e in entries]
    now = datetime(2026, 3, 4, tzinfo=UTC)
    result = worker_pay(ana, schedule, named, "Invoices", now, PayRange(periods_back=1))
    assert (result.period_start, result.period_end) == (
        datetime(2026, 2, 23, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert (result.seconds_payable, result.seconds_over_cap) == (4 * 3600, 3600)


def test_a_task_cap_has_no_previous_period_and_says_so() -> None:
    """The whole task is the one period: asking for the one before gives no figures
    and a flag the pay screen shows, not a 0 h row dated like this one."""
    ana = worker(cap=4, period="task")
    entries = [entry("2026-02-27T09:00:00+00:00", "2026-02-27T14:00:00+00:00")]
    schedule = Schedule.parse("UTC", "00:00-24:00", "daily")
    named = [("log", e) for e in entries]
    now = datetime(2026, 3, 4, tzinfo=UTC)
    current = worker_pay(ana, schedule, named, "Invoices", now, PayRange())
    assert not current.no_such_period and current.seconds_payable == 4 * 3600
    before = worker_pay(ana, schedule, named, "Invoices", now, PayRange(periods_back=1))
    assert before.no_such_period and before.seconds_logged == 0 and before.pieces == ()
    weekly = worker_pay(worker(cap=4), schedule, named, "Invoices", now, PayRange(periods_back=1))
    assert not weekly.no_such_period
