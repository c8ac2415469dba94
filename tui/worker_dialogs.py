"""Ping / pause / resume from the dashboard: opening the dialogs that act on workers.

``ComposeScreen`` writes and sends a ping, ``ConfirmScreen`` confirms a pause
or resume; both call the action layer (``farwatch.actions``). Alerts
(threshold crossings) are raised here too: a toast, the bell, an audit entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from farwatch.state import audit
from farwatch.state.engine_api import EngineLike
from farwatch.state.status import WorkerStatus
from farwatch.tui.screens.compose import ComposeScreen
from farwatch.tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

    from farwatch.tui.alerts import Crossing
    from farwatch.tui.polling import PollLoop

    _AppBase = App[None]
else:
    _AppBase = object


class WorkerDialogs(_AppBase):
    """Mixed into ``FarwatchApp``: its ``engine``, ``by_id``, ``poller`` and ``notify``."""

    engine: EngineLike
    by_id: dict[str, WorkerStatus]
    alerts_raised: int
    poller: PollLoop

    if TYPE_CHECKING:

        def read_only_holder(self) -> str | None: ...

    # -- actions ---------------------------------------------------------

    def open_ping(self, worker_id: str) -> None:
        """Open the compose screen for one worker."""
        status = self.by_id.get(worker_id)
        if status is not None:
            self._open_compose([status])

    def open_ping_stale(self) -> None:
        """Open the compose screen for every stale, unpaused worker."""
        stale = [s for s in self.by_id.values() if s.stale]
        if not stale:
            self.notify("Nobody is stale", timeout=3, markup=False)
            return
        self._open_compose(stale)

    def open_pause(self, worker_id: str) -> None:
        self._open_confirm(worker_id, "pause")

    def open_resume(self, worker_id: str) -> None:
        self._open_confirm(worker_id, "resume")

    def _open_compose(self, statuses: list[WorkerStatus]) -> None:
        self.push_screen(ComposeScreen(self.engine, statuses), self._action_done)

    def _open_confirm(self, worker_id: str, action: str) -> None:
        status = self.by_id.get(worker_id)
        if status is None:
            return
        if action == "resume" and not status.paused:
            self.notify("Not paused", timeout=3, markup=False)
            return
        if action == "pause" and status.paused:
            self.notify("Already paused", timeout=3, markup=False)
            return
        self.push_screen(ConfirmScreen(self.engine, status, action), self._action_done)

    def _action_done(self, _result: object = None) -> None:
        """An action screen closed: pause state may have changed, so re-derive now."""
        self.poller.rederive()

    # -- alerts ----------------------------------------------------------

    def raise_alerts(self, found: list[Crossing]) -> None:
        """Toast (and bell) each crossing; record it in the audit log when we write."""
        if not found:
            return
        for crossing in found:
            severity: SeverityLevel = "error" if crossing.severe else "warning"
            self.notify(crossing.text, title="farwatch", severity=severity, markup=False)
        self.alerts_raised += len(found)
        if self.engine.settings.ui.bell:
            self.bell()
        if self.read_only_holder() is not None:
            return  # the process that writes the cache records alerts
        self.run_worker(lambda: self._record(found), thread=True, group="audit")

    def _record(self, found: list[Crossing]) -> None:
        path = self.engine.settings.audit_file
        for crossing in found:
            entry = audit.AuditEntry(
                action="threshold",
                worker=crossing.worker_id,
                channel="dashboard",
                message=crossing.text,
                outcome=crossing.level,
                detail=crossing.kind,
            )
            try:
                audit.append(path, entry)
            except OSError as exc:
                self.call_from_thread(
                    self.notify,
                    f"could not write the audit log: {exc}",
                    severity="error",
                    markup=False,
                )
                return
