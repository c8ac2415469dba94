"""Which roster worker a record belongs to.

Sources name a worker however they know them (a sender address, a tracker
user id); the roster says which of those identities are whose. Matching is
redone on every derive, so fixing a typo in the roster re-homes old records,
and anything that matches nobody is counted rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr

from farwatch.sources.model import RosterRow


def _key(text: str) -> str:
    return text.strip().casefold()


@dataclass(frozen=True, slots=True)
class WorkerIndex:
    """Identity -> worker_id, case-insensitive.

    When two workers claim the same identity, the stronger kind of claim wins
    (email, then tracker id, then alias, then worker id) and, within a kind,
    the first row; every such clash is listed in ``conflicts``.
    """

    keys: dict[str, str]
    conflicts: tuple[str, ...] = ()
    _memo: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, roster: Iterable[RosterRow]) -> WorkerIndex:
        rows = list(roster)
        keys: dict[str, str] = {}
        conflicts: list[str] = []
        layers: tuple[tuple[str, list[tuple[str, str]]], ...] = (
            ("email", [(r.email, r.worker_id) for r in rows]),
            ("tracker id", [(r.tracker_id, r.worker_id) for r in rows]),
            ("alias", [(a, r.worker_id) for r in rows for a in r.aliases]),
            ("worker id", [(r.worker_id, r.worker_id) for r in rows]),
        )
        for kind, claims in layers:
            for identity, worker_id in claims:
                key = _key(identity)
                if not key:
                    continue
                owner = keys.setdefault(key, worker_id)
                if owner != worker_id:
                    conflicts.append(
                        f"{kind} {identity.strip()!r} of {worker_id} already belongs to {owner}"
                    )
        return cls(keys, tuple(conflicts))

    @classmethod
    def of(cls, roster: Iterable[RosterRow]) -> WorkerIndex:
        """``build``, or the index built last time for the same rows: a dashboard
        matches against one roster all day, and each index remembers its answers."""
        global _last_built
        rows = tuple(roster)
        kept = _last_built
        if kept is not None and kept[0] == rows:
            return kept[1]
        index = cls.build(rows)
        _last_built = (rows, index)
        return index

    def __len__(self) -> int:
        return len(self.keys)

    def match(self, who: str) -> str | None:
        """The worker_id ``who`` names, or None.

        ``who`` may be a bare address or id, "Name <addr@example.com>" or a
        "mailto:" URL.
        """
        memo = self._memo
        if who in memo:
            return memo[who]
        found = self.keys.get(_key(who))
        if found is None:
            address = _address(who)
            if address:
                found = self.keys.get(address)
        if len(memo) < 100_000:
            memo[who] = found
        return found


_last_built: tuple[tuple[RosterRow, ...], WorkerIndex] | None = None
"""The rows ``WorkerIndex.of`` last built for, and the index (replaced whole, never edited)."""


def _address(who: str) -> str:
    text = who.strip()
    if text[:7].casefold() == "mailto:":
        text = text[7:]
    if "<" in text or "@" in text:
        return _key(parseaddr(text)[1])
    return ""
