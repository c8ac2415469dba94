"""Pay: what each worker is owed for a range, with time past the cap left unpaid.

The rules (the README's "Pay" section says the same):

- A worker's time is counted once: entries from every source are merged as a
  union of intervals (``state/intervals.py``), the same time burn reads.
- Within each of the worker's cap periods (day / week / month on their own
  calendar, or the whole task), time is taken in chronological order: the
  first ``cap_hours`` are payable, the rest is over cap. A piece of work that
  crosses the cap is split at the exact instant. Without a cap all is payable.
- A range sums the payable and over-cap time that falls inside it; the split
  is computed over whole cap periods, so a range that starts mid-week still
  knows what the week had used before it.
- Amount = payable hours × rate, in ``Decimal``, rounded half-even to the
  currency's minor unit once, at the end. Currencies are never added together.
- A running timer counts up to ``now`` and makes the worker's figures
  provisional.

Everything here is a pure function of the cache snapshot, the statuses, the
settings and ``now``, like derive.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from farwatch.sources.model import TimeEntry
from farwatch.state.derive import placed, schedule_for
from farwatch.state.intervals import worked_time
from farwatch.state.matching import WorkerIndex
from farwatch.state.settings import Settings
from farwatch.state.snapshot import CacheSnapshot
from farwatch.state.status import WorkerStatus
from farwatch.state.workhours import Schedule

HOUR = Decimal(3600)

# ISO 4217 minor units for the currencies whose unit is not the usual 2
# digits; Babel (used for display) agrees, but the arithmetic must not depend
# on a display library being importable.
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI"),
        0,
    ),
    **dict.fromkeys(("VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def minor_unit(currency: str | None) -> int:
    """Digits after the point for ``currency`` (2 unless ISO 4217 says otherwise)."""
    return MINOR_UNITS.get((currency or "").upper(), 2)


def round_money(amount: Decimal, currency: str | None) -> Decimal:
    """Half-even to the currency's minor unit: ``JPY`` 0 digits, ``BHD`` 3."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of counted work, wholly payable or wholly over the cap."""

    start: datetime
    end: datetime
    seconds: float
    """Usually ``end - start``; accrued time (before a timer started) has no span."""
    task: str
    source: str
    payable: bool
    running: bool


@dataclass(frozen=True, slots=True)
class WorkerPay:
    """One worker's figures for a range."""

    id: str
    name: str
    period_start: datetime
    period_end: datetime
    seconds_logged: float
    seconds_payable: float
    seconds_over_cap: float
    rate: Decimal | None
    currency: str | None
    amount_payable: Decimal | None
    amount_over_cap: Decimal | None
    provisional: bool
    cap_hours: float | None
    cap_period: str
    timezone: str
    pieces: tuple[Piece, ...]
    """Chronological, clipped to the range: the statement's lines."""
    no_such_period: bool = False
    """A previous cap period was asked of a worker capped per ``task``: the task is
    one period with nothing before it, so the figures (all 0) mean nothing."""

    @property
    def hours_logged(self) -> float:
        return self.seconds_logged / 3600

    @property
    def hours_payable(self) -> float:
        return self.seconds_payable / 3600

    @property
    def hours_over_cap(self) -> float:
        return self.seconds_over_cap / 3600


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str | None
    seconds_payable: float
    amount_payable: Decimal
    amount_over_cap: Decimal
    workers_without_rate: int


@dataclass(frozen=True, slots=True)
class PayReport:
    generated_at: datetime
    workers: tuple[WorkerPay, ...]
    totals: tuple[CurrencyTotal, ...]


@dataclass(frozen=True, slots=True)
class PayRange:
    """Local dates, inclusive, in each worker's timezone; None: a cap period of each worker's.

    ``periods_back`` picks which one when no dates are given: 0 the current
    period up to now, 1 the whole one before it, and so on.
    """

    first: date | None = None
    last: date | None = None
    periods_back: int = 0

    @property
    def is_current_period(self) -> bool:
        return self.first is None and self.last is None


def pay_report(
    snapshot: CacheSnapshot,
    statuses: Sequence[WorkerStatus],
    settings: Settings,
    now: datetime,
    dates: PayRange | None = None,
) -> PayReport:
    """Every worker's pay for ``dates`` (default: their current cap period up to ``now``)."""
    dates = dates or PayRange()
    roster = {row.worker_id: row for row in snapshot.all_roster()}
    entries = _entries_by_worker(snapshot)
    workers = []
    for status in statuses:
        row = roster.get(status.id)
        if row is None:
            continue
        schedule, _ = schedule_for(row, settings.defaults)
        workers.append(
            worker_pay(status, schedule, entries.get(status.id, []), row.task, now, dates)
        )
    return PayReport(now, tuple(workers), totals(workers))


