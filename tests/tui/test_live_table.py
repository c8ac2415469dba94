"""Refreshes change rows in place: same keys, cursor kept, only changed cells touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import NOW, FakeEngine, screen_text, status, team

from farwatch.state import audit
from farwatch.state.clock import Clock
from farwatch.state.status import WorkerStatus
from farwatch.tui.app import FarwatchApp, build_app
from farwatch.tui.messages import DataReady
from farwatch.tui.widgets.worker_table import WorkerTable

pytestmark = pytest.mark.anyio


def table(app: FarwatchApp) -> WorkerTable:
    return app.screen.query_one(WorkerTable)


async def deliver(app: FarwatchApp, engine: FakeEngine) -> None:
    """What a finished poll does: fresh statuses posted from a worker thread."""
    now = engine.clock()
    app.post_message(DataReady(engine.statuses(now), engine.health(), now))
    await app.workers.wait_for_complete()


async def test_refresh_keeps_rows_and_cursor_and_updates_only_changed_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = FakeEngine(tmp_path)
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        t = table(app)
        await pilot.press("down", "down", "down", "down")
        assert t.selected_worker_id() == "lea"
        row_objects = dict(t.rows)
        cleared: list[bool] = []
        monkeypatch.setattr(t, "clear", lambda *a, **k: cleared.append(True))
        before = t.updates
        engine.change("femi", task="New task from a check-in")
        await deliver(app, engine)
        await pilot.pause()
        assert t.updates - before == 1  # one cell: femi's task
        assert "New task from a check-in" in screen_text(app)
        assert dict(t.rows).keys() == row_objects.keys()
        assert t.selected_worker_id() == "lea"
        assert not cleared


async def test_cursor_follows_its_worker_when_the_order_changes(tmp_path: Path) -> None:
    engine = FakeEngine(tmp_path)
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        t = table(app)
        await pilot.press("down", "down", "down", "down", "down", "down", "down")
        assert t.selected_worker_id() == "ana"
        # Kai goes quiet: he becomes the stalest and jumps to the top.
        engine.change("kai", checkin_level="alert", checkin_work_age=9 * 3600.0)
        await deliver(app, engine)
        await pilot.pause()
        assert t.ordered_rows[0].key.value == "kai"
        assert t.selected_worker_id() == "ana"


async def test_removed_and_added_workers(tmp_path: Path) -> None:
    engine = FakeEngine(tmp_path)
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        engine.current = [s for s in engine.current if s.id != "ben"]
        engine.current.append(status("zoe", "Zoe Ito", age_hours=0.3))
        await deliver(app, engine)
        await pilot.pause()
        keys = {row.value for row in table(app).rows}
        assert "ben" not in keys and "zoe" in keys and len(keys) == 12
        assert "Zoe Ito" in screen_text(app)
        assert "12 workers" in screen_text(app)


async def test_ages_tick_without_a_poll(tmp_path: Path) -> None:
    moments = [NOW]
    clock: Clock = lambda: moments[-1]  # noqa: E731
    engine = FakeEngine(tmp_path, clock=clock)
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        assert table(app).get_cell("kai", "age").plain == "48 minutes"
        moments.append(NOW + timedelta(minutes=20))
        app.tick()
        await pilot.pause()
        assert table(app).get_cell("kai", "age").plain == "an hour"
        assert "15:50" in screen_text(app)  # the header clock moved too
        assert engine.polled == []


async def test_crossing_a_threshold_toasts_once_and_is_recorded(tmp_path: Path) -> None:
    engine = FakeEngine(tmp_path)
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        engine.change("kai", checkin_level="warn", checkin_work_age=2.5 * 3600)
        engine.change("femi", burn=1.05, burn_level="over", hours_used=42.0)
        await deliver(app, engine)
        await deliver(app, engine)  # same levels again: no second alert
        await pilot.pause()
        await app.workers.wait_for_complete()
        messages = [n.message for n in app._notifications]
        assert sum("Kai Mendoza: no check-in" in m for m in messages) == 1
        assert sum("Femi Adeyemi: over the cap" in m for m in messages) == 1
        assert app.alerts_raised == 2
        entries = audit.read_entries(engine.settings.audit_file)
        assert {(e.worker, e.action, e.outcome) for e in entries} == {
            ("kai", "threshold", "warn"),
            ("femi", "threshold", "over"),
        }


async def test_no_color_keeps_state_symbols(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = build_app(FakeEngine(tmp_path), live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)):
        assert app.no_color
        text = screen_text(app)
        for symbol in ("✖", "▲", "●", "◌", "?", "‖"):
            assert symbol in text


def test_team_fixture_matches_summary() -> None:
    from farwatch.tui.ordering import summary

    assert summary(team()) == "12 workers · 3 stale · 1 over cap · 1 paused"


async def test_an_idle_second_repaints_nothing_and_a_new_minute_only_what_changed(
    tmp_path: Path,
) -> None:
    moments = [NOW]
    clock: Clock = lambda: moments[-1]  # noqa: E731
    engine = FakeEngine(tmp_path, clock=clock)
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        t = table(app)
        moments.append(NOW + timedelta(seconds=1))
        app.tick()  # the minute turned for local times: only those cells
        await pilot.pause()
        after_first = t.updates
        moments.append(NOW + timedelta(seconds=2))
        app.tick()
        await pilot.pause()
        assert t.updates == after_first  # nothing's words changed within the second
        moments.append(NOW + timedelta(minutes=12))
        app.tick()
        await pilot.pause()
        assert t.get_cell("kai", "age").plain == "an hour"
        changed = t.updates - after_first
        rows = len(list(t.rows))
        assert 0 < changed < 2 * rows  # ages that changed words, plus local times


async def test_a_rederive_that_only_moves_ages_rebuilds_no_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from farwatch.tui.widgets import worker_table

    built: list[str] = []
    real_build = worker_table.build_cells

    def counting_build(status: WorkerStatus, *args: Any) -> Any:
        built.append(status.id)
        return real_build(status, *args)

    monkeypatch.setattr(worker_table, "build_cells", counting_build)
    engine = FakeEngine(tmp_path)
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        t = table(app)
        before = t.updates
        built.clear()
        for worker in list(engine.current):
            age = worker.checkin_work_age
            engine.change(
                worker.id,
                checkin_age=(worker.checkin_age or 0.0) + 30.0,
                checkin_work_age=None if age is None else age + 30.0,
                activity=(*worker.activity[1:], 0.5),  # sparklines wait up to 5 minutes
            )
        await deliver(app, engine)
        await pilot.pause()
        assert built == [] and t.updates == before
        engine.change("kai", category="QA")
        await deliver(app, engine)
        await pilot.pause()
        assert built == ["kai"] and t.updates == before + 1
        assert t.get_cell("kai", "category").plain == "QA"


async def test_a_changed_cell_repaints_only_when_in_view_and_shows_when_scrolled_to(
    tmp_path: Path,
) -> None:
    engine = FakeEngine(tmp_path)
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 8)) as pilot:  # a few rows of twelve in view
        t = table(app)
        order = [row.key.value for row in t.ordered_rows]
        top, bottom = order[0], order[-1]
        assert bottom is not None and bottom not in screen_text(app)
        updates, repaints = t.updates, t.cells_refreshed
        engine.change(bottom, task="Below the fold")
        engine.change(top, task="In plain view")
        await deliver(app, engine)
        await pilot.pause()
        assert t.updates - updates == 2  # both cells hold their new text
        assert t.cells_refreshed - repaints == 1  # only the one on screen repaints
        assert "In plain view" in screen_text(app)
        t.move_cursor(row=len(order) - 1, animate=False)
        await pilot.pause()
        assert "Below the fold" in screen_text(app)
        engine.change(bottom, task="Changed while scrolled")
        await deliver(app, engine)
        await pilot.pause()
        assert "Changed while scrolled" in screen_text(app)


async def test_statuses_are_judged_again_on_the_first_tick_of_each_new_minute_only(
    tmp_path: Path,
) -> None:
    from tui_fakes import FakeScheduler

    moments = [NOW.replace(second=10)]
    clock: Clock = lambda: moments[-1]  # noqa: E731
    engine = FakeEngine(tmp_path, clock=clock)
    judged: list[datetime | None] = []
    real_refresh = engine.refresh

    def refresh(now: datetime | None = None) -> Any:
        judged.append(now)
        return real_refresh(now)

    engine.refresh = refresh  # type: ignore[method-assign]
    app = build_app(engine, scheduler=FakeScheduler(), clock=clock, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):  # the judging right after the first frame (pay totals, log)
            await pilot.pause()
            await app.workers.wait_for_complete()
            if len(judged) > 1:
                break
        assert len(judged) == 2  # the first frame's and the one right after it
        judged.clear()
        for second in (20, 40, 59):
            moments.append(NOW.replace(second=second))
            app.tick()
        await app.workers.wait_for_complete()
        assert judged == []  # the ages moved on screen; nothing was judged again
        next_minute = NOW.replace(minute=31, second=0)
        engine.change("kai", checkin_level="alert")  # what judging at the new minute finds
        moments.append(next_minute)
        app.tick()
        app.tick()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert judged == [next_minute]
        assert app.by_id["kai"].checkin_level == "alert"
        assert table(app).get_cell("kai", "state").plain == "✖"
