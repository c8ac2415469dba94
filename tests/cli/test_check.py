"""``farwatch check``: config first, then each source once, nothing saved."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from farwatch.sources.base import SourceError
from farwatch.sources.explain import explain
from farwatch.state.config import load_settings

Run = Callable[..., Result]
MakeConfig = Callable[..., Path]

GOOD: dict[str, Any] = {
    "roster": [{"worker_id": "ana@example.com", "name": "Ana", "email": "ana@example.com"}],
}
AUTH_FAIL = {"error": {"kind": "auth", "message": "login refused for owner@example.com"}}


def test_all_sources_ok(run: Run, make_config: MakeConfig) -> None:
    path = make_config([("roster", GOOD), ("more", GOOD)])
    result = run("check", "--config", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"config OK: {path} (2 sources)",
        "roster (fakefile)  OK      1 roster rows, 0 check-ins, 0 time entries",
        "more (fakefile)    OK      1 roster rows, 0 check-ins, 0 time entries",
    ]


def test_failure_is_explained_in_plain_words_and_exits_1(run: Run, make_config: MakeConfig) -> None:
    path = make_config([("roster", GOOD), ("mail", AUTH_FAIL)])
    result = run("check", "--config", str(path))
    assert result.exit_code == 1
    advice = explain(SourceError("x", kind="auth"))
    lines = result.stdout.splitlines()
    assert lines[2] == "mail (fakefile)    FAILED  auth: login refused for owner@example.com"
    assert all(line.startswith(" " * 27) for line in lines[3:])
    assert " ".join(line.strip() for line in lines[3:]) == advice


def test_check_writes_no_cache(run: Run, make_config: MakeConfig) -> None:
    path = make_config([("roster", GOOD)])
    assert run("check", "--config", str(path)).exit_code == 0
    cache = load_settings(path).cache.path
    assert not cache.exists()
    assert not cache.with_name(cache.name + ".lock").exists()


def test_missing_file_source(run: Run, make_config: MakeConfig, tmp_path: Path) -> None:
    path = make_config([("roster", GOOD)])
    (tmp_path / "roster.json").unlink()
    result = run("check", "--config", str(path))
    assert result.exit_code == 1
    assert f"roster (fakefile)  FAILED  io: {tmp_path / 'roster.json'} does not exist" in (
        result.stdout
    )


def test_config_error_exit_2(run: Run, make_config: MakeConfig, tmp_path: Path) -> None:
    path = make_config([("roster", GOOD)], extra='[ui]\nbell = "loud"')
    result = run("check", "--config", str(path))
    assert result.exit_code == 2
    assert result.stderr == f'farwatch: {path}: ui.bell: expected true or false, got "loud"\n'
    assert result.stdout == ""


def test_no_sources_is_fine_but_said(run: Run, make_config: MakeConfig) -> None:
    path = make_config()
    result = run("check", "--config", str(path))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"config OK: {path} (0 sources)",
        "no sources configured yet: add [[sources]] tables (farwatch init writes examples)",
    ]


def test_a_hung_source_is_reported_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    from farwatch.cli import check_cmd
    from farwatch.state.settings import SourceSettings

    release = threading.Event()
    real_try = check_cmd._try

    def slow_or_real(spec: SourceSettings) -> check_cmd.CheckResult:
        if spec.name == "hung":
            release.wait(30)
        return real_try(spec)

    monkeypatch.setattr(check_cmd, "_try", slow_or_real)
    specs = (
        SourceSettings("faketoken", "quick", 60.0, {"api_token": "x"}),
        SourceSettings("faketoken", "hung", 60.0, {"api_token": "x"}, deadline=1.0),
    )
    started = time.monotonic()
    results = check_cmd.run_checks(specs)  # each source's own deadline, as polls use
    release.set()
    assert time.monotonic() - started < 5
    assert [(r.name, r.ok, r.detail) for r in results] == [
        ("quick", True, "0 roster rows, 0 check-ins, 0 time entries"),
        ("hung", False, "timeout: no complete answer within 1 s (its deadline)"),
    ]


def test_check_does_not_say_ok_for_a_config_that_would_fail_later(
    run: Run, make_config: MakeConfig
) -> None:
    """A typo'd key binding, theme and placeholder, and an email password nobody set:
    the dashboard and the first ping would trip over each; check names them all."""
    extra = (
        "[ui]\n"
        'theme = "farwatch-drak"\n'
        "[ui.keys]\n"
        'pol_now = "ctrl+r"\n'
        "[nudge]\n"
        'email = "mailtos://owner@example.com@smtp.example.com"\n'
        'email_password_env = "FW_TEST_UNSET_SMTP_PASSWORD"\n'
        "[nudge.templates]\n"
        'overdue = "Hi {nmae}, how is $task going?"\n'
    )
    path = make_config([("roster", GOOD)], extra=extra)
    result = run("check", "--config", str(path))
    assert result.exit_code == 2, result.output
    problems = result.stderr.splitlines()
    assert (
        f'{path}: ui.theme: unknown theme "farwatch-drak" (did you mean "farwatch-dark"?)'
        in (problems[0])
    )
    assert problems[1].startswith(
        f'{path}: ui.keys.pol_now: unknown binding id (did you mean "poll_now"?)'
    )
    assert problems[2].startswith(
        f"{path}: nudge.templates: template 'overdue' uses unknown placeholder(s) {{nmae}};"
    )
    assert "$nmae" not in result.stderr
    assert problems[3] == (
        f"{path}: nudge.email_password_env: environment variable "
        "FW_TEST_UNSET_SMTP_PASSWORD is not set (email pings would fail)"
    )
    assert result.stdout.startswith(f"config has problems: {path} (1 source)")
    assert "config OK" not in result.output


def test_a_sound_config_with_keys_theme_and_templates_is_ok(
    run: Run, make_config: MakeConfig
) -> None:
    extra = (
        '[ui]\ntheme = "nord"\n[ui.keys]\npoll_now = "ctrl+r"\n'
        '[nudge.templates]\noverdue = "Hi {first_name}, how is $task going?"\n'
    )
    result = run("check", "--config", str(make_config([("roster", GOOD)], extra=extra)))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("config OK:")


def test_roster_warnings_are_printed_one_per_line(run: Run, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,email,timezone\nAna,ana@example.com,Asia/Manila\n,nobody@example.com,UTC\n"
        "Ben,ben@example.com,Mars/Olympus\n",
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[[sources]]\ntype = "sheet"\npath = "{roster}"\n', encoding="utf-8")
    result = run("check", "--config", str(config))
    lines = result.stdout.splitlines()
    warnings = [line.strip() for line in lines if line.strip().startswith("warning:")]
    assert len(warnings) == 2, result.stdout
    assert warnings[0].startswith("warning: line 3:") and warnings[1].startswith("warning: line 4:")
    assert not any("; warning:" in line for line in lines)


def test_a_source_refusing_its_own_settings_is_a_config_problem_exit_2(
    run: Run, make_config: MakeConfig
) -> None:
    refuses = {"error": {"kind": "config", "message": "set exactly one of path or url"}}
    path = make_config([("roster", GOOD), ("sheet", refuses)])
    result = run("check", "--config", str(path))
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"config has problems: {path} (2 sources)"
    assert "config OK" not in result.output
    assert lines[2] == "sheet (fakefile)   FAILED  config: set exactly one of path or url"


def test_an_unset_secret_variable_is_named_as_a_config_problem_exit_2(
    run: Run, make_config: MakeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FW_TEST_UNSET_CLOCKIFY_KEY", raising=False)
    extra = (
        '[[sources]]\ntype = "clockify"\nname = "hours"\nworkspace = "w1"\n'
        'api_key_env = "FW_TEST_UNSET_CLOCKIFY_KEY"\n'
    )
    path = make_config([("roster", GOOD)], extra=extra)
    result = run("check", "--config", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"{path}: sources[1].api_key_env: environment variable FW_TEST_UNSET_CLOCKIFY_KEY is "
        "not set in this shell (source 'hours' cannot log in without it)\n"
    )
    assert result.stdout.startswith(f"config has problems: {path} (2 sources)")


def test_two_bindings_on_one_key_are_a_config_problem_exit_2(
    run: Run, make_config: MakeConfig
) -> None:
    """``poll_now = "q"`` would leave q to quit or to poll, never both: check says so."""
    extra = '[ui.keys]\npoll_now = "q"\nping = "x"\nsort = "ctrl+o"\n'
    path = make_config([("roster", GOOD)], extra=extra)
    result = run("check", "--config", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f'{path}: ui.keys.ping: "x" is also the key of "pause"; only one of them would work: '
        "choose another key",
        f'{path}: ui.keys.poll_now: "q" is also the key of "quit"; only one of them would '
        "work: choose another key",
    ]


def test_a_screen_key_shadowing_the_apps_by_design_is_not_a_clash(
    run: Run, make_config: MakeConfig
) -> None:
    """The sources screen's own "u" polls that source; rebinding both together is fine."""
    from farwatch.tui.screens.sources import SourcesScreen

    screen_ids = [b.id for b in SourcesScreen.BINDINGS if getattr(b, "key", "") == "u"]
    assert screen_ids and screen_ids[0]
    extra = f'[ui.keys]\npoll_now = "ctrl+r"\n{screen_ids[0]} = "ctrl+r"\n'
    result = run("check", "--config", str(make_config([("roster", GOOD)], extra=extra)))
    assert result.exit_code == 0, result.output


def test_an_email_url_apprise_cannot_use_is_a_config_problem(
    run: Run, make_config: MakeConfig
) -> None:
    """``mailto://127.0.0.1:25`` parses as a URL, but no ping or digest could go by it."""
    extra = '[nudge]\nemail = "mailto://127.0.0.1:25"\n'
    result = run("check", "--config", str(make_config([("roster", GOOD)], extra=extra)))
    assert result.exit_code == 2, result.output
    assert "nudge.email: apprise does not understand this URL (email pings would fail)" in (
        result.stderr
    )
    fine = '[nudge]\nemail = "mailtos://owner@example.com@smtp.example.com"\n'
    result = run("check", "--config", str(make_config([("roster", GOOD)], extra=fine)))
    assert result.exit_code == 0, result.output
