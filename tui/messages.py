"""Messages from background work to the dashboard's main thread.

Worker threads never touch widgets or shared state the UI reads: they compute
fresh statuses and health off the main thread and post one of these.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from farwatch.state.audit import AuditEntry
from farwatch.state.cadence import Reminder
from farwatch.state.poller import PollOutcome
from farwatch.state.snapshot import CacheSnapshot, SourceHealth
from farwatch.state.status import WorkerStatus

if TYPE_CHECKING:
    from farwatch.state.pay import CurrencyTotal


class DataReady(Message):
    """Fresh statuses and source health, derived at ``now`` in a worker thread.

    ``snapshot`` (the cache they were derived from) and ``audit`` (the log,
    newest first) are read in the same thread, so the detail and audit-log
    screens draw from memory and the UI thread never touches the disk.
    """

    def __init__(
        self,
        statuses: list[WorkerStatus] | None,
        health: list[SourceHealth] | None,
        now: datetime,
        *,
        source: str | None = None,
        outcome: PollOutcome | None = None,
        error: str | None = None,
        snapshot: CacheSnapshot | None = None,
        audit: list[AuditEntry] | None = None,
        reminders: list[Reminder] | None = None,
        pay: tuple[CurrencyTotal, ...] | None = None,
    ) -> None:
        super().__init__()
        self.pay = pay
        """This period's payable totals per currency (None: not worked out)."""
        self.reminders = reminders
        """Automatic reminders to come, soonest first (None: not worked out)."""
        self.statuses = statuses
        """None when deriving failed (the previous rows stay on screen)."""
        self.health = health
        self.now = now
        self.source = source
        """The source whose poll produced this, if any."""
        self.outcome = outcome
        self.error = error
        """Why the poll itself could not run (not a source failure)."""
        self.snapshot = snapshot
        self.audit = audit
