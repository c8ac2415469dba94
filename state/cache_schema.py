"""The cache's schema, checked per document on load.

A cache file of the right shape can still hold a document of the wrong types
(a roster ``name`` that is a number, ``cap_hours`` as a string, ``who: null``,
a time in year 1): an older or newer farwatch, a hand edit, a disk error.
One such document must not cost the whole file, nor crash ``status``, so each
is checked here before the index is built: a bad one is dropped and named,
and its source's cursor is dropped too, so the next poll reads that source
again in full instead of answering "unchanged" and keeping the gap.

A file whose top-level shape is wrong is not this module's business:
``storage.parse_tables`` refuses it and the cache moves it aside.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args

from farwatch.sources.model import CAP_PERIODS, CheckinKind, time_in_range

Check = Callable[[Any], str | None]
"""None when the value is fine, else what is wrong with it."""


@dataclass(frozen=True, slots=True)
class Dropped:
    """One document the cache could not use."""

    table: str
    doc_id: str
    source: str
    problem: str

    def describe(self) -> str:
        who = f" of source {self.source!r}" if self.source else ""
        return f"{self.table} record {self.doc_id}{who}: {self.problem}"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else f"is {_kind(value)}, not text"


def _count(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else f"is {_kind(value)}, not a whole number"


def _number_or_none(value: Any) -> str | None:
    if value is None:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return None if ok else f"is {_kind(value)}, not a number"


def _seconds(value: Any) -> str | None:
    problem = _number_or_none(value)
    if problem is None and (value is None or value < 0):
        return "is not a number of seconds"
    return problem


def _time(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"is {_kind(value)}, not a time"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return f"{value[:40]!r} is not a time"
    if parsed.tzinfo is None:
        return f"{value[:40]!r} has no UTC offset"
    if not time_in_range(parsed):
        return f"{value[:40]!r} is outside the years farwatch computes with"
    return None


def _time_or_none(value: Any) -> str | None:
    return None if value is None else _time(value)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else _text(value)


def _one_of(*allowed: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"{str(value)[:40]!r} is not one of {allowed}"

    return check


def _texts(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return None if ok else "is not a list of texts"


def _text_map(value: Any) -> str | None:
    ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return None if ok else "is not an object of texts"


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"is {_kind(value)}, not an object"


def _list_or_none(value: Any) -> str | None:
    return None if value is None or isinstance(value, list) else "is not a list"


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


_ROSTER: dict[str, Check] = {
    "source": _text,
    "worker_id": _text,
    "name": _text,
    **dict.fromkeys(
        (
            "email",
            "task",
            "currency",
            "timezone",
            "hours",
            "days",
            "category",
            "im",
            "tracker_id",
        ),
        _text,
    ),
    "cap_hours": _number_or_none,
    "rate": _number_or_none,
    "cap_period": _one_of("", *CAP_PERIODS),
    "aliases": _texts,
    "extra": _text_map,
}
_CHECKINS: dict[str, Check] = {
    "source": _text,
    "key": _text,
    "who": _text,
    "at": _time,
    "subject": _text,
    "first_line": _text,
    "kind": _one_of(*get_args(CheckinKind)),
    "task": _text,
}
_ENTRIES: dict[str, Check] = {
    "source": _text,
    "key": _text,
    "who": _text,
    "start": _time,
    "end": _time_or_none,
    "task": _text,
    "accrued_seconds": _seconds,
    "who_name": _text,
    "seen": _time,
}
_CURSORS: dict[str, Check] = {"source": _text, "cursor": _object}
_HEALTH: dict[str, Check] = {
    "name": _text,
    "type": _text,
    "last_success": _time_or_none,
    "last_attempt": _time_or_none,
    "last_error": _text_or_none,
    "last_error_title": _text_or_none,
    "last_error_kind": _text_or_none,
    "last_error_at": _time_or_none,
    "consecutive_failures": _count,
    "next_poll": _time_or_none,
    "requests": _count,
    "records": _count,
    "last_records": _count,
    "warnings": _list_or_none,
    "warnings_total": _count,
}

SCHEMA: dict[str, tuple[dict[str, Check], tuple[str, ...]]] = {
    "roster": (_ROSTER, ("source", "worker_id", "name")),
    "checkins": (_CHECKINS, ("source", "key", "who", "at", "subject")),
    "entries": (_ENTRIES, ("source", "key", "who", "start")),
    "cursors": (_CURSORS, ("source", "cursor")),
    "health": (_HEALTH, ("name", "type")),
}
"""Per table: each field's check, and the fields a document must have."""


