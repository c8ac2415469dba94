"""``farwatch ping|pause|resume|log``: exit codes and messages a shell user sees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from farwatch.cli import actions_cmd
from farwatch.cli.main import main
from farwatch.state.settings import Settings
from tests.servers.nudge_kit import FakeEngine, SmtpServer, Webhook, free_port, status

WORKERS = [
    status(id="w1", name="Ana Reyes", email="ana@example.com"),
    status(id="w2", name="Anabel Cruz", email="anabel@example.com"),
]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run farwatch with a config file; the team comes from a stand-in engine."""
    workers = list(WORKERS)

    @contextmanager
    def fake_opened_engine(settings: Settings, **_: Any) -> Iterator[FakeEngine]:
        yield FakeEngine(settings, workers)

    monkeypatch.setattr(actions_cmd, "opened_engine", fake_opened_engine)

    def run(email_url: str, *args: str, extra: str = "") -> Any:
        config = tmp_path / "farwatch.toml"
        config.write_text(
            f'[nudge]\nemail = "{email_url}"\n[audit]\npath = "{tmp_path / "audit.jsonl"}"\n'
            + extra
        )
        return CliRunner().invoke(main, ["--config", str(config), *args])

    run.workers = workers  # type: ignore[attr-defined]
    return run


def test_ping_sends_and_log_shows_it(cli: Any, smtp_server: SmtpServer) -> None:
    result = cli(smtp_server.url(), "ping", "ana reyes", "-m", "Status please?")
    assert result.exit_code == 0, result.output
    assert "pinged Ana Reyes" in result.output
    assert smtp_server.mails[0].body.strip() == "Status please?"
    assert smtp_server.mails[0].recipients == ["ana@example.com"]
    shown = cli(smtp_server.url(), "log")
    assert shown.exit_code == 0
    lines = shown.output.splitlines()
    assert "ping" in lines[0] and "w1" in lines[0] and "sent" in lines[0]
    as_json = json.loads(cli(smtp_server.url(), "log", "--json", "--worker", "w1").output)
    assert [e["outcome"] for e in as_json] == ["sent", "intent"]
    assert json.loads(cli(smtp_server.url(), "log", "--json", "--worker", "w2").output) == []


def test_cooldown_refusal_exits_non_zero_and_force_sends(cli: Any, smtp_server: SmtpServer) -> None:
    assert cli(smtp_server.url(), "ping", "w1").exit_code == 0
    again = cli(smtp_server.url(), "ping", "w1")
    assert again.exit_code == 1
    assert "cooldown" in again.output and "force" in again.output
    assert cli(smtp_server.url(), "ping", "w1", "--force").exit_code == 0
    assert len(smtp_server.mails) == 2


def test_unknown_and_ambiguous_workers(cli: Any, smtp_server: SmtpServer) -> None:
    unknown = cli(smtp_server.url(), "ping", "zed")
    assert unknown.exit_code == 1
    assert "no worker matches 'zed'" in unknown.output and "Ana Reyes" in unknown.output
    amb = cli(smtp_server.url(), "pause", "an")
    assert amb.exit_code == 1
    assert "matches 2 workers" in amb.output and "Anabel Cruz" in amb.output
    assert smtp_server.mails == []


def test_channel_failure_exits_non_zero_with_the_reason(cli: Any) -> None:
    down = f"mailto://owner@127.0.0.1:{free_port()}?from=owner@example.com&mode=insecure"
    result = cli(down, "ping", "w1")
    assert result.exit_code == 1
    assert "failed" in result.output and "127.0.0.1" in result.output


def test_webhook_500_is_a_failure(cli: Any, smtp_server: SmtpServer, webhook: Webhook) -> None:
    webhook.status = 500
    cli.workers[0] = status(id="w1", name="Ana Reyes", im=webhook.cell())
    result = cli(smtp_server.url(), "ping", "w1", extra=webhook.toml())
    assert result.exit_code == 1
    assert "500" in result.output and "sent by email" in result.output


def test_dry_run_prints_the_message_and_sends_nothing(cli: Any, smtp_server: SmtpServer) -> None:
    result = cli(smtp_server.url(), "ping", "w1", "--dry-run", "--template", "hello")
    assert result.exit_code == 0
    assert "would ping Ana Reyes" in result.output
    assert "Subject: Hello from the office, Ana" in result.output
    assert smtp_server.mails == []
    assert cli(smtp_server.url(), "log").output.strip() == "the audit log is empty"


def test_unknown_template_and_bad_configured_template(cli: Any, smtp_server: SmtpServer) -> None:
    bad_name = cli(smtp_server.url(), "ping", "w1", "--template", "nope")
    assert bad_name.exit_code == 2 and "no template named 'nope'" in bad_name.output
    bad = cli(smtp_server.url(), "ping", "w1", extra='[nudge.templates]\noverdue = "$oops"\n')
    assert bad.exit_code == 2
    assert "'overdue'" in bad.output and "$oops" in bad.output


