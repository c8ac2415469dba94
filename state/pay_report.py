"""Pay figures as documents: ``pay --json`` (version 1), ``--csv`` and the statement text.

The JSON document is a contract like ``status --json``: fields are only ever
added within a version; amounts are decimal strings (never floats), instants
ISO 8601 UTC with ``Z``, unknown values ``null``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from farwatch.state.currency import UNKNOWN_MARK, is_iso_currency
from farwatch.state.pay import CurrencyTotal, PayReport, Piece, WorkerPay
from farwatch.state.text import strip_control

VERSION = 1

CSV_COLUMNS = (
    "id",
    "name",
    "period_start",
    "period_end",
    "hours_logged",
    "hours_payable",
    "hours_over_cap",
    "rate",
    "currency",
    "amount_payable",
    "amount_over_cap",
    "provisional",
)


def instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def hours(seconds: float) -> float:
    """Hours to the second's precision (4 decimals), as a JSON number."""
    return round(seconds / 3600, 4)


def money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def worker_json(w: WorkerPay) -> dict[str, Any]:
    return {
        "id": strip_control(w.id),
        "name": strip_control(w.name),
        "period_start": instant(w.period_start),
        "period_end": instant(w.period_end),
        "hours_logged": hours(w.seconds_logged),
        "hours_payable": hours(w.seconds_payable),
        "hours_over_cap": hours(w.seconds_over_cap),
        "rate": money(w.rate),
        "currency": w.currency,
        "amount_payable": money(w.amount_payable),
        "amount_over_cap": money(w.amount_over_cap),
        "provisional": w.provisional,
    }


def total_json(t: CurrencyTotal) -> dict[str, Any]:
    return {
        "currency": t.currency,
        "hours_payable": hours(t.seconds_payable),
        "amount_payable": str(t.amount_payable),
        "amount_over_cap": str(t.amount_over_cap),
    }


def pay_json(report: PayReport) -> dict[str, Any]:
    return {
        "version": VERSION,
        "generated_at": instant(report.generated_at),
        "workers": [worker_json(w) for w in report.workers],
        "totals": [total_json(t) for t in report.totals],
    }


def pay_csv(report: PayReport) -> str:
    """One row per worker with a header row: plain numbers, ready for a payroll import."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for w in report.workers:
        row = worker_json(w)
        row["provisional"] = "yes" if w.provisional else "no"
        writer.writerow(["" if row[c] is None else _csv_safe(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _csv_safe(value: object) -> str:
    """A plain number (``2``, ``2.5``), or text a spreadsheet will not run as a formula."""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    text = str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def statement_digest(workers: Iterable[WorkerPay]) -> str:
    """A hash of the figures an approval covers: the same figures give the same hash."""
    document = [{**worker_json(w), "pieces": [piece_json(p) for p in w.pieces]} for w in workers]
    data = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


def piece_json(p: Piece) -> dict[str, Any]:
    return {
        "start": instant(p.start),
        "end": instant(p.end),
        "hours": hours(p.seconds),
        "task": strip_control(p.task),
        "payable": p.payable,
        "running": p.running,
    }


def format_money(amount: Decimal | None, currency: str | None) -> str:
    """``$1,234.50``, ``¥12,000``, ``BHD 1.250``: CLDR's way (Babel), never by hand.

    A code that is not ISO 4217 (``PESO``) is shown as written and marked:
    ``300.00 PESO?``, never formatted as if it were a currency Babel knows.
    """
    if amount is None:
        return "—"
    if not currency:
        return f"{amount:,}"
    if not is_iso_currency(currency):
        return f"{amount:,} {strip_control(currency)}{UNKNOWN_MARK}"
    from babel.numbers import UnknownCurrencyError, format_currency

    try:
        return str(format_currency(amount, currency, locale="en_US", currency_digits=True))
    except (UnknownCurrencyError, ValueError):
        return f"{amount:,} {currency}"


def payable_line(report_totals: Iterable[CurrencyTotal]) -> str:
    """``payable $1,234.50 · ₱12,000.00``: this period's totals, one per currency.

    Currencies are listed side by side, never added; hours without a rate or a
    currency have no amount and are left to the pay screen.
    """
    amounts = [
        format_money(t.amount_payable, t.currency)
        for t in report_totals
        if t.currency and (t.amount_payable or t.workers_without_rate == 0)
    ]
    return f"payable {' · '.join(amounts)}" if amounts else ""


def statement_text(w: WorkerPay) -> str:
    """One worker's statement: entries by local day, the split, and the total.

    Plain text for email and chat alike; the worker sees the owner's numbers.
    """
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(w.timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    first = w.period_start.astimezone(zone)
    last = w.period_end.astimezone(zone)
    cap = "no cap" if w.cap_hours is None else f"cap {w.cap_hours:g} h per {w.cap_period}"
    lines = [
        f"Statement for {strip_control(w.name)}",
        f"{first:%a %d %b %Y %H:%M} to {last:%a %d %b %Y %H:%M} ({w.timezone}); {cap}",
        "",
    ]
    day = None
    for p in w.pieces:
        start, end = p.start.astimezone(zone), p.end.astimezone(zone)
        if start.date() != day:
            day = start.date()
            lines.append(f"{start:%a %d %b %Y}")
        split = "payable " if p.payable else "over cap"
        running = "  (timer running)" if p.running else ""
        task = strip_control(p.task).strip() or "(no task)"
        lines.append(
            f"  {start:%H:%M}-{end:%H:%M}  {hours(p.seconds):>7.2f} h  {split}  {task}{running}"
        )
    if not w.pieces:
        lines.append("  no time logged in this range")
    rate = "no rate agreed" if w.rate is None else f"{format_money(w.rate, w.currency)} an hour"
    lines += [
        "",
        f"Hours logged:   {hours(w.seconds_logged):.2f}",
        f"Payable:        {hours(w.seconds_payable):.2f} h at {rate}"
        + (f" = {format_money(w.amount_payable, w.currency)}" if w.rate is not None else ""),
        f"Over the cap:   {hours(w.seconds_over_cap):.2f} h (not paid)",
    ]
    if w.provisional:
        lines.append("Provisional: a timer is still running; these figures will change.")
    return "\n".join(lines) + "\n"