_CHECKIN_FIELDS = frozenset(_CHECKINS)
_CHECKIN_REQUIRED = frozenset(SCHEMA["checkins"][1])
_CHECKIN_KINDS = frozenset(get_args(CheckinKind))


def _plainly_usable_checkin(doc: Mapping[str, Any]) -> bool:
    """True for the usual check-in: known fields only, all text, a good kind and time.

    A cache holds ~100,000 check-ins and the generic per-field walk was most
    of the load time; this answers for the common case in a few C-level
    steps. False means "look closer" (``problem_of`` then names the problem).
    """
    keys = doc.keys()
    return (
        keys <= _CHECKIN_FIELDS
        and keys >= _CHECKIN_REQUIRED
        and {*map(type, doc.values())} == {str}
        and doc.get("kind", "checkin") in _CHECKIN_KINDS
        and _time(doc["at"]) is None
    )


_ENTRY_REQUIRED = frozenset(SCHEMA["entries"][1])


def _plainly_usable_entry(doc: Mapping[str, Any]) -> bool:
    """True for the usual time entry (texts, a float of seconds, times in order).

    The same shortcut as for check-ins: a cache holds thousands and they are
    checked at every start; False means "look closer".
    """
    start, end, seen = doc["start"], doc.get("end"), doc.get("seen")
    accrued = doc.get("accrued_seconds", 0.0)
    if not (
        type(doc["source"]) is str
        and type(doc["key"]) is str
        and type(doc["who"]) is str
        and type(doc.get("task", "")) is str
        and type(accrued) is float
        and 0.0 <= accrued < math.inf
        and _time(start) is None
        and (("seen" not in doc) or _time(seen) is None)
    ):
        return False
    if end is None:
        return True
    return _time(end) is None and datetime.fromisoformat(end) >= datetime.fromisoformat(start)


def problem_of(table: str, doc: Mapping[str, Any]) -> str | None:
    """What is wrong with one document of ``table`` (None: it can be used)."""
    if table == "checkins" and _plainly_usable_checkin(doc):
        return None
    if table == "entries" and doc.keys() >= _ENTRY_REQUIRED and _plainly_usable_entry(doc):
        return None
    spec = SCHEMA.get(table)
    if spec is None:
        return None
    checks, required = spec
    for name in required:
        if name not in doc:
            return f"no {name}"
    for name, value in doc.items():
        check = checks.get(name)
        problem = check(value) if check is not None else None
        if problem is not None:
            return f"{name} {problem}"
    if table == "entries":
        end = doc.get("end")
        if end is not None and datetime.fromisoformat(end) < datetime.fromisoformat(doc["start"]):
            return "end is before start"
    return None


def drop_invalid(tables: dict[str, dict[str, Any]] | None) -> list[Dropped]:
    """Remove every document of the wrong types from ``tables`` (in place); name each.

    Cursors of the sources that lost a document are removed as well, so those
    sources read everything again on their next poll.
    """
    if not tables:
        return []
    dropped: list[Dropped] = []
    for table in SCHEMA:
        docs = tables.get(table)
        if not docs:
            continue
        for doc_id in list(docs):
            problem = problem_of(table, docs[doc_id])
            if problem is not None:
                doc = docs.pop(doc_id)
                owner = doc.get("name" if table == "health" else "source")
                dropped.append(
                    Dropped(table, doc_id, owner if isinstance(owner, str) else "", problem)
                )
    stale = {d.source for d in dropped if d.table not in ("cursors", "health")}
    cursors = tables.get("cursors") or {}
    for doc_id in [k for k, doc in cursors.items() if doc.get("source") in stale]:
        del cursors[doc_id]
    return dropped
