"""The cache: every observation farwatch has seen, in two TinyDB files.

The only module that imports TinyDB. It keeps a parsed index of the documents
next to the database (records by source and key, with their TinyDB ids), so
dedupe, upserts and snapshots never scan the tables, and it batches each
source's changes into a handful of TinyDB operations. Nothing reaches the disk
until ``commit``, which writes each changed file once, atomically (see
``storage``).

Check-ins, most of the data, live in ``<cache>.checkins.<generation>``; the
main file keeps everything else, each sender's newest check-in and count
(``cache_summary``) and the generation they describe. ``status`` and the
dashboard's rows read only the main file; the check-ins file is read the
first time something needs every check-in (a poll, the detail screen).
``commit`` writes changed check-ins to a new generation first and replaces
the main file last: that one rename switches both, so a crash at any point
leaves a matching pair, each poll's records and cursor together. The
previous generation is kept for readers still on the previous main file.
A cache in the one-file layout of schema 1 moves over at its first open by
a writer.

One process writes (it holds ``<cache>.lock``); any other opens read-only and
re-reads the files when the writer replaces them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.table import Table

from farwatch.sources.model import CheckIn, Cursor, FetchResult, TimeEntry
from farwatch.sources.redact import redact, redact_data
from farwatch.state import cache_codec as codec
from farwatch.state.cache_files import (
    checkins_file,
    checkins_generations,
    display_path,
    ensure_parent,
    move_aside,
    probe_writable,
    remove_checkins_before,
)
from farwatch.state.cache_index import SCHEMA_VERSION, CacheIndex, EntryRecord
from farwatch.state.cache_schema import drop_invalid
from farwatch.state.cache_summary import Tally, generation_of, read_summary
from farwatch.state.clock import Clock, system_clock
from farwatch.state.gc_pause import gc_paused
from farwatch.state.lock import WriterLock
from farwatch.state.snapshot import (
    CacheSnapshot,
    CheckinLists,
    CheckinSummary,
    LazyCheckins,
    SourceHealth,
)
from farwatch.state.storage import AtomicJSONStorage, CacheError, CacheUnreadable

__all__ = ["SCHEMA_VERSION", "Cache", "CacheError", "CacheUnreadable", "display_path"]

_Planned = tuple[TimeEntry, datetime, "codec.Doc"]


@dataclass(slots=True)
class _EntryPlan:
    """What one fetch does to a source's time entries, computed before any change."""

    inserts: dict[str, _Planned] = field(default_factory=dict)
    updates: dict[str, _Planned] = field(default_factory=dict)
    removals: set[str] = field(default_factory=set)


