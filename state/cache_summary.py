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
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from farwatch.sources.model import CheckIn
from farwatch.state import cache_codec as codec
from farwatch.state.cache_schema import problem_of
from farwatch.state.data_warnings import subject_names
from farwatch.state.snapshot import CheckinSummary, SenderSummary

NEWEST = attrgetter("at", "key")
"""The order derive picks a worker's latest check-in by."""


@dataclass(slots=True)
class _Sender:
    count: int
    newest: CheckIn
    first: int
    """The lowest document id of the sender's check-ins: senders are listed in
    the order of their first check-in in the file, as reading them all gives."""
    subject: str = ""
    """The first subject that says something, in that same order."""
    subject_id: int = 0
    stored: list[Any] | None = None
    """The stored form, kept until the sender changes."""


class Tally:
    """Each sender's count, newest check-in and first position, kept up to date.

    Built once from every check-in (a writer's first poll), then told of each
    check-in added or removed, so a poll's commit costs what it changed
    rather than a pass over the whole cache. ``checkins`` and ``ids`` are the
    cache index's own tables, read again when a removal needs a rescan.
    """

    def __init__(
        self,
        checkins: Mapping[str, Mapping[str, CheckIn]],
        ids: Mapping[str, Mapping[str, int]],
    ) -> None:
        self._checkins, self._ids = checkins, ids
        self._senders: dict[str, dict[str, _Sender]] = {}
        self._keys: dict[str, int] = {}
        """How many sources hold each key: derive counts a key once, so a
        key in two sources (or an empty one) makes the summary inexact."""
        self._shared = 0
        self._rescan: dict[str, set[str]] = {}
        for source, items in checkins.items():
            self._senders[source] = {}
            source_ids = ids[source]
            for key, checkin in items.items():
                self.add(source, checkin, source_ids[key])

    def add(self, source: str, checkin: CheckIn, doc_id: int) -> None:
        senders = self._senders.setdefault(source, {})
        found = senders.get(checkin.who)
        if found is None:
            found = senders[checkin.who] = _Sender(1, checkin, doc_id)
        else:
            found.count += 1
            found.stored = None
            if NEWEST(checkin) > NEWEST(found.newest):
                found.newest = checkin
            found.first = min(found.first, doc_id)
        if (not found.subject or doc_id < found.subject_id) and subject_names(checkin.subject):
            found.subject, found.subject_id = checkin.subject, doc_id
        held = self._keys.get(checkin.key, 0) + 1
        self._keys[checkin.key] = held
        self._shared += held == 2

    def remove(self, source: str, checkin: CheckIn, doc_id: int) -> None:
        senders = self._senders[source]
        found = senders[checkin.who]
        found.count -= 1
        found.stored = None
        if found.count == 0:
            del senders[checkin.who]
        elif doc_id in (found.first, found.subject_id) or found.newest.key == checkin.key:
            self._rescan.setdefault(source, set()).add(checkin.who)
        held = self._keys[checkin.key] - 1
        self._shared -= held == 1
        if held:
            self._keys[checkin.key] = held
        else:
            del self._keys[checkin.key]

    def summary(self) -> tuple[CheckinSummary, bool]:
        """The summary of every source's check-ins, and whether it is exact."""
        self._apply_rescans()
        summary = {
            source: [
                SenderSummary(who, s.count, s.newest, s.subject) for who, s in self._ordered(source)
            ]
            for source in self._senders
        }
        return summary, self._shared == 0 and "" not in self._keys

    def doc(self, generation: int) -> codec.Doc:
        """The stored form; ``generation`` names the check-ins file it describes."""
        self._apply_rescans()
        sources: dict[str, list[list[Any]]] = {}
        for source in self._senders:
            rows = sources[source] = []
            for who, sender in self._ordered(source):
                if sender.stored is None:
                    newest = codec.checkin_doc(source, sender.newest)
                    sender.stored = [who, sender.count, newest, sender.subject]
                rows.append(sender.stored)
        exact = self._shared == 0 and "" not in self._keys
        return {"generation": generation, "exact": exact, "sources": sources}

    def _ordered(self, source: str) -> list[tuple[str, _Sender]]:
        return sorted(self._senders[source].items(), key=lambda item: item[1].first)

    def _apply_rescans(self) -> None:
        """Senders who lost their first or newest check-in (but not all): one pass
        over their source finds the new ones."""
        for source, whos in self._rescan.items():
            senders = self._senders[source]
            fresh: dict[str, _Sender] = {}
            ids = self._ids[source]
            for key, checkin in self._checkins[source].items():
                if checkin.who not in whos:
                    continue
                found = fresh.get(checkin.who)
                if found is None:
                    found = fresh[checkin.who] = _Sender(1, checkin, ids[key])
                else:
                    found.count += 1
                    if NEWEST(checkin) > NEWEST(found.newest):
                        found.newest = checkin
                if not found.subject and subject_names(checkin.subject):
                    found.subject, found.subject_id = checkin.subject, ids[key]
            for who in whos:
                if who in fresh:
                    senders[who] = fresh[who]
        self._rescan.clear()


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
            for who, count, newest, subject in senders:
                if not isinstance(who, str) or type(count) is not int or count < 1:
                    return None
                if not isinstance(newest, dict) or problem_of("checkins", newest) is not None:
                    return None
                if not isinstance(subject, str):
                    return None
                rows.append(SenderSummary(who, count, codec.checkin(newest), subject))
    except (TypeError, ValueError, KeyError):
        return None
    return summary, doc.get("exact") is True
