"""The cache's documents, parsed once and indexed by source and key.

Dedupe, upserts, snapshots and pruning read this index instead of scanning
TinyDB's tables; each record keeps its TinyDB document id so changes go back
as a few batched TinyDB operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from farwatch.sources.model import CheckIn, Cursor, RosterRow, TimeEntry
from farwatch.state import cache_codec as codec
from farwatch.state.snapshot import SourceHealth
from farwatch.state.storage import CacheUnreadable

SCHEMA_VERSION = 2
"""2: check-ins live in a second file, with a per-sender summary in the main one
(1 kept them in the main file; such a cache is moved over when first written)."""
TABLES = ("roster", "checkins", "entries", "cursors", "health", "meta", "checkin_summary")
"""Every table a farwatch cache has (``checkins`` in the check-ins file)."""


class EntryRecord(NamedTuple):
    """A cached time entry, its TinyDB id and when a poll last saw it."""

    doc_id: int
    entry: TimeEntry
    seen: datetime


@dataclass(slots=True)
class CacheIndex:
    """The documents, parsed, by source and key, with their TinyDB ids."""

    roster: dict[str, dict[str, tuple[int, RosterRow]]]
    checkins: dict[str, dict[str, CheckIn]]
    checkin_ids: dict[str, dict[str, int]]
    entries: dict[str, dict[str, EntryRecord]]
    cursors: dict[str, tuple[int, Cursor]]
    health: dict[str, tuple[int, SourceHealth]]
    meta_id: int | None
    summary: tuple[int, dict[str, Any]] | None = None
    """The stored check-in summary document (see ``cache_summary``), unparsed."""

    @classmethod
    def build(cls, tables: Mapping[str, Mapping[str, Any]] | None) -> CacheIndex:
        """Parse every document; any malformed one makes the file unreadable.

        Reads the storage's raw tables rather than through TinyDB's ``Table``:
        wrapping 100,000 documents in ``Document`` objects costs a fifth of
        the load time and buys nothing here.
        """
        index = cls({}, {}, {}, {}, {}, {}, None)
        raw = tables or {}

        def docs(name: str) -> Iterable[tuple[int, Any]]:
            return ((int(doc_id), doc) for doc_id, doc in raw.get(name, {}).items())

        try:
            for doc_id, doc in docs("meta"):
                schema = doc.get("schema")
                if not isinstance(schema, int) or schema > SCHEMA_VERSION:
                    raise CacheUnreadable(
                        f"written by a newer farwatch (schema {schema}, this one reads "
                        f"{SCHEMA_VERSION})"
                    )
                index.meta_id = doc_id
            for doc_id, doc in docs("roster"):
                row = codec.roster_row(doc)
                index.roster.setdefault(doc["source"], {})[row.worker_id] = (doc_id, row)
            index._add_checkins(docs("checkins"))
            for doc_id, doc in docs("entries"):
                ent, seen = codec.entry(doc)
                index.entries.setdefault(doc["source"], {})[ent.key] = EntryRecord(
                    doc_id, ent, seen
                )
            for doc_id, doc in docs("cursors"):
                cursor = doc["cursor"]
                if not isinstance(cursor, dict):
                    raise ValueError(f"cursor of {doc['source']!r} is not an object")
                index.cursors[str(doc["source"])] = (doc_id, cursor)
            for doc_id, doc in docs("health"):
                index.health[str(doc["name"])] = (doc_id, codec.health(doc))
            for doc_id, doc in docs("checkin_summary"):
                index.summary = (doc_id, doc)
        except CacheUnreadable:
            raise
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise CacheUnreadable(f"malformed record ({type(exc).__name__}: {exc})") from exc
        if index.meta_id is None and any(raw.values()):
            raise CacheUnreadable("not a farwatch cache (no schema record)")
        return index

    def load_checkins(self, tables: Mapping[str, Mapping[str, Any]] | None) -> None:
        """Parse the check-ins file's documents into this index.

        Raises:
            CacheUnreadable: a document cannot be parsed.
        """
        table = (tables or {}).get("checkins", {})
        try:
            self._add_checkins((int(doc_id), doc) for doc_id, doc in table.items())
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise CacheUnreadable(f"malformed record ({type(exc).__name__}: {exc})") from exc

    def _add_checkins(self, docs: Iterable[tuple[int, Any]]) -> None:
        checkins, checkin_ids = self.checkins, self.checkin_ids
        for doc_id, doc in docs:
            item = codec.checkin(doc)
            source = doc["source"]
            if source not in checkins:
                checkins[source], checkin_ids[source] = {}, {}
            checkins[source][item.key] = item
            checkin_ids[source][item.key] = doc_id
