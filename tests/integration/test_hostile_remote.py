"""Hostile answers from remote sources, through the engine to ``status --json``.

Trackers (faked with respx) answering JSON of the wrong types, and a real IMAP
server holding mail with escape sequences, markup, unknown charsets and
broken MIME. Nothing crashes; a wrong shape is a ``parse`` error that says what
was wrong; odd rows are skipped; what is shown is literal.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from servers import checkin_mail, make_engine

from farwatch.state.engine import Engine
from farwatch.state.report import status_report
from farwatch.state.settings import SourceSettings
from tests.servers.imap import PASSWORD, ImapServer

WID = "64a687e29ae1f428e7ebe303"
API = f"https://api.clockify.me/api/v1/workspaces/{WID}"
REPORT = f"https://reports.api.clockify.me/v1/workspaces/{WID}/reports/detailed"
ANA = "ana@example.com"
FORBIDDEN = ("\x1b", "\x07", "\u202e", "\u200b", "\x00")


def clockify_engine(root: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("FW_HOSTILE_KEY", "ck-hostile-1")
    options = {"workspace": WID, "api_key_env": "FW_HOSTILE_KEY"}
    engine = make_engine(root, SourceSettings("clockify", "hours", 300.0, options))
    assert engine.poll_source("roster").ok
    return engine


def report(engine: Engine) -> dict[str, Any]:
    document = status_report(engine.statuses(), engine.health(), {}, engine.clock())
    return document


def walk(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in walk(v)]
    if isinstance(value, list):
        return [s for v in value for s in walk(v)]
    return []


@pytest.mark.parametrize(
    ("running", "words"),
    [
        ({"entries": []}, "unexpected answer shape for running time entries"),
        ("not a list", "unexpected answer shape for running time entries"),
        (None, "in-progress answered with something that is not JSON"),
    ],
)
def test_tracker_answer_of_the_wrong_shape_is_a_parse_error_that_says_so(
    running: Any, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = clockify_engine(tmp_path, monkeypatch)
    try:
        with respx.mock(assert_all_called=False) as router:
            router.get(f"{API}/users").mock(return_value=httpx.Response(200, json=[]))
            router.get(f"{API}/time-entries/status/in-progress").mock(
                return_value=httpx.Response(200, json=running)
            )
            router.post(REPORT).mock(return_value=httpx.Response(200, json={"timeentries": []}))
            outcome = engine.poll_source("hours")
        assert not outcome.ok and outcome.error is not None
        assert outcome.error.kind == "parse", outcome.error.message
        assert words in outcome.error.message
        assert engine.statuses()  # the roster is still there
    finally:
        engine.close()


def test_tracker_rows_with_wrong_types_are_skipped_and_the_rest_is_literal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    rows: list[Any] = [
        None,
        "a string",
        7,
        {"id": "t1", "userId": "u-ana", "timeInterval": "yesterday"},
        {"id": "t2", "userId": "u-ana", "timeInterval": {"start": 12345}},
        {"id": ["x"], "userId": {"a": 1}, "timeInterval": {"start": start}},
        {
            "id": "t3",
            "userId": "u-ana",
            "description": "[@click=app.quit]Reconcile[/] \x1b]0;pwned\x07\u202e",
            "timeInterval": {"start": start, "end": None},
        },
    ]
    users: list[Any] = [None, {"id": 5, "email": ["x"]}, {"id": "u-ana", "email": ANA}]
    report_rows: list[Any] = [
        {"_id": "r1", "userEmail": 42, "timeInterval": {"start": True, "end": None}},
        {"_id": "r2", "timeInterval": None},
        "row",
    ]
    engine = clockify_engine(tmp_path, monkeypatch)
    try:
        with respx.mock(assert_all_called=False) as router:
            router.get(f"{API}/users").mock(return_value=httpx.Response(200, json=users))
            router.get(f"{API}/time-entries/status/in-progress").mock(
                return_value=httpx.Response(200, json=rows)
            )
            router.post(REPORT).mock(
                return_value=httpx.Response(200, json={"timeentries": report_rows})
            )
            outcome = engine.poll_source("hours")
        assert outcome.ok, outcome.error and outcome.error.message
        document = report(engine)
        for text in walk(document):
            for ch in FORBIDDEN:
                assert ch not in text
        ana = {w["id"]: w for w in document["workers"]}["ana"]
        assert ana["running"] is True
        assert ana["task"] == "[@click=app.quit]Reconcile[/]"  # no "]0;pwned" left behind
    finally:
        engine.close()


def test_hostile_mail_over_imap_is_stored_literally_and_broken_mime_never_stops_a_poll(
    tmp_path: Path, imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FW_HOSTILE_IMAP_PW", PASSWORD)
    folder = "Hostile" + uuid.uuid4().hex[:8]
    imap_server.create_folder(folder)
    at = datetime.now(UTC) - timedelta(hours=1)
    imap_server.deliver(
        checkin_mail(ANA, "\x1b[2J[@click=app.quit]Hi[/] \u202eevil\u200b", "h1@x", at),
        (
            "From: ben@example.com\r\nSubject: =?x-klingon?q?Qapla=FF?= report\r\n"
            "Message-ID: <h2@x>\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n\xff\xfe\r\n"
        ).encode("latin-1"),
        (
            b"From: ben@example.com\r\nSubject: Broken MIME\r\nMessage-ID: <h3@x>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
            b"--nowhere\r\nContent-Type: text/plain\r\n\r\nstill here\r\n"
        ),
        ("From: ben@example.com\r\nSubject: " + "S" * (1024 * 1024) + "\r\n\r\nhi\r\n").encode(),
        folder=folder,
    )
    options = {
        "host": "127.0.0.1",
        "port": imap_server.port,
        "username": imap_server.user,
        "password_env": "FW_HOSTILE_IMAP_PW",
        "tls": "none",
        "folder": folder,
        "timeout": 10,
    }
    engine = make_engine(tmp_path, SourceSettings("imap", "mail", 120.0, options))
    try:
        outcomes = engine.poll_all()
        assert all(o.ok for o in outcomes), [o.error for o in outcomes]
        document = report(engine)
        for text in walk(document):
            for ch in FORBIDDEN:
                assert ch not in text
        workers = {w["id"]: w for w in document["workers"]}
        assert workers["ana"]["last_checkin_subject"] == "[@click=app.quit]Hi[/] evil"
        assert workers["ben"]["checkins_total"] >= 2
        subjects = {c.subject for cs in engine.snapshot().checkins.values() for c in cs}
        assert "Broken MIME" in subjects
        assert any(s.endswith("report") for s in subjects)
    finally:
        engine.close()