class _IntKeyed(MutableMapping[int, Any]):
    """A stored table seen with int document ids, without copying it.

    TinyDB's storages keep ids as strings; its tables work with ints.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw

    def __getitem__(self, doc_id: int) -> Any:
        return self._raw[str(doc_id)]

    def __setitem__(self, doc_id: int, doc: Any) -> None:
        self._raw[str(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        del self._raw[str(doc_id)]

    def __contains__(self, doc_id: object) -> bool:
        return str(doc_id) in self._raw

    def __iter__(self) -> Iterator[int]:
        return (int(doc_id) for doc_id in self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class _InPlaceTable(Table):
    """A TinyDB table whose changes edit the stored table in place.

    TinyDB's own ``_update_table`` copies the whole table into a new dict, runs
    the change and copies it back, twice the table per ``insert_multiple``, so
    a poll's cost grew with the cache rather than with its new records. Our
    storage hands out the very dict it will serialise, so the change can be
    made on it directly; queries, ids and documents stay TinyDB's.
    """

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        tables = self._storage.read()
        if tables is None:
            tables = {}
        raw = tables.setdefault(self.name, {})
        updater(_IntKeyed(raw))  # type: ignore[arg-type]  # a mapping, as TinyDB uses it
        self._storage.write(tables)
        self.clear_cache()


class _Database(TinyDB):
    table_class = _InPlaceTable


class Cache:
    """Sources' observations, cursors and health, persisted in TinyDB files.

    Build with ``Cache.open``. Not thread-safe: the poller applies results in
    one thread; the engine serialises access.
    """

    def __init__(
        self,
        path: Path,
        storage: AtomicJSONStorage,
        *,
        retention: float,
        lock: WriterLock | None,
        lock_holder: str | None,
        notices: list[str],
    ) -> None:
        self.path = path
        self.retention = retention
        self.read_only = lock is None
        self.lock_holder = lock_holder
        """Who writes the cache (e.g. ``pid 1234 on nas (farwatch poll) since 10:02``)
        when this process could not become the writer; else None."""
        self.notices = notices
        """Things the user must be told (read-only, a moved-aside unreadable file, ...)."""
        self._storage = storage
        self._lock = lock
        self._db = _Database(storage=lambda: storage)
        self._index = _checked_index(storage, notices)
        self._attach_checkins()

    def _attach_checkins(self) -> None:
        """Set up the check-ins file beside the main one just (re-)read.

        Reads the check-ins now only when the stored summary does not describe
        them; moves a one-file cache's check-ins over when writing.
        """
        stored = self._index.summary
        self.generation = generation_of(stored[1]) if stored else 0
        """Which check-ins file goes with the main file read (0: none yet)."""
        path = checkins_file(self.path, self.generation)
        self._use_bulk(AtomicJSONStorage(path, read_only=self.read_only, load=False))
        self._summary: tuple[CheckinSummary, bool] | None = None
        self._summary_stored = False
        self._tally: Tally | None = None
        """Kept once the check-ins are read (a writer's polls), updated per change."""
        self._bulk_loaded = False
        tables = self._storage.read() or {}
        if "checkins" in tables:  # schema 1: they are in the main file, already indexed
            self._bulk_loaded = True
            if not self.read_only:
                self._bulk.write({"checkins": tables.pop("checkins")})
                self._storage.write(tables)
            return
        self._summary = read_summary(stored[1]) if stored else None
        self._summary_stored = self._summary is not None
        if self._summary is None:
            self._load_checkins()

    def _use_bulk(self, storage: AtomicJSONStorage) -> None:
        self._bulk = storage
        self._bulk_db = _Database(storage=lambda: storage)

    def _load_checkins(self) -> None:
        """Read and index the check-ins file (once); a bad one is named and set aside."""
        if self._bulk_loaded:
            return
        gone = self.generation > 0 and not self._bulk.path.exists()
        if gone and self.read_only and self.reload_if_changed():
            self._load_checkins()  # the writer moved on twice since; read its newest pair
            return
        self._bulk_loaded = True
        shown = display_path(self._bulk.path)
        try:
            if gone:
                raise CacheUnreadable("the file is missing")
            with gc_paused():
                self._bulk.load()
                tables = self._bulk.read()
                self._drop_invalid_checkins(tables)
                self._index.load_checkins(tables)
        except (CacheUnreadable, OSError) as exc:
            self._index.checkins.clear()
            self._index.checkin_ids.clear()
            self._checkins_changed(recount=True)
            if self.read_only:
                self.notices.append(f"check-ins {shown} are unreadable ({exc}); showing none")
                return
            self._forget_cursors(list(self._index.cursors))
            moved = ""
            if not gone:
                with contextlib.suppress(CacheError):
                    backup = move_aside(self._bulk.path, datetime.now().astimezone())
                    moved = f"; moved them to {display_path(backup)}"
            self.notices.append(
                f"check-ins {shown} were unreadable ({exc}){moved}; sources will fill them again"
            )
            self._use_bulk(AtomicJSONStorage(self._bulk.path, load=False))
            self._bulk.write({})

    def _drop_invalid_checkins(self, tables: dict[str, dict[str, Any]] | None) -> None:
        dropped = drop_invalid({"checkins": tables["checkins"]} if tables else None)
        if not dropped:
            return
        shown = "; ".join(d.describe() for d in dropped[:5])
        more = f" (and {len(dropped) - 5} more)" if len(dropped) > 5 else ""
        self.notices.append(
            f"cache {display_path(self._bulk.path)}: dropped {len(dropped)} unusable "
            f"record{'s' if len(dropped) != 1 else ''}: {shown}{more}; "
            "their sources are read again in full at the next poll"
        )
        self._checkins_changed(recount=True)
        if not self.read_only and tables is not None:
            self._bulk.write(tables)
            self._forget_cursors(sorted({d.source for d in dropped}))

    def _forget_cursors(self, sources: list[str]) -> None:
        """Make these sources read everything again at their next poll."""
        ids = [self._index.cursors.pop(s)[0] for s in sources if s in self._index.cursors]
        if ids:
            self._db.table("cursors").remove(doc_ids=ids)

    def _checkins_changed(self, *, recount: bool = False) -> None:
        """The summary must be stored again (``recount``: worked out afresh, as
        the check-ins changed without the tally being told)."""
        self._summary, self._summary_stored = None, False
        if recount:
            self._tally = None

    def _current_tally(self) -> Tally:
        if self._tally is None:
            self._tally = Tally(self._index.checkins, self._index.checkin_ids)
        return self._tally

    def _current_summary(self) -> tuple[CheckinSummary, bool]:
        if self._summary is None:
            self._load_checkins()  # (already read whenever no stored summary was usable)
            self._summary = self._current_tally().summary()
        return self._summary

    # -- opening ----------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        retention: float,
        writer: bool = True,
        clock: Clock = system_clock,
        command: str | None = None,
    ) -> Cache:
        """Open (creating if needed) the cache at ``path``.

        As writer, takes the lock; when another process holds it, opens
        read-only, sets ``lock_holder`` and says so in ``notices``. An
        unreadable file is moved aside as ``<name>.corrupt-YYYYMMDD-HHMMSS``
        (a notice says where) and a new cache is started.

        Raises:
            CacheError: the path is a directory, its folder cannot be created or
                written, or the file cannot be read; the message names the path.
        """
        path = Path(path).expanduser().absolute()
        shown = display_path(path)
        if path.is_dir():
            raise CacheError(
                f"cache path {shown} is a directory; set [cache] path to a file, "
                f"e.g. {display_path(path / 'farwatch.db')}"
            )
        if path.exists() and not path.is_file():  # a FIFO would hang the first read
            raise CacheError(
                f"cache path {shown} is not a regular file (a FIFO, device or socket); "
                "set [cache] path to a file of its own, e.g. "
                f"{display_path(path.with_name('farwatch.db'))}"
            )
        ensure_parent(path)
        notices: list[str] = []
        lock: WriterLock | None = None
        lock_holder: str | None = None
        if writer:
            lock = WriterLock(path, command=command)
            try:
                acquired = lock.acquire(now=clock())
                if acquired:
                    probe_writable(path)
            except OSError as exc:
                lock.release()
                raise CacheError(
                    f"cannot write the cache in {display_path(path.parent)}: "
                    f"{exc.strerror or exc} (the folder must be writable by you)"
                ) from exc
            if not acquired:
                lock_holder = lock.describe_holder()
                notices.append(
                    f"cache {shown} is being written by {lock_holder}; opening read-only"
                )
                lock = None
            elif lock.took_over is not None:
                notices.append(
                    f"took over the cache lock left by {lock.took_over.describe()}, "
                    "which is no longer running"
                )
        try:
            return cls._load(path, lock, lock_holder, notices, retention, clock)
        except BaseException:
            if lock is not None:
                lock.release()
            raise

    @classmethod
    def _load(
        cls,
        path: Path,
        lock: WriterLock | None,
        lock_holder: str | None,
        notices: list[str],
        retention: float,
        clock: Clock,
    ) -> Cache:
        shown = display_path(path)
        read_only = lock is None
        try:
            storage = AtomicJSONStorage(path, read_only=read_only)
            cache = cls(
                path,
                storage,
                retention=retention,
                lock=lock,
                lock_holder=lock_holder,
                notices=notices,
            )
        except CacheUnreadable as exc:
            if read_only:
                notices.append(
                    f"cache {shown} is unreadable ({exc}); showing nothing until "
                    "its writer rebuilds it"
                )
                storage = AtomicJSONStorage(path, read_only=True, load=False)
                return cls(
                    path,
                    storage,
                    retention=retention,
                    lock=None,
                    lock_holder=lock_holder,
                    notices=notices,
                )
            backup = move_aside(path, clock())
            notices.append(
                f"cache {shown} was unreadable ({exc}); moved it to {display_path(backup)} "
                "and started a new one (sources will fill it again)"
            )
            storage = AtomicJSONStorage(path)
            cache = cls(
                path, storage, retention=retention, lock=lock, lock_holder=None, notices=notices
            )
        except OSError as exc:
            raise CacheError(f"cannot read cache {shown}: {exc.strerror or exc}") from exc
        if lock is not None:
            storage.remove_stale_temps()
            remove_checkins_before(path, cache.generation - 1)
            if cache._index.meta_id is None:
                cache._init_meta(clock())
            if cache._index.meta_id is None or not cache._summary_stored:
                cache.commit()  # the file exists (mode 0600) from the start; the summary is kept
        return cache

    def _init_meta(self, now: datetime) -> None:
        self._index.meta_id = self._db.table("meta").insert(
            {"schema": SCHEMA_VERSION, "created": codec.iso(now)}
        )

    # -- reading ----------------------------------------------------------

    def snapshot(self, guard: AbstractContextManager[Any] | None = None) -> CacheSnapshot:
        """Everything cached, as plain values (``paused`` is left to the audit log).

        The check-ins come with each sender's summary; while the check-ins file
        is unread, they are read when first looked at, under ``guard`` (the
        lock its caller holds around this cache's changes).
        """
        ix = self._index
        summary, exact = self._current_summary()
        checkins: Mapping[str, list[CheckIn]]
        if self._bulk_loaded:
            checkins = self._checkin_lists()
        else:

            def load() -> CheckinLists:
                with guard or contextlib.nullcontext():
                    self._load_checkins()
                    return self._checkin_lists()

            checkins = LazyCheckins(list(summary), load)
        return CacheSnapshot(
            roster={s: [row for _, row in rows.values()] for s, rows in ix.roster.items()},
            checkins=checkins,
            checkin_summary=summary if exact else None,
            entries={s: [e.entry for e in items.values()] for s, items in ix.entries.items()},
            health={name: replace(h) for name, (_, h) in ix.health.items()},
        )

    def _checkin_lists(self) -> CheckinLists:
        return {s: list(items.values()) for s, items in self._index.checkins.items()}

    def cursor(self, source: str) -> Cursor:
        """The cursor the source's last successful fetch returned ({} at first)."""
        found = self._index.cursors.get(source)
        return _copy_json(found[1]) if found else {}

    def health(self) -> dict[str, SourceHealth]:
        return {name: replace(h) for name, (_, h) in self._index.health.items()}

    def record_count(self, source: str) -> int:
        """Records of ``source`` in the cache (roster rows, check-ins, entries)."""
        ix = self._index
        if self._bulk_loaded:
            checkins = len(ix.checkins.get(source, ()))
        else:
            checkins = sum(s.count for s in self._current_summary()[0].get(source, ()))
        return len(ix.roster.get(source, ())) + checkins + len(ix.entries.get(source, ()))

    @property
    def writes(self) -> int:
        """How many times this process wrote the main file (once per commit that wrote)."""
        flushes: int = self._storage.flushes
        return flushes

    # -- changing (in memory until commit) ---------------------------------

    def apply(self, source: str, result: FetchResult, now: datetime) -> int:
        """Merge one fetch into the cache; returns how many records are new.

        Check-ins are deduplicated by key; roster rows and time entries are
        upserted by (source, key). Completeness flags drop or close what the
        source no longer reports, except when it said ``unchanged``.

        Raises:
            CacheError: read-only.
            ValueError: the result cannot be stored (naive datetime, cursor
                that is not JSON); nothing was changed.
        """
        self._require_writer()
        cutoff = self._cutoff(now)
        try:
            cursor = _copy_json(result.cursor)
        except TypeError as exc:
            raise ValueError(
                f"source {source!r} returned a cursor that cannot be stored: {exc}"
            ) from exc
        roster_plan = self._plan_roster(source, result)
        checkin_docs = self._plan_checkins(source, result.checkins, cutoff)
        entry_plan = self._plan_entries(source, result, now, cutoff)
        # Everything above only computed; below cannot fail half-way on bad input.
        new = self._apply_roster(source, result, roster_plan)
        new += self._apply_checkins(source, checkin_docs)
        new += self._apply_entries(source, entry_plan)
        self._set_cursor(source, cursor)
        return new

    def set_health(self, health: SourceHealth) -> None:
        self._require_writer()
        health = replace(
            health,
            last_error=redact(health.last_error) if health.last_error else health.last_error,
            last_error_title=redact(health.last_error_title or "") or health.last_error_title,
        )
        doc = codec.health_doc(health)
        table = self._db.table("health")
        found = self._index.health.get(health.name)
        if found is not None:
            if found[1] == health:
                return
            _replace_docs(table, {found[0]: doc}, "name")
            self._index.health[health.name] = (found[0], replace(health))
        else:
            self._index.health[health.name] = (table.insert(doc), replace(health))

    def prune(self, now: datetime) -> int:
        """Drop check-ins and closed entries older than the retention; never open ones.

        A retention of 0 or less keeps everything. Returns how many were dropped.
        """
        self._require_writer()
        cutoff = self._cutoff(now)
        if cutoff is None:
            return 0
        self._load_checkins()
        ix = self._index
        old_checkins: list[int] = []
        for source, checkins in ix.checkins.items():
            for key in [k for k, c in checkins.items() if c.at < cutoff]:
                doc_id = ix.checkin_ids[source].pop(key)
                old_checkins.append(doc_id)
                gone = checkins.pop(key)
                if self._tally is not None:
                    self._tally.remove(source, gone, doc_id)
        old_entries: list[int] = []
        for entries in ix.entries.values():
            for key in [k for k, e in entries.items() if _ended_before(e.entry, cutoff)]:
                old_entries.append(entries.pop(key).doc_id)
        if old_checkins:
            self._bulk_db.table("checkins").remove(doc_ids=old_checkins)
            self._checkins_changed()
        if old_entries:
            self._db.table("entries").remove(doc_ids=old_entries)
        return len(old_checkins) + len(old_entries)

    def commit(self) -> bool:
        """Write what changed: a new check-ins file if they changed, then the main
        file, each once; True when it wrote.

        Raises:
            CacheError: read-only, or the disk refused (the old file stays intact).
        """
        self._require_writer()
        try:
            wrote_checkins = self._bulk.dirty
            if wrote_checkins:  # a new file; the main file names it below
                generation = max([self.generation, *checkins_generations(self.path)]) + 1
                self._bulk.path = checkins_file(self.path, generation)
                self._bulk.flush(sync_dir=False)  # the main file's write syncs the folder
                self.generation = generation
            if wrote_checkins or not self._summary_stored:
                self._store_summary()
            wrote: bool = self._storage.flush()
            if wrote_checkins:
                remove_checkins_before(self.path, self.generation - 1)
        except OSError as exc:
            raise CacheError(
                f"cannot write cache {display_path(self.path)}: {exc.strerror or exc}"
            ) from exc
        return wrote or wrote_checkins

    def _store_summary(self) -> None:
        """Keep the summary beside the check-ins file it describes (now on disk)."""
        doc = self._current_tally().doc(self.generation)
        table = self._db.table("checkin_summary")
        if self._index.summary is None:
            self._index.summary = (table.insert(doc), doc)
        else:
            _replace_whole(table, self._index.summary[0], doc)
            self._index.summary = (self._index.summary[0], doc)
        meta = self._db.table("meta")
        if self._index.meta_id is not None:
            found = meta.get(doc_id=self._index.meta_id)
            if isinstance(found, dict) and found.get("schema") != SCHEMA_VERSION:
                meta.update({"schema": SCHEMA_VERSION}, doc_ids=[self._index.meta_id])
        self._summary_stored = True

    def try_become_writer(self, *, now: datetime | None = None) -> bool:
        """Read-only: take the writer lock if its holder has gone (a ``farwatch
        poll`` daemon stopped), so this process can poll; True when it is the writer.

        The file is re-read first, so nothing the previous writer committed is lost.
        """
        if not self.read_only:
            return True
        lock = WriterLock(self.path)
        try:
            if not lock.acquire(now=now):
                self.lock_holder = lock.describe_holder()
                return False
            probe_writable(self.path)
            storage = AtomicJSONStorage(self.path)
            index = _checked_index(storage, self.notices)
        except (OSError, CacheUnreadable):
            lock.release()
            return False
        self._storage, self._index, self._lock = storage, index, lock
        self._db = _Database(storage=lambda: storage)
        self.read_only, self.lock_holder = False, None
        storage.remove_stale_temps()
        self._attach_checkins()
        remove_checkins_before(self.path, self.generation - 1)
        if index.meta_id is None:
            self._init_meta(now or datetime.now().astimezone())
        if index.meta_id is None or not self._summary_stored:
            self.commit()
        return True

    def reload_if_changed(self) -> bool:
        """Read-only: re-read the file if the writer replaced it; True when it did.

        An unreadable new version (which an atomic writer never produces) keeps
        the previous data.
        """
        if not self.read_only or not self._storage.changed_on_disk():
            return False
        previous = self._storage.read()
        try:
            self._storage.load()
            db = _Database(storage=lambda: self._storage)
            index = _checked_index(self._storage, self.notices)
        except (CacheUnreadable, OSError):
            if previous is not None:
                self._storage.write(previous)
            return False
        self._db, self._index = db, index
        self._attach_checkins()
        return True

    def close(self) -> None:
        """Release the writer lock. Uncommitted changes are dropped, by design:
        only ``commit`` decides what is durable. A closed cache is read-only, so
        a poll that outlived its process's shutdown cannot write without the lock."""
        self._storage.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self.read_only = True

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------

    def _require_writer(self) -> None:
        if self.read_only:
            who = f" (written by {self.lock_holder})" if self.lock_holder else ""
            raise CacheError(f"cache {display_path(self.path)} is open read-only{who}")

    def _cutoff(self, now: datetime) -> datetime | None:
        return now - timedelta(seconds=self.retention) if self.retention > 0 else None

    def _set_cursor(self, source: str, cursor: Cursor) -> None:
        cursor = redact_data(cursor)  # sources keep warnings and server text in cursors
        table = self._db.table("cursors")
        found = self._index.cursors.get(source)
        doc = {"source": source, "cursor": cursor}
        if found is None:
            self._index.cursors[source] = (table.insert(doc), cursor)
        elif found[1] != cursor:
            _replace_docs(table, {found[0]: doc}, "source")
            self._index.cursors[source] = (found[0], cursor)

    # roster

    def _plan_roster(self, source: str, result: FetchResult) -> dict[str, codec.Doc]:
        return {row.worker_id: codec.roster_doc(source, row) for row in result.roster}

    def _apply_roster(self, source: str, result: FetchResult, docs: dict[str, codec.Doc]) -> int:
        table = self._db.table("roster")
        old = self._index.roster.get(source, {})
        rows = {row.worker_id: row for row in result.roster}
        replace_all = result.roster_complete and not result.unchanged
        if replace_all:
            gone = [doc_id for wid, (doc_id, _) in old.items() if wid not in rows]
            if gone:
                table.remove(doc_ids=gone)
        changed = {
            old[wid][0]: docs[wid] for wid, row in rows.items() if wid in old and old[wid][1] != row
        }
        if changed:
            _replace_docs(table, changed, "worker_id")
        added = [wid for wid in rows if wid not in old]
        ids = table.insert_multiple(docs[wid] for wid in added) if added else []
        new_ids = dict(zip(added, ids, strict=True))
        merged = {} if replace_all else dict(old)
        for wid, row in rows.items():
            merged[wid] = (new_ids[wid] if wid in new_ids else old[wid][0], row)
        if merged or source in self._index.roster:
            self._index.roster[source] = merged
        return len(added)

    # check-ins

    def _plan_checkins(
        self, source: str, checkins: Iterable[CheckIn], cutoff: datetime | None
    ) -> dict[str, tuple[CheckIn, codec.Doc]]:
        checkins = list(checkins)
        if checkins:
            self._load_checkins()
        known = self._index.checkins.get(source, {})
        plan: dict[str, tuple[CheckIn, codec.Doc]] = {}
        for item in checkins:
            if item.key in known or item.key in plan:
                continue
            doc = codec.checkin_doc(source, item)  # validates before anything changes
            if cutoff is not None and item.at < cutoff:
                continue  # would be pruned at once, and fetched as "new" again
            plan[item.key] = (item, doc)
        return plan

    def _apply_checkins(self, source: str, plan: dict[str, tuple[CheckIn, codec.Doc]]) -> int:
        if not plan:
            return 0
        ids = self._bulk_db.table("checkins").insert_multiple(doc for _, doc in plan.values())
        self._checkins_changed()
        items = self._index.checkins.setdefault(source, {})
        id_map = self._index.checkin_ids.setdefault(source, {})
        tally = self._tally
        for (key, (item, _)), doc_id in zip(plan.items(), ids, strict=True):
            items[key] = item
            id_map[key] = doc_id
            if tally is not None:
                tally.add(source, item, doc_id)
        return len(plan)

    # time entries

    def _plan_entries(
        self, source: str, result: FetchResult, now: datetime, cutoff: datetime | None
    ) -> _EntryPlan:
        old = self._index.entries.get(source, {})
        plan = _EntryPlan()
        incoming: dict[str, TimeEntry] = {}
        for ent in result.entries:
            incoming[ent.key] = ent  # the last report of a key wins
        for key, ent in incoming.items():
            seen = now if ent.end is None else old[key].seen if key in old else now
            doc = codec.entry_doc(source, ent, seen)
            if key not in old:
                if cutoff is not None and ent.end is not None and ent.end < cutoff:
                    continue
                plan.inserts[key] = (ent, seen, doc)
            elif old[key].entry != ent or old[key].seen != seen:
                plan.updates[key] = (ent, seen, doc)
        if result.unchanged:
            return plan
        if result.entries_complete and result.entries_window is not None:
            lo, hi = result.entries_window
            for key, rec in old.items():
                if key not in incoming and lo <= rec.entry.start < hi:
                    plan.removals.add(key)
        if result.running_complete:
            for key, rec in old.items():
                if rec.entry.end is None and key not in incoming and key not in plan.removals:
                    ended = replace(rec.entry, end=max(rec.seen, rec.entry.start))
                    plan.updates[key] = (ended, rec.seen, codec.entry_doc(source, ended, rec.seen))
        return plan

    def _apply_entries(self, source: str, plan: _EntryPlan) -> int:
        table = self._db.table("entries")
        items = self._index.entries.setdefault(source, {})
        if plan.removals:
            table.remove(doc_ids=[items.pop(key).doc_id for key in plan.removals])
        if plan.updates:
            _replace_docs(
                table, {items[k].doc_id: d for k, (_, _, d) in plan.updates.items()}, "key"
            )
            for key, (ent, seen, _) in plan.updates.items():
                items[key] = EntryRecord(items[key].doc_id, ent, seen)
        if plan.inserts:
            ids = table.insert_multiple(doc for _, _, doc in plan.inserts.values())
            for (key, (ent, seen, _)), doc_id in zip(plan.inserts.items(), ids, strict=True):
                items[key] = EntryRecord(doc_id, ent, seen)
        return len(plan.inserts)


