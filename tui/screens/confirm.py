"""Confirm a pause or resume before it happens (``x`` / ``r`` on a worker).

The dialog first works out, in a thread, what the action would do (a dry
run: which tracker's timer stops, which channels tell the worker) and shows
it; ``y`` or Enter on the button does it, Esc or ``n`` backs out. The action
runs in a thread worker too; the dialog closes with a toast saying what
happened, an error toast when a timer could not be stopped or the worker could
not be told (the pause itself still stands and is in the log).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from farwatch.actions.pause import PauseResult, pause, resume
from farwatch.state.engine_api import EngineLike
from farwatch.state.status import WorkerStatus
from farwatch.tui.widgets.safe import clean, safe_text


class ConfirmScreen(ModalScreen[PauseResult | None]):
    """``ConfirmScreen(engine, status, "pause" | "resume")``; dismissed with the result."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen #confirm-box {
        width: 80%;
        max-width: 80;
        height: auto;
        padding: 0 1;
        border: round $warning;
        background: $surface;
    }
    ConfirmScreen #confirm-plan {
        color: $text-muted;
        margin: 1 0;
    }
    ConfirmScreen #confirm-buttons {
        height: auto;
        align-horizontal: right;
    }
    ConfirmScreen Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes", id="confirm_yes"),
        Binding("n,escape", "cancel", "No", id="confirm_no"),
    ]

    def __init__(self, engine: EngineLike, status: WorkerStatus, action: str) -> None:
        super().__init__()
        if action not in ("pause", "resume"):
            raise ValueError(f"cannot confirm {action!r}")
        self.engine = engine
        self.status = status
        self.action = action
        self.running = False

    def compose(self) -> ComposeResult:
        verb = "Pause" if self.action == "pause" else "Resume"
        with Vertical(id="confirm-box"):
            title = Text(f"{verb} ", style="bold")
            title.append_text(safe_text(self.status.name or self.status.id, "bold"))
            title.append("?", style="bold")
            yield Static(title, id="confirm-title")
            yield Static(Text("Working out what this will do…"), id="confirm-plan")
            if self.action == "pause":
                yield Input(
                    placeholder="Reason (optional, sent to the worker)", id="confirm-reason"
                )
            with Horizontal(id="confirm-buttons"):
                yield Button(verb, variant="warning", id="confirm-yes")
                yield Button("Cancel", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()
        self._preview()

    @work(thread=True, group="confirm-preview")
    def _preview(self) -> None:
        try:
            result = self._run(dry_run=True)
            text = result.preview()
        except Exception as exc:  # the preview is a courtesy; the action reports for real
            text = f"(could not preview: {exc})"
        self.app.call_from_thread(self._show_plan, text)

    def _show_plan(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#confirm-plan", Static).update(Text(clean(text, limit=1000)))

    def _run(self, *, dry_run: bool, reason: str = "") -> PauseResult:
        if self.action == "pause":
            return pause(self.engine, self.status, reason, dry_run=dry_run)
        return resume(self.engine, self.status, dry_run=dry_run)

    def action_confirm(self) -> None:
        if self.running:
            return
        self.running = True
        self.query_one("#confirm-yes", Button).disabled = True
        verb = "Pausing" if self.action == "pause" else "Resuming"
        self.query_one("#confirm-plan", Static).update(Text(f"{verb}…"))
        reason = ""
        if self.action == "pause":
            reason = self.query_one("#confirm-reason", Input).value.strip()
        self._act(reason)

    def action_cancel(self) -> None:
        if not self.running:
            self.dismiss(None)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.action_cancel()

    @on(Input.Submitted, "#confirm-reason")
    def _reason_entered(self) -> None:
        self.action_confirm()

    @work(thread=True, exclusive=True, group="confirm")
    def _act(self, reason: str) -> None:
        try:
            result: PauseResult | str = self._run(dry_run=False, reason=reason)
        except Exception as exc:  # e.g. the audit log cannot be written: nothing was done
            result = f"{self.action} failed: {exc}"
        self.app.call_from_thread(self._done, result)

    def _done(self, result: PauseResult | str) -> None:
        self.running = False
        if isinstance(result, str):
            self.app.notify(clean(result), severity="error", markup=False)
            self.query_one("#confirm-yes", Button).disabled = False
            self.query_one("#confirm-plan", Static).update(Text(clean(result)))
            return
        text = clean(result.describe(), limit=600)
        if result.ok:
            self.app.notify(text, markup=False)
        else:
            self.app.notify(text, severity="error", markup=False)
        self.dismiss(result)
