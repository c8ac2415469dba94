"""``farwatch digest``: the owner's daily message, printed and sent on demand.

The pay tests' team (Ana over her 10 h cap at 15 USD/h, Ken in JPY, Bo without
a rate), plus Eve, whose roster name tries to smuggle markup and a terminal
escape into the owner's Slack and inbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from farwatch.cli.main import main
from farwatch.state import audit
from tests.servers.nudge_kit import SmtpServer, Webhook, smtp_server, webhook

__all__ = ["smtp_server", "webhook"]

NOW = "2026-03-04T04:00:00Z"  # Wednesday 12:00 in Manila
ROSTER = (
    "id,name,email,timezone,cap_hours,cap_period,rate,currency\n"
    "ana,Ana Reyes,ana@example.com,Asia/Manila,10,week,$15.00,USD\n"
    "ken,Ken Sato,ken@example.com,Asia/Tokyo,,week,1233,JPY\n"
    "eve,<b>Eve</b> *Star* [x](http://evil.example) \x1b[31m,eve@example.com,UTC,,week,,\n"
)
TIMELOG = (
    "worker,start,end,task\n"
    "ana@example.com,2026-03-02T01:00:00Z,2026-03-02T09:00:00Z,Invoices\n"
    "ana@example.com,2026-03-03T01:00:00Z,2026-03-03T05:00:00Z,Invoices\n"
    "ken@example.com,2026-03-02T00:00:00Z,2026-03-02T00:30:00Z,Translation\n"
)


@pytest.fixture
def team(tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook) -> Path:
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "timelog.csv").write_text(TIMELOG, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\nretention = "3650d"\n'
        f'[nudge]\nemail = "{smtp_server.url()}"\n'
        '[owner]\ntimezone = "Europe/London"\n'
        f"{webhook.toml()}"
        f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{tmp_path / "roster.csv"}"\n'
        f'[[sources]]\ntype = "timesheet"\nname = "hours"\npath = "{tmp_path / "timelog.csv"}"\n',
        encoding="utf-8",
    )
    # Poll before the digest is configured: a poll sends a due digest by the real
    # clock, and these tests read and send it at NOW only.
    polled = farwatch(config, "poll", "--once")
    assert polled.exit_code == 0, polled.output
    with config.open("a", encoding="utf-8") as fh:
        fh.write(
            '[digest]\nat = "08:00"\n'
            f'channels = ["email:owner@example.com", "{webhook.cell("/owner")}"]\n'
        )
    return config


def farwatch(config: Path, *args: str) -> Any:
    return CliRunner().invoke(main, [*args, "--config", str(config)], catch_exceptions=False)


def test_the_digest_names_who_needs_attention_and_what_is_owed(team: Path) -> None:
    shown = farwatch(team, "digest", "--now", NOW)
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "farwatch digest, Wed 04 Mar 2026 04:00 (Europe/London)" in text
    assert "Over the cap: 1\n  - Ana Reyes (12.0 of 10 h this week)" in text
    assert "Never checked in: 3" in text
    assert "  - Ana Reyes: 12.0 h, payable $150.00" in text
    assert "  - Ken Sato: 0.5 h, payable ¥616" in text
    assert "first digest: nothing to compare with" in text
    assert "Eve Star x(http://evil.example)" in text
    assert not any(ch in text for ch in "<>*[]\x1b")


def test_send_delivers_one_plain_message_by_email_and_webhook(
    team: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    dry = farwatch(team, "digest", "--now", NOW, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would send to email owner@example.com, im hook:owner" in dry.output
    assert smtp_server.mails == [] and webhook.requests == []

    sent = farwatch(team, "digest", "--now", NOW, "--send")
    assert sent.exit_code == 0, sent.output
    assert [m.recipients for m in smtp_server.mails] == [["owner@example.com"]]
    assert "Over the cap: 1" in smtp_server.mails[0].body
    assert [path for path, _ in webhook.requests] == ["/owner"]
    assert "Over the cap: 1" in webhook.requests[0][1]["message"]
    log = audit.read_entries(team.parent / "audit.jsonl")
    assert [e.outcome for e in log if e.action == "owner_delivery"] == [
        "sent",
        "sent",
        "intent",
        "intent",
    ]


def test_check_names_digest_channels_that_cannot_deliver(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\n'
        "[policy]\nauto_nudge = true\n"
        '[digest]\nat = "08:00"\nchannels = ["email:owner@example.com"]\n',
        encoding="utf-8",
    )
    checked = farwatch(config, "check")
    assert checked.exit_code == 2
    assert "policy.auto_nudge: on, but [nudge] email is not set" in checked.output
    assert "digest.channels: an email: channel needs [nudge] email" in checked.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[digest]\nat = "8am"\nchannels = ["email:a@b.c"]\n',
            'digest.at: expected a time of day like "08:00", got "8am"',
        ),
        (
            '[digest]\nat = "08:00"\n',
            "digest.channels: expected at least one channel when [digest] at is set",
        ),
        (
            '[digest]\nchannels = ["email:nobody"]\n',
            'digest.channels[1]: expected email:ADDRESS with an @, got "email:nobody"',
        ),
        (
            '[owner]\nquiet_hours = "late"\n',
            'owner.quiet_hours: expected working hours like "09:00-17:00"',
        ),
        (
            "[policy]\nauto_nudge_max_per_day = 0\n",
            "policy.auto_nudge_max_per_day: expected a whole number of at least 1, got 0",
        ),
        (
            "[policy]\nshift_start_reminder = 15\n",
            "policy.shift_start_reminder: expected a duration",
        ),
        ('[policy]\nauto_nudge = "yes"\n', 'policy.auto_nudge: expected true or false, got "yes"'),
    ],
)
def test_bad_cadence_keys_name_the_file_the_key_and_what_was_expected(
    tmp_path: Path, extra: str, message: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[cache]\npath = "{tmp_path / "cache.json"}"\n{extra}', encoding="utf-8")
    checked = farwatch(config, "check")
    assert checked.exit_code == 2
    assert f"{config}: {message}" in checked.output


def test_a_failed_send_names_the_channel_and_the_reason_not_an_entry_id(
    team: Path, webhook: Webhook
) -> None:
    webhook.status = 500
    sent = farwatch(team, "digest", "--now", NOW, "--send")
    assert sent.exit_code == 1
    failed = [line for line in sent.stderr.splitlines() if "not sent" in line]
    assert len(failed) == 1 and failed[0].startswith("farwatch: digest not sent by im: ")
    queued = [e.id for e in audit.read_entries(team.parent / "audit.jsonl")]
    assert not any(entry_id in sent.stderr for entry_id in queued)
