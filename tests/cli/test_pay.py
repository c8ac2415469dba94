"""``farwatch pay`` end to end: a roster and two time logs polled into a real cache.

Ana (Manila, weekly cap 10 h, 15 USD/h) logged the same morning in both logs
and more on Tuesday; Ken (Tokyo, no cap, 1233 JPY/h) half an hour; Bo (no
rate) two hours. The week is Mon 2 Mar 2026 (Manila midnight = Sun 16:00Z).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from farwatch.cli.main import main
from farwatch.state import audit
from tests.servers.nudge_kit import SmtpServer, smtp_server

__all__ = ["smtp_server"]

NOW = "2026-03-04T04:00:00Z"  # Wednesday 12:00 in Manila

ROSTER = (
    "id,name,email,timezone,cap_hours,cap_period,rate,currency\n"
    "ana,Ana Reyes,ana@example.com,Asia/Manila,10,week,$15.00,USD\n"
    "ken,Ken Sato,ken@example.com,Asia/Tokyo,,week,1233,JPY\n"
    "bo,Bo Lind,bo@example.com,UTC,,week,,\n"
)
# Monday 09:00-17:00 Manila (01:00Z-09:00Z) in both logs: 8 h, counted once.
# Tuesday 09:00-13:00 Manila (01:00Z-05:00Z): the cap falls at 11:00 Manila.
TRACKER = (
    "worker,start,end,task\n"
    "ana@example.com,2026-03-02T01:00:00Z,2026-03-02T09:00:00Z,Invoices\n"
    "ana@example.com,2026-03-03T01:00:00Z,2026-03-03T05:00:00Z,Invoices\n"
)
TIMELOG = (
    "worker,start,end,task\n"
    "ana@example.com,2026-03-02T01:00:00Z,2026-03-02T09:00:00Z,Invoices\n"
    "ken@example.com,2026-03-02T00:00:00Z,2026-03-02T00:30:00Z,Translation\n"
    "bo@example.com,2026-03-02T10:00:00Z,2026-03-02T12:00:00Z,Support\n"
)


@pytest.fixture
def team(tmp_path: Path, smtp_server: SmtpServer) -> Path:
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "tracker.csv").write_text(TRACKER, encoding="utf-8")
    (tmp_path / "timelog.csv").write_text(TIMELOG, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\npath = "{tmp_path / "cache.json"}"\nretention = "3650d"\n'
        f'[nudge]\nemail = "{smtp_server.url()}"\n'
        f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{tmp_path / "roster.csv"}"\n'
        f'[[sources]]\ntype = "timesheet"\nname = "tracker"\npath = "{tmp_path / "tracker.csv"}"\n'
        f'[[sources]]\ntype = "timesheet"\nname = "hours"\npath = "{tmp_path / "timelog.csv"}"\n',
        encoding="utf-8",
    )
    polled = farwatch(config, "poll", "--once")
    assert polled.exit_code == 0, polled.output
    return config


def farwatch(config: Path, *args: str) -> Any:
    return CliRunner().invoke(main, [*args, "--config", str(config)], catch_exceptions=False)


def test_pay_json_gives_each_workers_capped_amount_and_totals_per_currency(team: Path) -> None:
    result = farwatch(team, "pay", "--json", "--now", NOW)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["version"] == 1 and doc["generated_at"] == "2026-03-04T04:00:00Z"
    workers = {w["id"]: w for w in doc["workers"]}
    ana = workers["ana"]
    # 8 h Monday (once, though two logs have it) + 4 h Tuesday = 12 h; cap 10 h
    assert (ana["hours_logged"], ana["hours_payable"], ana["hours_over_cap"]) == (12, 10, 2)
    assert (ana["rate"], ana["currency"]) == ("15.0", "USD")
    assert (ana["amount_payable"], ana["amount_over_cap"]) == ("150.00", "30.00")
    assert ana["period_start"] == "2026-03-01T16:00:00Z"  # Monday 00:00 in Manila
    assert ana["period_end"] == NOW and ana["provisional"] is False
    assert workers["ken"]["amount_payable"] == "616"  # 1233 x 0.5 = 616.5, half-even
    assert workers["bo"]["amount_payable"] is None and workers["bo"]["hours_payable"] == 2
    totals = {t["currency"]: t for t in doc["totals"]}
    assert totals["USD"] == {
        "currency": "USD",
        "hours_payable": 10,
        "amount_payable": "150.00",
        "amount_over_cap": "30.00",
    }
    assert totals["JPY"]["amount_payable"] == "616"
    assert totals[None]["amount_payable"] == "0"


def test_pay_csv_is_ready_for_a_payroll_import(team: Path) -> None:
    result = farwatch(team, "pay", "--csv", "--now", NOW)
    rows = list(csv.DictReader(io.StringIO(result.output)))
    ana = next(r for r in rows if r["id"] == "ana")
    assert ana["amount_payable"] == "150.00" and ana["hours_over_cap"] == "2"
    assert ana["provisional"] == "no"
    bo = next(r for r in rows if r["id"] == "bo")
    assert bo["amount_payable"] == "" and bo["rate"] == ""


def test_the_table_formats_money_for_people_and_never_adds_currencies(team: Path) -> None:
    out = farwatch(team, "pay", "--now", NOW).output
    assert "$150.00" in out and "¥616" in out
    assert "Total USD: 10.00h payable, $150.00 to pay, $30.00 not paid (over cap)" in out
    assert "Total JPY:" in out and "1 worker without a rate (hours only)" in out


def test_a_statement_shows_each_day_and_where_the_cap_cut_in(team: Path) -> None:
    out = farwatch(team, "pay", "--statement", "ana", "--now", NOW).output
    assert "Statement for Ana Reyes" in out
    lines = [line.strip() for line in out.splitlines()]
    assert "Tue 03 Mar 2026" in lines
    assert "09:00-11:00     2.00 h  payable   Invoices" in lines
    assert "11:00-13:00     2.00 h  over cap  Invoices" in lines
    assert "Payable:        10.00 h at $15.00 an hour = $150.00" in lines


def test_statements_go_to_each_worker_by_their_channel(team: Path, smtp_server: SmtpServer) -> None:
    dry = farwatch(team, "pay", "--send", "--dry-run", "--now", NOW)
    assert dry.exit_code == 0, dry.output
    assert "would send Ana Reyes's statement by email ana@example.com" in dry.output
    assert smtp_server.mails == []
    sent = farwatch(team, "pay", "--send", "--worker", "ana", "--now", NOW)
    assert sent.exit_code == 0, sent.output
    [mail] = smtp_server.mails
    assert mail.recipients == ["ana@example.com"]
    assert "= $150.00" in mail.body and "over cap" in mail.body
    # a statement is not a nudge: a ping right after is not held back by the cooldown
    pinged = farwatch(team, "ping", "ana")
    assert pinged.exit_code == 0, pinged.output


def test_approving_records_the_figures_and_a_second_approval_says_what_changed(
    team: Path, tmp_path: Path
) -> None:
    args = ("pay", "--approve", "--from", "2026-03-02", "--to", "2026-03-08", "--now", NOW)
    first = farwatch(team, *args)
    assert first.exit_code == 0, first.output
    assert "approved the figures of 3 workers for 2026-03-02..2026-03-08" in first.output
    [entry] = [
        e for e in audit.read_entries(tmp_path / "audit.jsonl") if e.action == "pay_approval"
    ]
    assert len(entry.detail) == 64  # the statement data's hash
    assert json.loads(entry.message)["workers"]["ana"]["payable"] == "150.00"
    # Bo's log gains an hour; approving again names the change
    with (tmp_path / "timelog.csv").open("a", encoding="utf-8") as log:
        log.write("bo@example.com,2026-03-03T10:00:00Z,2026-03-03T11:00:00Z,Support\n")
    (tmp_path / "roster.csv").write_text(
        ROSTER.replace("bo@example.com,UTC,,week,,", "bo@example.com,UTC,,week,20,EUR")
    )
    assert farwatch(team, "poll", "--once").exit_code == 0
    second = farwatch(team, *args)
    assert "changed since" in second.output
    assert "Bo Lind: payable — → €60.00" in second.output
    same = farwatch(team, *args)
    assert "no change since" in same.output


@pytest.mark.parametrize(
    ("given", "missing"), [("--from", "--to"), ("--to", "--from")], ids=["from", "to"]
)
def test_half_a_range_is_a_usage_error_not_a_silent_single_day(
    tmp_path: Path, given: str, missing: str
) -> None:
    """``--from 2026-03-01`` alone used to report that one Sunday: 0 h owed to everyone."""
    result = farwatch(tmp_path / "config.toml", "pay", given, "2026-03-01")
    assert result.exit_code == 2
    assert f"Error: {given} needs {missing} too: the range is two local dates" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--approve", "--send", "--dry-run"), "choose one of --approve and --send"),
        (("--approve", "--send"), "choose one of --approve and --send"),
        (("--statement", "ana", "--csv"), "--statement prints a text statement"),
        (("--statement", "ana", "--json"), "--statement prints a text statement"),
    ],
)
def test_options_that_one_would_silently_drop_are_a_usage_error(
    team: Path, args: tuple[str, ...], said: str
) -> None:
    """``--approve --send --dry-run`` used to record an approval and send nothing."""
    result = farwatch(team, "pay", *args, "--now", NOW)
    assert result.exit_code == 2
    assert said in result.output
    audit_file = team.parent / "audit.jsonl"
    assert not [e for e in audit.read_entries(audit_file) if e.action == "pay_approval"]
