"""Write and send a ping: ``p`` on a worker, or ``P`` for every stale worker.

One worker: the template the situation calls for, editable subject and body,
``ctrl+s`` sends. Several workers (the bulk ping): the dialog is the
confirmation, listing who gets which message on which channel; ``ctrl+s``
sends them all. Sending runs in a thread worker so the dashboard never
freezes on a slow mail server; the dialog shows progress, closes with a toast
on success, and on failure stays open with each channel's error, where
``ctrl+s`` retries just the failed channels. A cooldown refusal says so and
``ctrl+f`` sends anyway; a second ``ctrl+s`` while sending is ignored.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Select, Static, TextArea

from farwatch.actions.ping import PingPlan, PingResult, plan_message, send_ping
from farwatch.actions.templates import TemplateError, load_templates
from farwatch.state.engine_api import EngineLike
from farwatch.state.status import WorkerStatus
from farwatch.tui.widgets.safe import clean, safe_text

ComposeOutcome = list[PingResult] | None


def channel_line(plan: PingPlan) -> Text:
    """``To: email ana@…, im json://host`` with unusable channels explained."""
    line = Text("To: ", style="bold")
    usable = [clean(c.label) for c in plan.usable_channels]
    line.append(", ".join(usable) if usable else "no channel", style="" if usable else "bold")
    for c in plan.channels:
        if c.problem:
            line.append(f"  ({c.kind}: {clean(c.problem)})", style="italic")
    return line


def _failed_only(result: PingResult) -> PingPlan:
    """The same message, on just the channels that failed."""
    kinds = {d.channel for d in result.failures}
    channels = tuple(c for c in result.plan.usable_channels if c.kind in kinds)
    return replace(result.plan, channels=channels)


