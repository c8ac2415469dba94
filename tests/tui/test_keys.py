"""Every key does what the footer and help say it does."""

from __future__ import annotations

from datetime import UTC
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from textual.screen import Screen
from tui_fakes import FakeEngine, FakeScheduler, screen_text

from farwatch.state import audit
from farwatch.state.settings import UiSettings
from farwatch.tui.app import FarwatchApp, build_app
from farwatch.tui.screens.audit_log import AuditLogScreen
from farwatch.tui.screens.detail import DetailScreen
from farwatch.tui.screens.help import HelpScreen
from farwatch.tui.screens.main import MainScreen
from farwatch.tui.screens.sources import SourcesScreen
from farwatch.tui.widgets.worker_table import WorkerTable

pytestmark = pytest.mark.anyio


def row_keys(app: FarwatchApp) -> list[str]:
    table = app.screen.query_one(WorkerTable)
    return [str(row.key.value) for row in table.ordered_rows]


async def test_default_order_is_stalest_first_and_o_cycles_sorts(app: FarwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        keys = row_keys(app)
        assert keys[:3] == ["chen", "eve", "ben"]  # alert, then warnings by age
        assert keys[-1] == "jon"  # paused last
        await pilot.press("o")
        assert row_keys(app)[0] == "dara"  # 110% burn
        assert "highest burn first" in screen_text(app)
        await pilot.press("o")
        assert row_keys(app)[:2] == ["ana", "ben"]
        await pilot.press("o")
        assert row_keys(app)[0] == "chen"


async def test_slash_filters_by_typing_and_escape_clears(app: FarwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", "k", "p", "o")
        assert sorted(row_keys(app)) == ["ben", "femi", "lea"]  # category KPO
        await pilot.press("enter")  # keep the filter, back to the table
        assert app.focused is app.screen.query_one(WorkerTable)
        assert "filter: kpo" in screen_text(app)
        await pilot.press("escape")
        assert len(row_keys(app)) == 12


async def test_g_groups_by_category(app: FarwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        keys = row_keys(app)
        assert keys[0] == "group:BPO"
        assert keys.index("group:KPO") > keys.index("dara")
        text = screen_text(app)
        assert "BPO (3)" in text and "VA (4)" in text
        await pilot.press("g")
        assert not any(k.startswith("group:") for k in row_keys(app))


async def test_enter_opens_detail_and_escape_goes_back(app: FarwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("down", "enter")
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.worker_id == "eve"
        assert "Eve Santos" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_question_mark_opens_help_listing_keys(app: FarwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for words in ("Ping", "Pause", "Filter", "Sources", "ping_stale"):
            assert words in text
        # Enter opens a worker's detail: the table's own Enter must not hide it
        assert any("⏎" in line and "Detail" in line for line in text.splitlines())
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_t_switches_theme_and_state_colours_follow(app: FarwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "farwatch-dark"
        before = app.palette.get("state-alert")
        await pilot.press("t")
        await pilot.pause()
        assert app.theme == "farwatch-light"
        assert app.palette.name == "farwatch-light"
        assert app.palette.get("state-alert") != before
        table = app.screen.query_one(WorkerTable)
        cell = table.get_cell("chen", "state")
        assert cell.style == app.palette.checkin("alert")


async def test_builtin_theme_still_renders_states(app: FarwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = "nord"
        await pilot.pause()
        assert app.palette.name == "nord"
        alert = app.palette.get("state-alert").color
        assert alert is not None and alert.triplet is not None
        assert alert.triplet.hex.lower() == "#bf616a"  # nord's error colour


async def test_s_opens_sources_and_u_polls_the_selected_one(
    app: FarwatchApp, engine: FakeEngine, scheduler: FakeScheduler
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        assert isinstance(app.screen, SourcesScreen)
        text = screen_text(app)
        assert "rate limited" in text and "clockify" in text
        # it opens on the failing source; up moves to mail, and u polls that one
        assert app.screen.selected_source() == "clockify"
        await pilot.press("up", "u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert engine.polled == ["mail"]
        assert ("poll_now", "mail") in scheduler.calls
        assert ("finished", "mail") in scheduler.calls
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_u_on_main_polls_every_source(
    app: FarwatchApp, engine: FakeEngine, scheduler: FakeScheduler
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        engine.polled.clear()
        await pilot.press("u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sorted(engine.polled) == ["clockify", "mail", "roster"]


async def test_due_sources_are_polled_by_the_scheduler(
    app: FarwatchApp, engine: FakeEngine, scheduler: FakeScheduler
) -> None:
    scheduler.queued = ["roster"]
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert engine.polled == ["roster"]
        assert scheduler.calls[:2] == [("started", "roster"), ("finished", "roster")]


async def test_l_opens_the_audit_log_newest_first_filterable(
    app: FarwatchApp, engine: FakeEngine
) -> None:
    path = engine.settings.audit_file
    audit.append(
        path, audit.AuditEntry(action="ping", worker="ana", outcome="sent", message="older ping")
    )
    audit.append(
        path, audit.AuditEntry(action="pause", worker="ben", outcome="done", message="newer pause")
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")  # maybe before the log is read (after the first frame)
        assert isinstance(app.screen, AuditLogScreen)
        for _ in range(100):  # the read arrives: the open log fills in
            await pilot.pause()
            await app.workers.wait_for_complete()
            text = screen_text(app)
            if "newer pause" in text:
                break
        assert text.index("newer pause") < text.index("older ping")
        await pilot.press("slash", *"ana")
        await pilot.pause()
        text = screen_text(app)
        assert "older ping" in text and "newer pause" not in text


async def test_an_audit_filter_that_matches_nothing_says_so_and_esc_clears_it(
    app: FarwatchApp, engine: FakeEngine
) -> None:
    audit.append(
        engine.settings.audit_file,
        audit.AuditEntry(action="ping", worker="ana", outcome="sent", message="a ping"),
    )
    no_match = "No entry matches the filter 'zoe'; Esc clears it"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        assert "a ping" in screen_text(app) and "No entry matches" not in screen_text(app)
        await pilot.press("slash", *"zoe", "enter")  # the table has the focus again
        await pilot.pause()
        text = screen_text(app)
        assert no_match in text and "a ping" not in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AuditLogScreen)
        text = screen_text(app)
        assert "a ping" in text and "No entry matches" not in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_keys_are_rebindable_by_id(tmp_path: object) -> None:
    from pathlib import Path

    engine = FakeEngine(Path(str(tmp_path)), ui=UiSettings(bell=False, keys={"sort": "k"}))
    app = build_app(engine, live=False, display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("k")
        assert app.screen.query_one(WorkerTable).sort_mode == "burn"
        await pilot.press("o")  # the old key no longer sorts
        assert app.screen.query_one(WorkerTable).sort_mode == "burn"


class RecordingScreen(Screen[None]):
    """Stands in for the compose and confirm dialogs: records how it was opened."""

    opened: ClassVar[list[tuple[Any, ...]]] = []

    def __init__(self, *args: Any, **_options: Any) -> None:
        super().__init__()
        RecordingScreen.opened.append(args)


async def test_p_x_r_and_shift_p_open_the_action_screens(
    app: FarwatchApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from farwatch.tui.screens import compose, confirm  # the dialogs load on first use

    RecordingScreen.opened = []
    monkeypatch.setattr(compose, "ComposeScreen", RecordingScreen)
    monkeypatch.setattr(confirm, "ConfirmScreen", RecordingScreen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")  # cursor on Chen, the stalest
        engine, statuses = RecordingScreen.opened[-1]
        assert engine is app.engine and [s.id for s in statuses] == ["chen"]
        app.pop_screen()
        await pilot.press("P")
        _, statuses = RecordingScreen.opened[-1]
        assert sorted(s.id for s in statuses) == ["ben", "chen", "eve"]  # Jon is paused
        app.pop_screen()
        await pilot.press("x")
        _, status, action = RecordingScreen.opened[-1]
        assert (status.id, action) == ("chen", "pause")
        app.pop_screen()
        await pilot.press("r")  # Chen is not paused: nothing opens
        assert len(RecordingScreen.opened) == 3
        assert any("Not paused" in n.message for n in app._notifications)


async def test_command_palette_offers_per_worker_actions(app: FarwatchApp) -> None:
    from farwatch.tui.commands import FarwatchCommands

    async with app.run_test(size=(120, 40)):
        provider = FarwatchCommands(app.screen)
        titles = [title for title, _, _ in provider.commands()]
        assert "Ping Ana Reyes" in titles
        assert "Pause Ana Reyes" in titles
        assert "Resume Jon Park" in titles  # paused, so resume is offered
        assert "Sort highest burn first" in titles
        assert "Source health" in titles
        assert titles[-1] == "Quit farwatch"  # one slip of the arrow keys never quits


async def test_read_only_shows_holder_and_reloads_instead_of_polling(tmp_path: object) -> None:
    from pathlib import Path

    from farwatch.tui import polling

    engine = FakeEngine(Path(str(tmp_path)), read_only=True)
    scheduler = FakeScheduler()
    scheduler.queued = ["roster"]
    app = build_app(engine, scheduler=scheduler, display_zone=UTC)
    polling_every = polling.RELOAD_EVERY
    polling.RELOAD_EVERY = 0.05
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            assert "read-only: pid 4242 on host" in screen_text(app)
            assert engine.reloads >= 1
            assert engine.polled == []
    finally:
        polling.RELOAD_EVERY = polling_every


async def test_the_detail_title_shows_the_workers_local_time_as_the_clock_moves(
    engine: Any, scheduler: Any
) -> None:
    from datetime import timedelta

    from tui_fakes import NOW

    moments = [NOW]
    app = build_app(engine, scheduler=scheduler, clock=lambda: moments[-1], display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_detail("eve")
        await pilot.pause()
        local = NOW.astimezone(ZoneInfo("Asia/Manila"))
        assert f"Asia/Manila {local:%H:%M}" in screen_text(app)
        moments.append(NOW + timedelta(minutes=7))
        app.tick()
        await pilot.pause()
        later = (NOW + timedelta(minutes=7)).astimezone(ZoneInfo("Asia/Manila"))
        assert f"Asia/Manila {later:%H:%M}" in screen_text(app)


async def test_at_80_columns_the_sources_screen_shows_the_whole_failing_error(
    app: FarwatchApp,
) -> None:
    """The table cuts the error column; the panel below it never cuts what is wrong."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "clockify — rate limited: the server answered 429 Too Many Requests" in text
        assert "waiting 10 min" in text
        assert "farwatch will back off and retry later" in text


@pytest.mark.parametrize(
    ("opens", "dialog_keys"),
    [("x", "^s Confirm  esc Cancel"), ("?", "esc Close"), ("enter x", "^s Confirm  esc Cancel")],
    ids=["pause-over-table", "help", "pause-over-detail"],
)
async def test_the_key_bar_under_a_dialog_shows_the_dialogs_keys_not_dead_ones(
    app: FarwatchApp, opens: str, dialog_keys: str
) -> None:
    """The keys of the screen under a dialog do nothing while it is open: not offered."""
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*opens.split())
        await pilot.pause()
        bottom = screen_text(app).splitlines()[-1]
        assert bottom.strip() == dialog_keys
        assert "Filter" not in bottom and "Ping" not in bottom and "palette" not in bottom
        await pilot.press("escape")
        await pilot.pause()
        assert "p Ping" in screen_text(app).splitlines()[-1]  # its own keys, once uncovered


async def test_keys_on_a_filter_that_matches_nobody_say_so_instead_of_nothing(
    app: FarwatchApp,
) -> None:
    """An empty table after a filter: Enter, p, x and r each say why nothing opened."""
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"zzq", "enter")
        said = "No worker matches the filter 'zzq'; Esc clears it"
        assert [n.message for n in app._notifications] == [said]
        for key in ("p", "x", "r", "enter"):
            app._notifications.clear()
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), key
            assert [n.message for n in app._notifications] == [said], key
        await pilot.press("escape")
        await pilot.press("p")
        await pilot.pause()
        assert not isinstance(app.screen, MainScreen)  # the filter cleared: a worker again


async def test_p_on_a_category_heading_says_so(app: FarwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        app.query_one(WorkerTable).move_cursor(row=0)  # the first category's heading
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        said = [n.message for n in app._notifications]
        assert said[-1] == "The cursor is on a category heading, not a worker"
        await pilot.press("slash", "a", "enter")  # a filter that matches some: still a heading
        await pilot.pause()
        assert app.query_one(WorkerTable).shown_statuses()
        app.query_one(WorkerTable).move_cursor(row=0)
        await pilot.press("x")
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert said[-1] == "The cursor is on a category heading, not a worker"