def _entries_by_worker(snapshot: CacheSnapshot) -> dict[str, list[tuple[str, TimeEntry]]]:
    index = WorkerIndex.of(snapshot.all_roster())
    grouped: dict[str, list[tuple[str, TimeEntry]]] = {}
    for source, rows in snapshot.entries.items():
        for entry in rows:
            worker_id = index.match(entry.who)
            if worker_id is not None:
                grouped.setdefault(worker_id, []).append((source, entry))
    return grouped


def worker_pay(
    status: WorkerStatus,
    schedule: Schedule,
    entries: Sequence[tuple[str, TimeEntry]],
    roster_task: str,
    now: datetime,
    dates: PayRange,
) -> WorkerPay:
    """One worker's pay over ``dates`` (see the module's rules)."""
    entries = [(s, placed(e, schedule)) for s, e in entries]  # date-only: the worker's day
    period = status.cap_period
    if period == "task":
        wanted = roster_task.strip().casefold()
        entries = [(s, e) for s, e in entries if not wanted or e.task.strip().casefold() == wanted]
    start, end = _range(schedule, period, now, dates, entries)
    cap = None if status.cap_hours is None else max(0.0, status.cap_hours) * 3600.0
    pieces = _counted_pieces(entries, now)
    split = _split_by_cap(pieces, schedule, period, cap, start, end)
    clipped = [c for p in split if (c := _clip(p, start, end)) is not None]
    payable = sum(p.seconds for p in clipped if p.payable)
    over = sum(p.seconds for p in clipped if not p.payable)
    rate = _decimal_rate(status.rate)
    currency = status.currency.strip().upper() or None
    amount_payable = amount_over = None
    if rate is not None:
        amount_payable = round_money(Decimal(str(payable)) / HOUR * rate, currency)
        amount_over = round_money(Decimal(str(over)) / HOUR * rate, currency)
    return WorkerPay(
        id=status.id,
        name=status.name,
        period_start=start,
        period_end=end,
        seconds_logged=payable + over,
        seconds_payable=payable,
        seconds_over_cap=over,
        rate=rate,
        currency=currency,
        amount_payable=amount_payable,
        amount_over_cap=amount_over,
        provisional=any(p.running for p in clipped),
        cap_hours=status.cap_hours,
        cap_period=period,
        timezone=status.timezone,
        pieces=tuple(clipped),
        no_such_period=period == "task" and dates.is_current_period and dates.periods_back > 0,
    )


def totals(workers: Iterable[WorkerPay]) -> tuple[CurrencyTotal, ...]:
    """Per currency, never across currencies; workers without a rate add hours only."""
    seconds: dict[str | None, float] = {}
    paid: dict[str | None, Decimal] = {}
    unpaid: dict[str | None, Decimal] = {}
    no_rate: dict[str | None, int] = {}
    for w in workers:
        key = w.currency
        seconds[key] = seconds.get(key, 0.0) + w.seconds_payable
        paid.setdefault(key, Decimal(0))
        unpaid.setdefault(key, Decimal(0))
        no_rate[key] = no_rate.get(key, 0) + (w.amount_payable is None)
        if w.amount_payable is not None and w.amount_over_cap is not None:
            paid[key] += w.amount_payable
            unpaid[key] += w.amount_over_cap
    ordered = sorted(seconds, key=lambda c: (c is None, c or ""))
    return tuple(CurrencyTotal(c, seconds[c], paid[c], unpaid[c], no_rate[c]) for c in ordered)


def _decimal_rate(rate: float | None) -> Decimal | None:
    """The roster's rate as the decimal the owner wrote (``15.1``, not 15.0999…)."""
    if rate is None or not math.isfinite(rate) or rate < 0:
        return None
    return Decimal(str(rate))


# -- the range and the periods ---------------------------------------------------


def _range(
    schedule: Schedule,
    period: str,
    now: datetime,
    dates: PayRange,
    entries: Sequence[tuple[str, TimeEntry]],
) -> tuple[datetime, datetime]:
    """[start, end) of the range in UTC, never past ``now``."""
    if dates.is_current_period:
        start = schedule.period_start(period, now)
        if start is None:  # a task cap: the whole history counts, and there is no "before"
            began = min((e.start for _, e in entries), default=now)
            return (began, now) if dates.periods_back == 0 else (began, began)
        end = now
        for _ in range(dates.periods_back):
            end = start
            before = schedule.period_start(period, start - timedelta(seconds=1))
            assert before is not None
            start = before
        return start, end
    first = dates.first or dates.last
    last = dates.last or dates.first
    assert first is not None and last is not None
    start = _local_midnight(schedule, first)
    end = min(_local_midnight(schedule, last + timedelta(days=1)), now)
    return start, max(start, end)


