"""The pay screen: `$` shows what each worker is owed this period; `v` the period before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from pathlib import Path

import pytest
from tui_fakes import FakeEngine, FakeScheduler, ana_history, screen_text, status

from farwatch.state.status import WorkerStatus
from farwatch.tui.app import build_app
from farwatch.tui.screens.main import MainScreen
from farwatch.tui.screens.pay import PayScreen

pytestmark = pytest.mark.anyio


def ana_at_12_usd() -> WorkerStatus:
    """Ana (UTC, cap 8 h a week, 12 USD/h) over ``ana_history``'s 12 h."""
    return replace(
        status("ana", "Ana Reyes", timezone="UTC", used=12, cap=8),
        email="ana@example.com",
        rate=12.0,
        currency="USD",
        cap_period="week",
    )


async def wait_for_rows(app: object, pilot: object) -> None:
    for _ in range(100):
        await app.workers.wait_for_complete()  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        if "Pay —" in screen_text(app):
            return


async def test_dollar_opens_pay_with_capped_amounts_and_v_shows_last_period(
    tmp_path: Path,
) -> None:
    """Ana (UTC, cap 8 h a week, 12 USD/h) worked Mon 5 h and Tue 4.5 h of this week
    (Mon 2 Mar 2026), and a timer has run 2.5 h: 12 h logged, 8 payable, 4 over."""
    checkins, entries = ana_history()
    ana = ana_at_12_usd()
    ben = replace(status("ben", "Ben Okafor", timezone="UTC"), rate=None, currency="")
    engine = FakeEngine(tmp_path, [ana, ben], checkins=checkins, entries=entries)
    app = build_app(engine, scheduler=FakeScheduler(), display_zone=UTC)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("dollar_sign")
        assert isinstance(app.screen, PayScreen)
        await wait_for_rows(app, pilot)
        text = screen_text(app)
        ana_line = next(line for line in text.splitlines() if "Ana Reyes" in line)
        assert ana_line.split()[2:] == [
            "Mon",
            "02",
            "Mar",
            "12.00h",
            "8.00h",
            "4.00h",
            "✖",
            "$12.00",
            "$96.00",
            "$48.00",
            "provisional",
            "▶",
        ]
        assert "USD: 8.00h payable · $96.00 to pay · $48.00 not paid (over cap)" in text
        assert "No currency:" in text and "1 worker without a rate" in text
        await pilot.press("v")
        await wait_for_rows(app, pilot)
        text = screen_text(app)
        assert "the previous cap period" in text
        assert "Mon 23 Feb" in text and "$96.00" not in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_the_detail_shows_this_periods_payable_and_over_cap(tmp_path: Path) -> None:
    checkins, entries = ana_history()
    ana = ana_at_12_usd()
    engine = FakeEngine(tmp_path, [ana], checkins=checkins, entries=entries)
    app = build_app(engine, scheduler=FakeScheduler(), display_zone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        app.open_detail("ana")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert (
            "Pay this period: 8.00h payable ($96.00), 4.00h over the cap (not paid: $48.00); "
            "provisional (timer running)"
        ) in text


async def test_the_header_shows_this_periods_payable_total_per_currency(tmp_path: Path) -> None:
    """Ana: 8 of her 12 h payable at 12 USD/h ($96.00, the pay screen's figure above).
    Ben logged the same 12 h without a cap at 10 an hour in "PESO", which is no ISO
    4217 code: 120.00 shown as written and marked, beside the dollars, never added."""
    checkins, entries = ana_history()
    ana = ana_at_12_usd()
    ben = replace(
        status("ben", "Ben Okafor", timezone="UTC", used=12, cap=None),
        email="ben@example.com",
        rate=10.0,
        currency="PESO",
    )
    bens = [replace(e, key=f"ben-{e.key}", who="ben@example.com") for e in entries["clockify"]]
    entries = {"clockify": [*entries["clockify"], *bens]}
    engine = FakeEngine(tmp_path, [ana, ben], checkins=checkins, entries=entries)
    app = build_app(engine, scheduler=FakeScheduler(), display_zone=UTC)
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(100):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if "payable" in screen_text(app):
                break
        header = screen_text(app).splitlines()[0]
        assert "2 workers · 1 over cap · payable 120.00 PESO? · $96.00  (stalest first)" in header


async def test_with_no_rate_on_the_roster_no_pay_is_priced_and_the_header_shows_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing to show, nothing worked out: the rederive each minute does not price
    every worker's hours for a header that would show no amount anyway."""
    from farwatch.state import pay

    priced: list[bool] = []
    real_report = pay.pay_report

    def counting_report(*args: object, **kwargs: object) -> object:
        priced.append(True)
        return real_report(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pay, "pay_report", counting_report)
    engine = FakeEngine(tmp_path)
    assert all(s.rate is None for s in engine.current)
    app = build_app(engine, scheduler=FakeScheduler(), display_zone=UTC)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.pay_totals == ()
        assert "payable" not in screen_text(app).splitlines()[0]
        engine.change("ana", rate=12.0, currency="USD")
        app.poller.rederive()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert priced  # a rate appeared: the totals are worked out again


async def test_v_on_a_task_capped_worker_says_there_is_no_previous_period(
    tmp_path: Path,
) -> None:
    """A task cap is one period, the whole task: `v` must not show a 0 h row dated
    like this period's, but say plainly that there is nothing before it."""
    checkins, entries = ana_history()
    ana = replace(ana_at_12_usd(), cap_period="task")
    ben = replace(ana_at_12_usd(), id="ben", name="Ben Okafor", email="ben@example.com")
    engine = FakeEngine(tmp_path, [ana, ben], checkins=checkins, entries=entries)
    app = build_app(engine, scheduler=FakeScheduler(), display_zone=UTC)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("dollar_sign")
        await wait_for_rows(app, pilot)
        assert "no previous period" not in screen_text(app)
        await pilot.press("v")
        await wait_for_rows(app, pilot)
        text = screen_text(app)
        assert "the previous cap period" in text
        ana_line = next(line for line in text.splitlines() if "Ana Reyes" in line)
        assert ana_line.split()[2:] == ["—"] * 7 + ["task", "cap:", "no", "previous", "period"]
        ben_line = next(line for line in text.splitlines() if "Ben Okafor" in line)
        assert "Mon 23 Feb" in ben_line and "no previous period" not in ben_line