class ComposeScreen(ModalScreen[ComposeOutcome]):
    """Compose one ping, or confirm a bulk ping; dismissed with the results."""

    DEFAULT_CSS = """
    ComposeScreen {
        align: center middle;
    }
    ComposeScreen #compose-box {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        border: round $primary;
        background: $surface;
    }
    ComposeScreen #compose-head {
        height: auto;
    }
    ComposeScreen #compose-template {
        width: 22;
    }
    ComposeScreen #compose-subject {
        width: 1fr;
    }
    ComposeScreen #compose-body {
        height: 1fr;
        min-height: 5;
        max-height: 14;
    }
    ComposeScreen #compose-who {
        max-height: 14;
        overflow-y: auto;
    }
    ComposeScreen #compose-status {
        height: auto;
        max-height: 6;
        color: $text-muted;
    }
    ComposeScreen #compose-status.-error {
        color: $error;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", id="send_ping", priority=True),
        Binding("ctrl+f", "send_anyway", "Send anyway", id="force_ping", show=False),
        Binding("escape", "cancel", "Cancel", id="cancel_ping"),
    ]

    def __init__(self, engine: EngineLike, statuses: list[WorkerStatus]) -> None:
        super().__init__()
        self.engine = engine
        self.statuses = list(statuses)
        self.bulk = len(self.statuses) > 1
        self.sending = False
        self.error = ""
        self.plans: list[PingPlan] = []
        self.template_names: list[str] = []
        self.results: list[PingResult] = []
        self.retry: list[PingPlan] = []
        """Plans narrowed to the channels that failed, for ``ctrl+s`` again."""
        self.refused: list[PingPlan] = []
        """Plans the cooldown refused, for ``ctrl+f`` in a bulk ping."""
        try:
            self.template_names = sorted(load_templates(engine.settings.nudge.templates))
            self.plans = [self._plan(s) for s in self.statuses]
        except TemplateError as exc:
            self.error = f"Cannot build the message: {exc}"

    def _plan(self, status: WorkerStatus, template: str | None = None) -> PingPlan:
        return plan_message(self.engine.settings, self.engine.clock, status, template)

    # -- layout ----------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="compose-box"):
            if self.bulk:
                yield Static(
                    Text(f"Ping {len(self.statuses)} stale workers?", style="bold"),
                    id="compose-title",
                )
                yield Static(self._who_gets_what(), id="compose-who")
            else:
                status = self.statuses[0]
                title = Text("Ping ", style="bold")
                title.append_text(safe_text(status.name or status.id, "bold"))
                yield Static(title, id="compose-title")
                if self.plans:
                    plan = self.plans[0]
                    yield Static(channel_line(plan), id="compose-to")
            yield Static(Text(self.error), id="compose-status")
            if not self.bulk and self.plans:
                with Horizontal(id="compose-head"):
                    yield Select(
                        [(Text(n), n) for n in self.template_names],
                        value=plan.template,
                        allow_blank=False,
                        id="compose-template",
                    )
                    yield Input(value=plan.subject, placeholder="Subject", id="compose-subject")
                yield TextArea(plan.body, id="compose-body", soft_wrap=True)
        yield Footer()

    def _who_gets_what(self) -> Table:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Worker", no_wrap=True)
        table.add_column("Message")
        table.add_column("By")
        for plan in self.plans:
            where = ", ".join(clean(c.label) for c in plan.usable_channels) or "no channel"
            table.add_row(
                safe_text(plan.worker.name or plan.worker.id),
                Text(f"{plan.template}: {clean(plan.subject)}"),
                Text(where),
            )
        return table

    def on_mount(self) -> None:
        if self.error:
            self._set_status(self.error, error=True)
        elif not self.bulk:
            self._set_status("")
            self.query_one("#compose-body", TextArea).focus()
        else:
            self._set_status("ctrl+s sends every message above · esc cancels")

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#compose-status", Static)
        status.update(Text("\n".join(clean(line, limit=600) for line in text.splitlines())))
        status.set_class(error, "-error")
        status.display = bool(text)

    # -- editing ---------------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        if self.bulk or not self.plans or not isinstance(event.value, str):
            return
        if event.value == self.plans[0].template:
            return
        plan = self._plan(self.statuses[0], event.value)
        self.plans = [plan]
        self.retry = []
        self.query_one("#compose-subject", Input).value = plan.subject
        self.query_one("#compose-body", TextArea).load_text(plan.body)

    def _edited(self) -> list[PingPlan]:
        if self.bulk:
            return list(self.plans)
        subject = self.query_one("#compose-subject", Input).value
        body = self.query_one("#compose-body", TextArea).text
        return [self.plans[0].with_message(subject=subject, body=body)]

    # -- sending ---------------------------------------------------------

    def action_send(self) -> None:
        self._start(force=False)

    def action_send_anyway(self) -> None:
        self._start(force=True)

    def action_cancel(self) -> None:
        if not self.sending:
            self.dismiss(self.results or None)

    def _start(self, *, force: bool) -> None:
        if self.sending or not self.plans:
            return
        if self.retry and not force:
            plans, force = self.retry, True  # only what failed; what went is not re-sent
        elif force and self.bulk:
            plans = self.refused
        else:
            plans = self._edited()
            if not self.bulk and not plans[0].body.strip():
                self._set_status("The message is empty.", error=True)
                return
        if not plans:
            return
        self.sending = True
        who = "everyone" if self.bulk else clean(plans[0].worker.name or plans[0].worker.id)
        self._set_status(f"Sending to {who}…")
        self._send(plans, force)

    @work(thread=True, exclusive=True, group="ping")
    def _send(self, plans: list[PingPlan], force: bool) -> None:
        results = []
        for plan in plans:
            try:
                results.append(send_ping(plan, force=force))
            except OSError as exc:  # the audit log cannot be written: nothing was sent
                results.append(PingResult(plan, "failed", reason=f"audit log: {exc}"))
        self.app.call_from_thread(self._finished, results)

    def _finished(self, results: list[PingResult]) -> None:
        self.sending = False
        self.results.extend(results)
        failed = [r for r in results if r.status in ("failed", "partial", "no_channel")]
        refused = [r for r in results if r.status == "refused"]
        sent = [r for r in results if r.ok]
        self.retry = [_failed_only(r) for r in failed if r.failures]
        self.refused = [r.plan for r in refused]
        if not failed and not refused:
            text = sent[0].describe() if len(sent) == 1 else f"Pinged {len(sent)} workers"
            self.app.notify(text, title="Ping sent", markup=False)
            self.dismiss(self.results)
            return
        lines = [r.describe() for r in failed + refused]
        if sent and self.bulk:
            lines.insert(0, f"Pinged {len(sent)} of {len(results)}.")
        if self.retry:
            lines.append("ctrl+s retries the failed channel(s) · esc closes")
        elif refused:
            lines.append("ctrl+f sends anyway · esc closes")
        self._set_status("\n".join(lines), error=True)
        if failed:
            self.app.notify(
                clean(failed[0].describe()), title="Ping failed", severity="error", markup=False
            )
