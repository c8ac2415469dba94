"""The check-in schema's quick path accepts exactly what the full check accepts."""

from __future__ import annotations

from typing import Any

import pytest

from farwatch.state.cache_schema import drop_invalid, problem_of

GOOD: dict[str, Any] = {
    "source": "mail",
    "key": "<a@x>",
    "who": "ana@example.com",
    "at": "2025-06-10T09:00:00+00:00",
    "subject": "Starting",
    "first_line": "on the invoices",
    "kind": "checkin",
    "task": "",
}


def test_a_usual_check_in_is_usable() -> None:
    assert problem_of("checkins", GOOD) is None
    assert (
        problem_of("checkins", {k: GOOD[k] for k in ("source", "key", "who", "at", "subject")})
        is None
    )


def test_an_unknown_field_of_any_type_is_ignored_as_before() -> None:
    assert problem_of("checkins", {**GOOD, "added_later": 3}) is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"who": None}, "who is null, not text"),
        ({"subject": 7}, "subject is int, not text"),
        ({"kind": "shout"}, "kind 'shout' is not one of"),
        ({"at": "yesterday"}, "at 'yesterday' is not a time"),
        ({"at": "2025-06-10T09:00:00"}, "at '2025-06-10T09:00:00' has no UTC offset"),
        ({"at": "0001-01-01T00:00:00+00:00"}, "outside the years"),
        ({"at": 1718000000}, "at is int, not a time"),
    ],
)
def test_a_bad_check_in_is_named(change: dict[str, Any], named: str) -> None:
    problem = problem_of("checkins", {**GOOD, **change})
    assert problem is not None and problem.startswith("at " if "at" in change else "")
    assert named in problem


def test_a_check_in_missing_a_required_field_is_named() -> None:
    doc = {k: v for k, v in GOOD.items() if k != "at"}
    assert problem_of("checkins", doc) == "no at"


def test_only_the_bad_check_in_is_dropped() -> None:
    tables = {"checkins": {"1": dict(GOOD), "2": {**GOOD, "key": "<b@x>", "who": 5}}}
    dropped = drop_invalid(tables)
    assert [(d.doc_id, d.problem) for d in dropped] == [("2", "who is int, not text")]
    assert list(tables["checkins"]) == ["1"]
