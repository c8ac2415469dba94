"""Each sender's newest check-in and count, kept beside the check-ins at write time.

A status row needs, of a worker's check-ins, only the newest and how many;
the owner's source list needs the senders nobody on the roster has. With
100,000 check-ins, reading them all to find 1,000 newest ones was most of
``status``: the writer therefore keeps this summary in the main cache file
and the check-ins themselves in a second file that only the history views
read (see ``farwatch.state.cache``).

The summary is keyed by sender text, not by worker: matching senders to
workers happens at derive time, so a roster change re-homes old check-ins
exactly as before. It is only "exact" (equal to grouping every check-in)
when no key is in two sources and none is empty, since derive counts such
check-ins once per key; otherwise derive reads every check-in, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from typing import Any

from farwatch.sources.model import CheckIn
from farwatch.state import cache_codec as codec
from farwatch.state.cache_schema import problem_of
from farwatch.state.snapshot import CheckinSummary, SenderSummary

NEWEST = attrgetter("at", "key")
"""The order derive picks a worker's latest check-in by."""


def summarize(checkins: Mapping[str, Mapping[str, CheckIn]]) -> tuple[CheckinSummary, bool]:
    """The summary of every source's check-ins, and whether it is exact."""
    summary: CheckinSummary = {}
    exact = True
    keys: set[str] = set()
    for source, items in checkins.items():
        senders: dict[str, list[Any]] = {}
        for checkin in items.values():
            found = senders.get(checkin.who)
            if found is None:
                senders[checkin.who] = [1, checkin]
            else:
                found[0] += 1
                if NEWEST(checkin) > NEWEST(found[1]):
                    found[1] = checkin
        summary[source] = [SenderSummary(who, n, newest) for who, (n, newest) in senders.items()]
        if exact and ("" in items or not keys.isdisjoint(items)):
            exact = False
        keys.update(items)
    return summary, exact


def summary_doc(summary: CheckinSummary, exact: bool, generation: int) -> codec.Doc:
    """The stored form; ``generation`` names the check-ins file it describes (0: none)."""
    return {
        "generation": generation,
        "exact": exact,
        "sources": {
            source: [[s.who, s.count, codec.checkin_doc(source, s.newest)] for s in senders]
            for source, senders in summary.items()
        },
    }


def generation_of(doc: Mapping[str, Any]) -> int:
    """Which check-ins file the main file goes with (0: none yet)."""
    generation = doc.get("generation")
    return generation if type(generation) is int and generation > 0 else 0


def read_summary(doc: Mapping[str, Any]) -> tuple[CheckinSummary, bool] | None:
    """The stored summary, or None if anything in it is unexpected (a hand edit):
    the caller then reads the check-ins themselves and the writer stores a
    fresh summary."""
    sources = doc.get("sources")
    if not isinstance(sources, dict):
        return None
    summary: CheckinSummary = {}
    try:
        for source, senders in sources.items():
            rows = summary[source] = []
            for who, count, newest in senders:
                if not isinstance(who, str) or type(count) is not int or count < 1:
                    return None
                if not isinstance(newest, dict) or problem_of("checkins", newest) is not None:
                    return None
                rows.append(SenderSummary(who, count, codec.checkin(newest)))
    except (TypeError, ValueError, KeyError):
        return None
    return summary, doc.get("exact") is True