def test_pause_resume_round_trip(cli: Any, smtp_server: SmtpServer) -> None:
    dry = cli(smtp_server.url(), "pause", "w1", "--dry-run")
    assert dry.exit_code == 0 and "would mark Ana Reyes (w1, ana@example.com) paused" in dry.output
    paused = cli(smtp_server.url(), "pause", "w1", "--reason", "Cap reached.")
    assert paused.exit_code == 0, paused.output
    assert "paused Ana Reyes" in paused.output and "worker told by email" in paused.output
    assert "Cap reached." in smtp_server.mails[0].body
    resumed = cli(smtp_server.url(), "resume", "w1")
    assert resumed.exit_code == 0 and "resumed Ana Reyes" in resumed.output
    assert "not paused" in cli(smtp_server.url(), "resume", "w1").output
    log = cli(smtp_server.url(), "log", "--worker", "ana reyes").output
    assert "pause" in log and "resume" in log


def test_pause_whose_notice_fails_exits_non_zero_but_stays_paused(cli: Any) -> None:
    down = f"mailto://owner@127.0.0.1:{free_port()}?from=owner@example.com&mode=insecure"
    result = cli(down, "pause", "w1")
    assert result.exit_code == 1
    assert "paused Ana Reyes" in result.output and "telling the worker failed" in result.output
    log = json.loads(cli(down, "log", "--json").output)
    assert any(e["action"] == "pause" and e["outcome"] == "done" for e in log)


def test_log_reports_a_torn_line(cli: Any, smtp_server: SmtpServer, tmp_path: Path) -> None:
    cli(smtp_server.url(), "ping", "w1")
    with open(tmp_path / "audit.jsonl", "ab") as fh:
        fh.write(b'{"id": "torn')
    result = cli(smtp_server.url(), "log")
    assert result.exit_code == 0
    assert "skipped" in result.output and "incomplete" in result.output
    assert "sent" in result.output


def test_end_to_end_roster_poll_ping_pause_status(tmp_path: Path, smtp_server: SmtpServer) -> None:
    """A real roster file and cache: poll, ping by name prefix, pause, and status shows it."""
    (tmp_path / "roster.csv").write_text(
        "name,email,task,cap_hours\n"
        "Ana Reyes,ana@example.com,Inbox triage,40\n"
        "Ben Ito,ben@example.com,Research,20\n"
    )
    config = tmp_path / "farwatch.toml"
    config.write_text(
        f'[[sources]]\ntype = "sheet"\npath = "{tmp_path / "roster.csv"}"\n'
        f'[cache]\npath = "{tmp_path / "cache.json"}"\n'
        f'[nudge]\nemail = "{smtp_server.url()}"\n'
    )
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(main, ["--config", str(config), *args])

    assert run("poll", "--once").exit_code == 0
    pinged = run("ping", "ana")
    assert pinged.exit_code == 0, pinged.output
    assert smtp_server.mails[0].recipients == ["ana@example.com"]
    paused = run("pause", "ben", "--reason", "Budget review.")
    assert paused.exit_code == 0, paused.output
    shown = run("status", "--json")
    workers = {w["name"]: w for w in json.loads(shown.output)["workers"]}
    assert workers["Ben Ito"]["paused"] is True and workers["Ana Reyes"]["paused"] is False
    assert (tmp_path / "audit.jsonl").exists()  # beside the cache by default


@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_log_limit_must_be_a_positive_count(cli: Any, smtp_server: SmtpServer, limit: str) -> None:
    cli(smtp_server.url(), "ping", "w1")
    result = cli(smtp_server.url(), "log", "--limit", limit)
    assert result.exit_code == 2
    assert "--limit" in result.output and "sent" not in result.output


def test_log_limit_one_shows_only_the_newest(cli: Any, smtp_server: SmtpServer) -> None:
    cli(smtp_server.url(), "ping", "w1")
    cli(smtp_server.url(), "ping", "w1", "--force")
    shown = json.loads(cli(smtp_server.url(), "log", "--json", "--limit", "1").output)
    assert len(shown) == 1


def test_a_dry_run_predicts_the_real_exit_code(cli: Any, smtp_server: SmtpServer) -> None:
    """Unreachable worker: the real ping exits 1, so the dry run does too."""
    cli.workers[0] = status(id="w1", name="Ana Reyes", email="")
    dry = cli(smtp_server.url(), "ping", "w1", "--dry-run")
    real = cli(smtp_server.url(), "ping", "w1")
    assert (dry.exit_code, real.exit_code) == (1, 1)
    assert "could not be sent" in dry.output
    assert smtp_server.mails == []


@pytest.mark.parametrize("text", ["", "  \n "])
def test_an_empty_message_is_refused_and_nothing_goes(
    cli: Any, smtp_server: SmtpServer, text: str
) -> None:
    """The dashboard refuses an empty message; so does the command line (exit 2)."""
    result = cli(smtp_server.url(), "ping", "ana reyes", "-m", text)
    assert result.exit_code == 2
    assert "Invalid value for -m: the message is empty" in result.output
    assert smtp_server.mails == []
    assert cli(smtp_server.url(), "log").output.strip() == "the audit log is empty"
