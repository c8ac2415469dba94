"""The facade the CLI, the dashboard and the actions use.

It owns the pieces one process needs to watch a team: the configured sources,
the cache (as writer, or read-only when a ``farwatch poll`` daemon already
writes it), the audit log's pause state and the status derivation. Nothing
here is clever; it keeps the wiring in one place so callers stay small.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import replace
from datetime import datetime

from farwatch.sources.base import Source, SourceError
from farwatch.sources.registry import load_source_class
from farwatch.state import audit
from farwatch.state.cache import Cache
from farwatch.state.clock import Clock, system_clock
from farwatch.state.data_warnings import data_warnings, with_data_warnings
from farwatch.state.deadline import deadlines_for
from farwatch.state.derive import derive_statuses
from farwatch.state.engine_api import Refresh
from farwatch.state.poller import PollOutcome, fetch_running, poll_sources
from farwatch.state.settings import Settings, SourceSettings
from farwatch.state.snapshot import CacheSnapshot, SourceHealth
from farwatch.state.status import WorkerStatus


class EngineError(Exception):
    """The engine cannot do what was asked (not opened, read-only, unknown source)."""


def build_source(spec: SourceSettings) -> Source:
    """Instantiate the source a ``[[sources]]`` table describes.

    Raises:
        SourceError: kind ``config`` when the type is unknown or the plugin is broken.
    """
    try:
        cls = load_source_class(spec.type)
    except (LookupError, ImportError) as exc:
        raise SourceError(str(exc), title="unknown source", kind="config", retryable=False) from exc
    return cls(spec.name, spec.options)


class Engine:
    """Sources + cache + derive for one process."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        sources: list[Source] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        built = sources if sources is not None else [build_source(s) for s in settings.sources]
        self.sources: dict[str, Source] = {s.name: s for s in built}
        self.intervals: dict[str, float] = {
            s.name: s.interval for s in settings.sources if s.name in self.sources
        }
        for name, source in self.sources.items():
            self.intervals.setdefault(name, source.default_interval)
        self.deadlines: dict[str, float] = deadlines_for(
            self.sources, {s.name: s.deadline for s in settings.sources}
        )
        """Wall-clock seconds each source's fetch may take (see ``farwatch.state.deadline``)."""
        self.notices: list[str] = []
        self._cache: Cache | None = None
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------

    def open(self, *, writer: bool = True) -> None:
        """Open the cache; read-only when another process is the writer."""
        cache = Cache.open(
            self.settings.cache.path, retention=self.settings.cache.retention, writer=writer
        )
        self._cache = cache
        self.notices.extend(cache.notices)

    def close(self) -> None:
        """Close the sources and the cache; never waits for a hung fetch.

        A source whose fetch is still running (abandoned at its deadline, or cut
        short by quitting) is not closed: closing it could block on the same
        dead connection. Its daemon thread ends with the process.
        """
        for source in self.sources.values():
            if fetch_running(source):
                continue
            with contextlib.suppress(Exception):  # closing must never mask the real exit
                source.close()
        with self._lock:  # not in the middle of a poll's commit
            if self._cache is not None:
                self._cache.close()
                self._cache = None

    def __enter__(self) -> Engine:
        if self._cache is None:
            self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def cache(self) -> Cache:
        if self._cache is None:
            raise EngineError("the cache is not open (call Engine.open first)")
        return self._cache

    @property
    def read_only(self) -> bool:
        return self.cache.read_only

    @property
    def lock_holder(self) -> str | None:
        return self.cache.lock_holder

    # -- polling ---------------------------------------------------------

    def poll_all(self, stop: threading.Event | None = None) -> list[PollOutcome]:
        """Poll every source once, concurrently, with one cache write; when ``stop``
        is set, save the sources that answered and mark the rest stopped."""
        return self._poll(list(self.sources.values()), stop)

    def poll_source(self, name: str) -> PollOutcome:
        """Poll one source now (the dashboard's "poll now" and its scheduler)."""
        source = self.sources.get(name)
        if source is None:
            known = ", ".join(sorted(self.sources)) or "none"
            raise EngineError(f"no source named {name!r} (configured: {known})")
        return self._poll([source])[0]

    def _poll(
        self, sources: list[Source], stop: threading.Event | None = None
    ) -> list[PollOutcome]:
        if self.read_only:
            raise EngineError(f"read-only: {self.lock_holder}")
        with self._lock:
            before = self.cache.health()
        # The lock guards the cache only; fetches of different sources overlap.
        outcomes = poll_sources(
            sources,
            self.cache,
            self.clock,
            deadline=self.deadlines,
            intervals=self.intervals,
            cache_lock=self._lock,
            stop=stop,
        )
        self._audit_source_changes(outcomes, before)
        return outcomes

    def _audit_source_changes(
        self, outcomes: list[PollOutcome], before: dict[str, SourceHealth]
    ) -> None:
        """Record a source failing, or recovering, once per change (not every retry)."""
        for outcome in outcomes:
            previous = before.get(outcome.source)
            was_failing = previous is not None and previous.consecutive_failures > 0
            error = outcome.error
            if error is not None:
                if was_failing and previous is not None and previous.last_error_kind == error.kind:
                    continue
                entry = audit.AuditEntry(
                    action="source_failure",
                    channel=outcome.source,
                    outcome=error.kind,
                    message=error.title,
                    detail=error.message,
                    time=self.clock(),
                )
            elif was_failing:
                entry = audit.AuditEntry(
                    action="source_recovered",
                    channel=outcome.source,
                    outcome="ok",
                    message=f"{outcome.records} records",
                    time=self.clock(),
                )
            else:
                continue
            try:
                audit.append(self.settings.audit_file, entry)
            except OSError as exc:  # the audit log must never stop polling
                self.notices.append(f"could not write the audit log: {exc}")

    def try_become_writer(self) -> bool:
        """Take over polling once the process that held the writer lock has gone."""
        with self._lock:
            return self.cache.try_become_writer(now=self.clock())

    def reload(self) -> bool:
        """Pick up a cache another process wrote; True when something changed."""
        with self._lock:
            return self.cache.reload_if_changed()

    # -- reading ---------------------------------------------------------

    def snapshot(self) -> CacheSnapshot:
        with self._lock:
            snap = self.cache.snapshot(guard=self._lock)
        snap.paused = audit.paused_workers(self.settings.audit_file)
        return snap

    def statuses(self, now: datetime | None = None) -> list[WorkerStatus]:
        return derive_statuses(self.snapshot(), self.settings, now or self.clock())

    def health(self, now: datetime | None = None) -> list[SourceHealth]:
        """Each configured source's health, with its unmatched records (and who they
        named) and its overlapping entries added to its warnings, as of ``now``."""
        with self._lock:
            known = self.cache.health()
            snapshot = self.cache.snapshot(guard=self._lock)
        return self._health_rows(known, snapshot, now or self.clock())

    def refresh(self, now: datetime | None = None) -> Refresh:
        """Statuses and health from one snapshot: what each dashboard refresh reads."""
        snapshot = self.snapshot()
        at = now or self.clock()
        statuses = derive_statuses(snapshot, self.settings, at)
        return Refresh(snapshot, statuses, self._health_rows(snapshot.health, snapshot, at))

    def _health_rows(
        self, known: dict[str, SourceHealth], snapshot: CacheSnapshot, now: datetime
    ) -> list[SourceHealth]:
        found = data_warnings(snapshot, now, defaults=self.settings.defaults)
        rows = []
        for name, source in self.sources.items():
            row = replace(known.get(name) or SourceHealth(name=name, type=source.type_name))
            rows.append(with_data_warnings(row, found.get(name)))
        return rows
