"""Configured secrets never leave the environment.

Every kind of secret farwatch handles is configured at once: the IMAP password
(dovecot on 127.0.0.1), tracker API keys (Clockify, faked with respx from its
documented payloads), the SMTP password (aiosmtpd) and an IM token in the
owner's ``[nudge.im.hook]`` channel (a loopback webhook). Then farwatch polls (with
right and wrong credentials, and a tracker that echoes the bad key back in its
error), pings, runs ``farwatch check`` and ``status --json``, and everything it
wrote or said is scanned for the secret values: the cache folder, the audit
log, command output, error messages, captured log records, and every snapshot
file under tests/.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import respx
from click.testing import CliRunner
from servers import smtp_server, webhook_server

from farwatch.actions.ping import ping
from farwatch.cli.main import main
from farwatch.state.config import load_settings
from farwatch.state.engine import Engine
from tests.servers.imap import PASSWORD as IMAP_PASSWORD
from tests.servers.imap import ImapServer

TESTS = Path(__file__).resolve().parents[1]
SMTP_PASSWORD = "smtp-Pw-77x!q"
WRONG_SMTP = "Wr0ng-smtp-88z"
WRONG_IMAP = "Wr0ng-imap-99y"
CLOCKIFY_KEY = "ck-Zq81-good-key-4471"
BAD_CLOCKIFY_KEY = "ck-Bad-key-9038"
IM_TOKEN = "imtok-93kd-Xy7"
SECRETS = (IMAP_PASSWORD, WRONG_IMAP, SMTP_PASSWORD, WRONG_SMTP, CLOCKIFY_KEY, BAD_CLOCKIFY_KEY)
WID = "64a687e29ae1f428e7ebe303"


def forms(secret: str) -> set[str]:
    """How a secret could appear: as is, URL-quoted, base64 (in Basic auth)."""
    return {
        secret,
        quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"{secret}:api_token".encode()).decode(),
    }


def all_forms() -> set[str]:
    found: set[str] = set()
    for secret in (*SECRETS, IM_TOKEN):
        found |= forms(secret)
    return found


def scan(where: str, text: str) -> None:
    for form in all_forms():
        assert form not in text, f"a secret ({form[:4]}…) appears in {where}"


def clockify(request: httpx.Request) -> httpx.Response:
    """The documented Clockify answers; a bad key is echoed back, as some APIs do."""
    key = request.headers.get("X-Api-Key", "")
    if key != CLOCKIFY_KEY:
        return httpx.Response(401, json={"message": f"Api key {key} is not valid", "code": 4003})
    if request.url.path.endswith("/users"):
        return httpx.Response(200, json=[{"id": "u-ana", "email": "ana@example.com"}])
    if request.url.path.endswith("/in-progress"):
        return httpx.Response(
            200,
            json=[
                {
                    "id": "te1",
                    "description": "Reconcile",
                    "userId": "u-ana",
                    "timeInterval": {"start": "2026-01-05T09:00:00Z", "end": None},
                }
            ],
        )
    return httpx.Response(200, json={"timeentries": []})


@pytest.fixture
def world(
    tmp_path: Path, imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("FW_IMAP_PW", IMAP_PASSWORD)
    monkeypatch.setenv("FW_IMAP_WRONG", WRONG_IMAP)
    monkeypatch.setenv("FW_CLOCKIFY_KEY", CLOCKIFY_KEY)
    monkeypatch.setenv("FW_CLOCKIFY_BAD", BAD_CLOCKIFY_KEY)
    monkeypatch.setenv("FW_SMTP_PW", SMTP_PASSWORD)
    monkeypatch.setenv("FARWATCH_IM_ANA", IM_TOKEN)
    with smtp_server(SMTP_PASSWORD) as smtp, webhook_server() as hook:
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "id,name,email,im,timezone,hours,days\n"
            "ana,Ana Reyes,ana@example.com,hook:ana,UTC,00:00-23:59,daily\n",
            encoding="utf-8",
        )
        imap = (
            f'host = "127.0.0.1"\nport = {imap_server.port}\nusername = "{imap_server.user}"\n'
            'tls = "none"\ntimeout = "5s"\n'
        )
        config = tmp_path / "config.toml"
        config.write_text(
            f'[cache]\npath = "{tmp_path / "state" / "cache.json"}"\n\n'
            "[nudge]\n"
            f'email = "mailto://owner@127.0.0.1:{smtp.port}?from=owner@example.com'
            '&mode=insecure&cto=2&rto=2"\n'
            'email_password_env = "FW_SMTP_PW"\n\n'
            "[nudge.im.hook]\n"
            f'url = "json://127.0.0.1:{hook.port}/hook/{{token}}/{{to}}"\n'
            'token_env = "FARWATCH_IM_ANA"\n\n'
            f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{roster}"\n\n'
            f'[[sources]]\ntype = "imap"\nname = "mail"\n{imap}password_env = "FW_IMAP_PW"\n\n'
            f'[[sources]]\ntype = "imap"\nname = "badmail"\n{imap}'
            'password_env = "FW_IMAP_WRONG"\n\n'
            f'[[sources]]\ntype = "clockify"\nname = "hours"\nworkspace = "{WID}"\n'
            'api_key_env = "FW_CLOCKIFY_KEY"\n\n'
            f'[[sources]]\ntype = "clockify"\nname = "badhours"\nworkspace = "{WID}"\n'
            'api_key_env = "FW_CLOCKIFY_BAD"\n',
            encoding="utf-8",
        )
        with respx.mock(assert_all_called=False) as router:
            router.route(host="api.clockify.me").mock(side_effect=clockify)
            router.route(host="reports.api.clockify.me").mock(side_effect=clockify)
            yield {"config": config, "smtp": smtp, "hook": hook, "root": tmp_path}


def test_no_secret_reaches_disk_output_errors_logs_or_snapshots(
    world: dict[str, Any], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    config: Path = world["config"]
    said: list[tuple[str, str]] = []

    engine = Engine(load_settings(config))
    engine.open()
    try:
        outcomes = {o.source: o for o in engine.poll_all()}
        assert outcomes["mail"].ok and outcomes["hours"].ok, outcomes
        bad_imap, bad_key = outcomes["badmail"].error, outcomes["badhours"].error
        assert bad_imap is not None and bad_imap.kind == "auth"
        assert bad_key is not None and bad_key.kind == "auth"
        for outcome in outcomes.values():
            if outcome.error is not None:
                said += [("error message", outcome.error.message), ("title", outcome.error.title)]
        for health in engine.health():
            said.append(("source health", repr(health)))

        sent = ping(engine, "ana")  # SMTP with the password, IM with the token
        assert sent.status == "sent", sent.reason
        assert world["smtp"].logins == [("owner", SMTP_PASSWORD)]
        assert world["hook"].requests[0][0] == f"/hook/{IM_TOKEN}/ana"
        monkeypatch.setenv("FW_SMTP_PW", WRONG_SMTP)
        world["hook"].status = 500
        failed = ping(engine, "ana", force=True)
        assert failed.status == "failed"
        said += [("ping reason", failed.reason), ("ping text", failed.describe())]
        said += [("ping text", sent.describe())]
    finally:
        engine.close()

    runner = CliRunner()
    status = runner.invoke(main, ["status", "--json", "--config", str(config)])
    assert status.exit_code == 0, status.output
    assert {s["name"] for s in json.loads(status.output)["sources"]} >= {"mail", "badhours"}
    said.append(("status --json", status.output))
    table = runner.invoke(main, ["status", "--config", str(config)])
    said.append(("status", table.output))
    check = runner.invoke(main, ["check", "--config", str(config)])
    assert check.exit_code == 1 and "badmail (imap)" in check.output
    assert "badhours (clockify)" in check.output
    said.append(("check", check.output))
    log = runner.invoke(main, ["log", "--config", str(config)])
    said.append(("log", log.output))

    for where, text in said:
        scan(where, text)
    for path in sorted(world["root"].rglob("*")):
        if path.is_file() and path.name not in ("config.toml", "roster.csv"):
            scan(str(path), path.read_bytes().decode("utf-8", "replace"))
    assert (world["root"] / "state" / "audit.jsonl").exists()
    for record in caplog.records:
        scan(f"log record {record.name}", record.getMessage())
    snapshots = [p for p in TESTS.rglob("__snapshots__/**/*") if p.is_file()]
    assert snapshots, "no snapshot files found to scan"
    for path in snapshots:
        scan(str(path), path.read_bytes().decode("utf-8", "replace"))
