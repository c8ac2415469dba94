"""IMAP IDLE end to end: new mail reaches the cache in seconds, not at the interval."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

from farwatch.cli.poll_cmd import run_forever
from farwatch.sources.imap import ImapSource
from farwatch.state.engine import Engine
from farwatch.state.settings import CacheSettings, Settings, SourceSettings
from farwatch.state.watch import ChangeWatcher
from tests.servers.imap import ImapServer

HOUR = 3600.0


def message(subject: str) -> bytes:
    return (
        f"From: Ana <ana@example.com>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.com>\r\n\r\nOn it.\r\n"
    ).encode()


def new_folder(server: ImapServer) -> str:
    name = f"fw-{uuid.uuid4().hex[:10]}"
    server.create_folder(name)
    return name


def test_only_sources_with_idle_on_are_watched(imap_server: ImapServer) -> None:
    on = ImapSource("on", imap_server.source_options(idle=True))
    off = ImapSource("off", imap_server.source_options(idle=False))
    watcher = ChangeWatcher({"on": on, "off": off}, lambda name: None)
    assert list(watcher.targets) == ["on"]


def test_the_poll_daemon_picks_up_new_mail_within_seconds_with_idle(
    imap_server: ImapServer, imap_password: str, tmp_path: Path
) -> None:
    folder = new_folder(imap_server)
    options = imap_server.source_options(idle=True, folder=folder)
    settings = Settings(
        path=None,
        cache=CacheSettings(path=tmp_path / "cache.json"),
        sources=(SourceSettings(type="imap", name="mail", interval=HOUR, options=options),),
    )
    engine = Engine(settings)
    engine.open()
    stop = threading.Event()
    daemon = threading.Thread(target=run_forever, args=(engine, 4), kwargs={"stop": stop})
    daemon.start()
    try:
        deadline = time.monotonic() + 15
        while not engine.health()[0].last_success and time.monotonic() < deadline:
            time.sleep(0.1)
        assert engine.health()[0].last_success, "the first poll never finished"
        time.sleep(1.0)  # the watcher is in IDLE by now
        delivered = time.monotonic()
        imap_server.deliver(message("Check-in: invoices"), folder=folder)
        subjects: list[str] = []
        while time.monotonic() - delivered < 15:
            subjects = [c.subject for cs in engine.snapshot().checkins.values() for c in cs]
            if subjects:
                break
            time.sleep(0.1)
        assert subjects == ["Check-in: invoices"]
        assert time.monotonic() - delivered < 15  # the interval is an hour
    finally:
        stop.set()
        engine.close()
        daemon.join(10)
    assert not daemon.is_alive()