# -- helpers ------------------------------------------------------------------


def _checked_index(storage: AtomicJSONStorage, notices: list[str]) -> CacheIndex:
    """The index of the documents that pass the schema; the rest are dropped and named.

    A writer saves the file without them at its next commit; their sources'
    cursors go too, so those sources are read again in full.
    """
    with gc_paused():
        return _checked_index_of(storage, notices)


def _checked_index_of(storage: AtomicJSONStorage, notices: list[str]) -> CacheIndex:
    tables = storage.read()
    metas = (tables or {}).get("meta", {}).values()
    if any(not isinstance(m.get("schema"), int) or m["schema"] > SCHEMA_VERSION for m in metas):
        return CacheIndex.build(tables)  # a newer farwatch's file: refused whole, not trimmed
    dropped = drop_invalid(tables)
    if dropped:
        shown = "; ".join(d.describe() for d in dropped[:5])
        more = f" (and {len(dropped) - 5} more)" if len(dropped) > 5 else ""
        notices.append(
            f"cache {display_path(storage.path)}: dropped {len(dropped)} unusable "
            f"record{'s' if len(dropped) != 1 else ''}: {shown}{more}; "
            "their sources are read again in full at the next poll"
        )
        if not storage.read_only and tables is not None:
            storage.write(tables)  # marks the trimmed tables for the next commit
    return CacheIndex.build(tables)


def _replace_whole(table: Table, doc_id: int, doc: codec.Doc) -> None:
    """Overwrite one document with ``doc``, dropping fields it no longer has."""

    def overwrite(old: Any) -> None:
        old.clear()
        old.update(doc)

    table.update(overwrite, doc_ids=[doc_id])


def _replace_docs(table: Table, docs: Mapping[int, codec.Doc], key_field: str) -> None:
    """Overwrite many documents in one TinyDB pass (``update`` per doc is a pass each)."""
    by_key = {doc[key_field]: doc for doc in docs.values()}

    def overwrite(doc: Any) -> None:
        new = by_key[doc[key_field]]
        doc.clear()
        doc.update(new)

    table.update(overwrite, doc_ids=list(docs))


def _ended_before(entry: TimeEntry, cutoff: datetime) -> bool:
    return entry.end is not None and entry.end < cutoff


def _copy_json(value: Cursor) -> Cursor:
    """A deep copy through JSON: what a restart would read back, and nobody else's object."""
    copied = orjson.loads(orjson.dumps(value))
    if not isinstance(copied, dict):
        raise TypeError("a cursor must be a JSON object")
    return copied