def _local_midnight(schedule: Schedule, day: date) -> datetime:
    """The instant ``day`` begins on the worker's calendar (UTC)."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=schedule.tz)
    start = schedule.period_start("day", noon)
    assert start is not None
    return start


def _counted_pieces(entries: Sequence[tuple[str, TimeEntry]], now: datetime) -> list[Piece]:
    """The worker's time counted once, as chronological pieces owned by one entry each."""
    source_of = {id(e): s for s, e in entries}
    worked = worked_time((e for _, e in entries), now)
    pieces: list[Piece] = []
    reach: datetime | None = None
    for entry in worked.entries:
        source = source_of.get(id(entry), "")
        running = entry.end is None and entry.start <= now
        if entry.accrued_seconds > 0:
            at = entry.start
            pieces.append(Piece(at, at, entry.accrued_seconds, entry.task, source, True, running))
        stop = entry.end if entry.end is not None and entry.end < now else now
        begin = entry.start if reach is None or entry.start > reach else reach
        if stop > begin:
            seconds = (stop - begin).total_seconds()
            pieces.append(Piece(begin, stop, seconds, entry.task, source, True, running))
            reach = stop
    pieces.sort(key=lambda p: (p.start, p.end))
    return pieces


def _split_by_cap(
    pieces: Sequence[Piece],
    schedule: Schedule,
    period: str,
    cap: float | None,
    start: datetime,
    end: datetime,
) -> list[Piece]:
    """Pieces cut at period starts and at the instant each period's cap is reached."""
    if cap is None:
        return list(pieces)
    out: list[Piece] = []
    used: dict[datetime | None, float] = {}
    periods = _PeriodFinder(schedule, period)
    for piece in _cut_at_periods(pieces, periods):
        key = periods.start_of(piece.start)
        before = used.get(key, 0.0)
        left = cap - before
        used[key] = before + piece.seconds
        if left >= piece.seconds:
            out.append(piece)
        elif left <= 0:
            out.append(replace(piece, payable=False))
        else:
            out.extend(_cut(piece, left))
    return out


class _PeriodFinder:
    """The cap period an instant falls in, asking the calendar only at a new period.

    Pieces come in time order, so the last period found is almost always the
    right one; timezone arithmetic per piece would cost more than the split.
    """

    def __init__(self, schedule: Schedule, period: str) -> None:
        self.schedule = schedule
        self.period = period
        self._start: datetime | None = None
        self._end: datetime | None = None

    def _find(self, at: datetime) -> None:
        if self._start is not None and self._end is not None and self._start <= at < self._end:
            return
        self._start = self.schedule.period_start(self.period, at)
        self._end = self.schedule.period_end(self.period, at)

    def start_of(self, at: datetime) -> datetime | None:
        """None for a task cap: one period, the whole history."""
        if self.period == "task":
            return None
        self._find(at)
        return self._start

    def end_of(self, at: datetime) -> datetime | None:
        if self.period == "task":
            return None
        self._find(at)
        return self._end


def _cut_at_periods(pieces: Iterable[Piece], periods: _PeriodFinder) -> Iterable[Piece]:
    for piece in pieces:
        current = piece
        while current.end > current.start:
            boundary = periods.end_of(current.start)
            if boundary is None or boundary >= current.end:
                break
            head, tail = _cut_at(current, boundary)
            yield head
            current = tail
        yield current


def _cut(piece: Piece, payable_seconds: float) -> list[Piece]:
    """Split at the exact instant the cap is reached: payable head, over-cap tail."""
    if piece.end == piece.start:  # accrued time has no instant: split the seconds
        return [
            replace(piece, seconds=payable_seconds),
            replace(piece, seconds=piece.seconds - payable_seconds, payable=False),
        ]
    head, tail = _cut_at(piece, piece.start + timedelta(seconds=payable_seconds))
    return [head, replace(tail, payable=False)]


def _cut_at(piece: Piece, at: datetime) -> tuple[Piece, Piece]:
    head = (at - piece.start).total_seconds()
    return (
        replace(piece, end=at, seconds=head),
        replace(piece, start=at, seconds=piece.seconds - head),
    )


def _clip(piece: Piece, start: datetime, end: datetime) -> Piece | None:
    """The part of ``piece`` inside [start, end); accrued time goes with its instant."""
    if piece.start == piece.end:
        return piece if start <= piece.start < end else None
    lo = max(piece.start, start)
    hi = min(piece.end, end)
    if hi <= lo:
        return None
    if lo == piece.start and hi == piece.end:
        return piece
    return replace(piece, start=lo, end=hi, seconds=(hi - lo).total_seconds())
