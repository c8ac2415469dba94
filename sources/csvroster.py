"""Turn a roster CSV (a local file or a Google Sheets export) into ``RosterRow``s.

Owners edit rosters by hand in a spreadsheet, so the text is messy: values come
as *displayed* ("$15.00", "1,234", "20 h"), rows are padded with trailing
commas, blank rows and BOMs appear, and a stray quote can swallow the rest of
the file. One bad row must never cost the owner the whole roster, so every
problem becomes a warning naming the CSV line and the row is skipped (or the
value dropped, when the rest of the row is still useful).
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from email.utils import parseaddr
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from farwatch.sources.filestamp import MAX_FILE_BYTES
from farwatch.sources.imref import ImRefError, parse_im_ref
from farwatch.sources.model import CAP_PERIODS, CapPeriod, RosterRow, SourceWarning
from farwatch.sources.text import strip_control

MAX_CELL = 2000
"""Characters kept per cell; a pasted novel in a cell is cut, not refused."""
MAX_QUOTE_RETRIES = 50

# The csv module refuses a field over 128 KB by default, which would cost a
# whole row for one pasted novel; every CSV farwatch reads is at most
# MAX_FILE_BYTES, so any field it can hold is read (and then cut to MAX_CELL).
csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_SPACES = re.compile(r"\s+")

COLUMNS = (
    "id",
    "name",
    "email",
    "task",
    "cap_hours",
    "cap_period",
    "rate",
    "currency",
    "timezone",
    "hours",
    "days",
    "category",
    "im",
    "tracker_id",
    "aliases",
)
# Headers people actually type, mapped to the canonical column.
_HEADER_ALIASES = {
    "worker_id": "id",
    "worker": "name",
    "full_name": "name",
    "e_mail": "email",
    "mail": "email",
    "cap": "cap_hours",
    "hours_cap": "cap_hours",
    "cap_h": "cap_hours",
    "period": "cap_period",
    "tz": "timezone",
    "time_zone": "timezone",
    "working_hours": "hours",
    "work_hours": "hours",
    "working_days": "days",
    "work_days": "days",
    "hourly_rate": "rate",
    "chat": "im",
    "tracker": "tracker_id",
    "tracker_user": "tracker_id",
    "alias": "aliases",
    "current_task": "task",
}
_PERIODS: dict[str, CapPeriod] = {
    "day": "day",
    "daily": "day",
    "per day": "day",
    "d": "day",
    "week": "week",
    "weekly": "week",
    "per week": "week",
    "wk": "week",
    "w": "week",
    "month": "month",
    "monthly": "month",
    "per month": "month",
    "mo": "month",
    "m": "month",
    "task": "task",
    "per task": "task",
    "total": "task",
    "project": "task",
}
# Unambiguous currency symbols only: "$" alone could be any of a dozen dollars.
_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "₱": "PHP",
    "₦": "NGN",
    "₹": "INR",
    "₴": "UAH",
    "৳": "BDT",
    "R$": "BRL",
    "₩": "KRW",
    "₫": "VND",
    "₺": "TRY",
    "₽": "RUB",
    "zł": "PLN",
}
_HOURS_SUFFIX = re.compile(
    r"\s*(?:h|hrs?|hours?)?\.?\s*(?:(?:/|per\s)\s*(?:wk|week|day|d|month|mo|task))?\s*$", re.I
)
_RATE_SUFFIX = re.compile(r"\s*(?:/|per\s)\s*(?:h|hr|hour)\.?\s*$", re.I)
_HMM = re.compile(r"^(\d{1,4}):([0-5]\d)$")
_CODE = re.compile(r"\b([A-Z]{3})\b")
_PLAIN_ADDRESS = re.compile(r"[^\s<>\"(),;:@\[\]\\]+@[^\s<>\"(),;:@\[\]\\]+")


class RosterFormatError(ValueError):
    """The text is not a roster at all (empty, or no ``name`` column)."""


@dataclass(slots=True)
class RosterParse:
    """Rows that could be used, and one warning per problem (with its line)."""

    rows: list[RosterRow] = field(default_factory=list)
    warnings: list[SourceWarning] = field(default_factory=list)
    skipped: int = 0
    lines: list[int] = field(default_factory=list)
    """The CSV line each of ``rows`` starts on."""


def parse_roster(text: str, *, delimiter: str | None = None) -> RosterParse:
    """Parse roster CSV text.

    The delimiter is guessed from the header when not given: Excel in many
    European locales saves "CSV" with semicolons, and TSV pastes use tabs.

    Raises:
        RosterFormatError: no header row, no ``name`` column, or a header and
            no row at all — a wrong file or tab, or a sheet caught mid-edit,
            which must not silently empty the roster.
    """
    out = RosterParse()
    text = text.removeprefix("\ufeff")
    records = csv_records(text, out.warnings, delimiter or sniff_delimiter(text))
    header: list[str] | None = None
    titles: list[str] = []
    header_line = 0
    for line, cells in records:
        if _blank(cells) or cells[0].lstrip().startswith("#"):
            continue  # blank, only commas, or a comment row an owner left for themselves
        if header is None:
            header, header_line = [_header(c) for c in cells], line
            titles = [_clean(c, limit=80) for c in cells]
            continue
        row = _row(line, header, titles, cells, out)
        if row is not None:
            out.rows.append(row)
            out.lines.append(line)
    if header is None:
        raise RosterFormatError("the roster is empty (no header row)")
    if "name" not in header:
        shown = ", ".join(h for h in header if h) or "none"
        raise RosterFormatError(
            f"the roster has no 'name' column on line {header_line} (columns: {shown[:200]})"
        )
    if not out.rows and not out.skipped and not out.warnings:
        raise RosterFormatError(
            f"the roster has no worker rows, only a header on line {header_line}"
        )
    _unique_ids(out)
    return out


def sniff_delimiter(text: str) -> str:
    """The most common of ``,`` ``;`` tab on the first non-blank line (comma on ties)."""
    for line in text.splitlines()[:50]:
        if line.strip(" ,;\t"):
            counts = {d: line.count(d) for d in (",", ";", "\t")}
            best = max(counts, key=lambda d: (counts[d], d == ","))
            return best if counts[best] else ","
    return ","


def csv_records(
    text: str, warnings: list[SourceWarning], delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the physical line each starts on.

    A stray quote (``"24 inch monitor setup``) makes the csv module read the
    following lines into that one cell. When a record spans lines and one of
    the swallowed lines has as many delimiters as the header has columns, the
    quote is read as text instead, the lines after it are parsed again as rows,
    and a warning says so. A quote that is never closed at the end of the file
    costs that one row, with a warning. Restarting costs only the lines already
    read, so the whole parse stays linear.
    """
    lines = _LINE.findall(text)
    if any("\x00" in ln for ln in lines):
        for i, ln in enumerate(lines, 1):
            if "\x00" in ln:
                warnings.append(SourceWarning("note", f"line {i}: NUL characters removed"))
        lines = [ln.replace("\x00", "") for ln in lines]
    start, width, retries = 0, 0, 0
    while start < len(lines):
        feed = _Feed(lines, start)
        reader = csv.reader(feed, delimiter=delimiter)
        prev = 0
        try:
            for row in reader:
                first, span, prev = start + prev + 1, reader.line_num - prev, reader.line_num
                if span > 1 and _swallows(lines[first : first + span - 1], delimiter, width):
                    last = first + span - 1
                    warnings.append(
                        SourceWarning(
                            "note",
                            f"line {first}: a quote opened here runs to line {last}; "
                            f"read it as text, and lines {first + 1}-{last} as their own rows",
                        )
                    )
                    yield first, _literal(lines[first - 1], delimiter, width)
                    start = first
                    break
                open_at_end = feed.done and retries < MAX_QUOTE_RETRIES
                if open_at_end and _unterminated(lines[first - 1 :], delimiter):
                    warnings.append(
                        SourceWarning(
                            "skipped", f"line {first}: a quote is never closed; row skipped"
                        )
                    )
                    start, retries = first, retries + 1
                    break
                if not width and not _blank(row):
                    width = len(row)
                yield first, row
            else:
                return
        except csv.Error as exc:  # e.g. a field over the csv module's size limit
            warnings.append(
                SourceWarning(
                    "skipped", f"line {start + prev + 1}: unreadable ({exc}); row skipped"
                )
            )
            start = start + max(reader.line_num, prev + 1)


class _Feed:
    """Lines from ``start`` on, one at a time; ``done`` once the last was handed out."""

    def __init__(self, lines: list[str], start: int) -> None:
        self._lines, self._at = lines, start

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self._at >= len(self._lines):
            raise StopIteration
        self._at += 1
        return self._lines[self._at - 1]

    @property
    def done(self) -> bool:
        return self._at >= len(self._lines)


def _swallows(inner: list[str], delimiter: str, width: int) -> bool:
    """Lines read into one quoted cell that look like rows of their own."""
    return width > 1 and any(ln.count(delimiter) >= width - 1 for ln in inner)


def _literal(line: str, delimiter: str, width: int) -> list[str]:
    """One line's cells with its unpaired quote read as text."""
    plain = next(csv.reader([line], delimiter=delimiter, quoting=csv.QUOTE_NONE), [])
    if len(plain) <= max(width, 1) or line.count('"') == 1:
        return plain
    return next(csv.reader([line.rstrip("\r\n") + '"'], delimiter=delimiter), [])


def _unterminated(lines: list[str], delimiter: str) -> bool:
    try:
        for _ in csv.reader(iter(lines), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def _header(cell: str) -> str:
    name = _clean(cell).lower().strip()
    name = re.sub(r"[\s\-./]+", "_", name).strip("_")
    return _HEADER_ALIASES.get(name, name)


def _clean(value: str, *, limit: int = MAX_CELL) -> str:
    """One-line text: escape sequences and control characters dropped, spaces collapsed."""
    value = strip_control(value)
    return _SPACES.sub(" ", value).strip()[:limit]


def _row(
    line: int, header: list[str], titles: list[str], cells: list[str], out: RosterParse
) -> RosterRow | None:
    values: dict[str, str] = {}
    extra: dict[str, str] = {}
    for i, raw in enumerate(cells):
        value = _clean(raw)
        key = header[i] if i < len(header) else ""
        if key in COLUMNS:
            if key not in values:
                values[key] = value
            elif value:
                extra.setdefault(f"{key} ({i + 1})", value)
        elif value:
            title = titles[i] if i < len(titles) and titles[i] else f"column {i + 1}"
            extra[title] = value
    problems: list[str] = []
    name = values.get("name", "")
    if not name:
        problems.append("no name")
    cap = _number(values.get("cap_hours", ""), "cap_hours", problems, hours=True)
    rate = _number(values.get("rate", ""), "rate", problems)
    period = _period(values.get("cap_period", ""), problems)
    tz = _timezone(values.get("timezone", ""), problems)
    if problems:
        out.warnings.append(
            SourceWarning("skipped", f"line {line}: {'; '.join(problems)}; row skipped")
        )
        out.skipped += 1
        return None
    email = _email(values.get("email", ""), line, out.warnings)
    aliases = tuple(
        a
        for a in (
            _email(p, line, out.warnings) for p in re.split(r"[;,]", values.get("aliases", ""))
        )
        if a and a != email
    )
    im = values.get("im", "")
    try:
        parse_im_ref(im)
    except ImRefError as exc:
        out.warnings.append(SourceWarning("skipped", f"line {line}: {exc}"))
        im = ""
    currency = values.get("currency", "").upper() or _currency_of(values.get("rate", ""))
    return RosterRow(
        worker_id=values.get("id", ""),
        name=name,
        email=email,
        task=values.get("task", ""),
        cap_hours=cap,
        cap_period=period,
        rate=rate,
        currency=currency,
        timezone=tz,
        hours=values.get("hours", ""),
        days=values.get("days", ""),
        category=values.get("category", ""),
        im=im,
        tracker_id=values.get("tracker_id", ""),
        aliases=aliases,
        extra=extra,
    )


def parse_number(text: str, *, hours: bool = False) -> float | None:
    """A displayed number: "$15.00", "1,234", "€12,50", "20 h", "7:30" (hours).

    Returns None for an empty cell. A single comma followed by one or two
    digits is a decimal comma ("12,50"); otherwise commas group thousands.

    Raises:
        ValueError: the text is not a number.
    """
    value = text.strip().replace("\u00a0", "").replace("\u202f", "").replace("'", "")
    if value in {"", "-", "—", "–", "n/a", "N/A", "na", "none"}:
        return None
    if hours:
        value = _HOURS_SUFFIX.sub("", value)
        hm = _HMM.match(value)
        if hm:
            return int(hm.group(1)) + int(hm.group(2)) / 60
    # drop currency symbols and ISO codes around the digits, and a "/h" unit
    value = _RATE_SUFFIX.sub("", value.replace("R$", "").replace("zł", ""))
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Sc")
    value = re.sub(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$", "", value.strip()).replace(" ", "")
    if not re.fullmatch(r"[+-]?[\d.,]*\d[\d.,]*", value):
        raise ValueError(text)
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):  # 1.234,50
            value = value.replace(".", "").replace(",", ".")
        else:  # 1,234.50
            value = value.replace(",", "")
    elif "," in value:
        if re.fullmatch(r"[+-]?\d+,\d{1,2}", value):
            value = value.replace(",", ".")
        elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", value):
            value = value.replace(",", "")
        else:
            raise ValueError(text)
    elif value.count(".") > 1:
        if not re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", value):
            raise ValueError(text)
        value = value.replace(".", "")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(text)
    return number


def _number(text: str, column: str, problems: list[str], *, hours: bool = False) -> float | None:
    try:
        number = parse_number(text, hours=hours)
    except ValueError:
        problems.append(f"{column} {_show(text)} is not a number")
        return None
    if number is not None and number < 0:
        problems.append(f"{column} {_show(text)} is negative")
        return None
    return number


def _period(text: str, problems: list[str]) -> CapPeriod | Literal[""]:
    if not text:
        return ""
    key = text.lower().strip()
    period = _PERIODS.get(key) or _PERIODS.get(key.removesuffix("s"))
    if period is None:
        problems.append(f"cap_period {_show(text)} is not one of {', '.join(CAP_PERIODS)}")
        return "week"
    return period


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def _timezone(text: str, problems: list[str]) -> str:
    if not text:
        return ""
    name = text.replace(" ", "_") if "/" in text else text
    canonical = _zones().get(name.lower())
    if canonical is None and name.upper() in {"UTC", "GMT", "Z"}:
        canonical = "UTC"
    if canonical is None:
        problems.append(f"timezone {_show(text)} unknown ({_zone_hint(name)})")
        return "UTC"
    try:
        ZoneInfo(canonical)
    except (ValueError, OSError, KeyError):
        problems.append(f"timezone {_show(text)} cannot be loaded")
        return "UTC"
    return canonical


@lru_cache(maxsize=256)
def _zone_hint(name: str) -> str:
    """ "did you mean Asia/Manila?" for a near miss, else an example of a valid name."""
    zones = _zones()
    close = get_close_matches(name.lower(), zones, n=1, cutoff=0.8)
    return f"did you mean {zones[close[0]]}?" if close else "an IANA timezone such as Asia/Manila"


def _email(text: str, line: int, warnings: list[SourceWarning]) -> str:
    text = text.strip()
    if not text:
        return ""
    if _PLAIN_ADDRESS.fullmatch(text):  # the usual cell: no need for the full RFC 5322 parser
        return text.lower()
    _, addr = parseaddr(text)
    addr = (addr or text).strip().lower()
    if "@" not in addr or " " in addr:
        warnings.append(
            SourceWarning("note", f"line {line}: email {_show(text)} does not look like an address")
        )
    return addr


def _currency_of(rate: str) -> str:
    for symbol in sorted(_SYMBOLS, key=len, reverse=True):
        if symbol in rate:
            return _SYMBOLS[symbol]
    code = _CODE.search(rate)
    return code.group(1) if code else ""


@lru_cache(maxsize=4096)
def slug(name: str) -> str:
    """A stable id from a name: "José Núñez" → "jose-nunez"; non-Latin names hash."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    if text:
        return text
    return "w-" + hashlib.sha1(name.encode("utf-8", "replace")).hexdigest()[:8]


def _unique_ids(out: RosterParse) -> None:
    """Fill missing ids from names; explicit duplicates are errors, made ones get -2, -3.

    Also warn (without skipping) when two workers share an email, because
    check-ins from that address can only go to one of them.
    """
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}
    rows: list[RosterRow] = []
    lines: list[int] = []
    emails: dict[str, int] = {}
    explicit = {r.worker_id for r in out.rows if r.worker_id}
    for row, line in zip(out.rows, out.lines, strict=True):
        if row.worker_id:
            if row.worker_id in taken:
                out.warnings.append(
                    SourceWarning(
                        "skipped",
                        f"line {line}: id {_show(row.worker_id)} is already used; row skipped",
                    )
                )
                out.skipped += 1
                continue
            taken.add(row.worker_id)
        else:
            base = slug(row.name)
            candidate, n = base, next_suffix.get(base, 2)
            while candidate in taken or candidate in explicit:
                candidate, n = f"{base}-{n}", n + 1
            next_suffix[base] = n  # the next duplicate starts here: linear, not quadratic
            taken.add(candidate)
            row = replace(row, worker_id=candidate)
        for address in (row.email, *row.aliases):
            if address and address in emails:
                out.warnings.append(
                    SourceWarning(
                        "note",
                        f"line {line}: email {_show(address)} is also on line {emails[address]}",
                    )
                )
            elif address:
                emails[address] = line
        rows.append(row)
        lines.append(line)
    out.rows, out.lines = rows, lines


def _show(text: str) -> str:
    return repr(text[:60] + ("…" if len(text) > 60 else ""))
