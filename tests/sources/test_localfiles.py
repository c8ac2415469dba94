"""Local sources open only regular files, never block on one, and cap what they read.

A FIFO blocks ``open()`` until a writer appears, ``/dev/zero`` says it is 0
bytes long and never ends, and a socket cannot be opened at all. Each fetch
here runs in a thread that must come back: a hang fails the test, not the run.
"""

from __future__ import annotations

import mailbox
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

import pytest

from farwatch.sources import filestamp
from farwatch.sources.base import SourceError
from farwatch.sources.localfile import NotRegularFile, read_regular
from farwatch.sources.maildir import MaildirSource
from farwatch.sources.sheet import SheetSource
from farwatch.sources.timesheet import TimesheetSource

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
T = TypeVar("T")


def ends(step: Callable[[], T]) -> T:
    """``step()``'s result, or its exception, as long as it comes back at all."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = step()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the fetch blocked on a file that is not a regular file"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def mail(sender: str, subject: str) -> mailbox.MaildirMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["Subject"] = subject
    msg.set_content("on it\n")
    stored = mailbox.MaildirMessage(msg)
    stored.set_date(NOW.timestamp() - 600)
    return stored


def test_a_fifo_and_a_socket_in_the_maildir_are_skipped_and_counted(tmp_path: Path) -> None:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(mail("ana@example.com", "invoices done"))
    os.mkfifo(tmp_path / "Maildir" / "new" / "1700000000.fifo.host")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "Maildir" / "cur" / "1700000001.sock.host:2,S"))
    try:
        result = ends(lambda: MaildirSource("mail", {"path": box._path}).fetch({}, NOW))
    finally:
        listener.close()
    assert [c.subject for c in result.checkins] == ["invoices done"]
    assert [str(w) for w in result.warnings] == [
        f"skipped 2 entries in {box._path} that are not a regular file (a FIFO, device or socket)"
    ]


def test_a_message_replaced_by_a_fifo_after_the_scan_is_not_opened_blocking(
    tmp_path: Path,
) -> None:
    target = tmp_path / "message"
    os.mkfifo(target)
    with pytest.raises(NotRegularFile, match="a FIFO"):
        ends(lambda: read_regular(target, 1024))


def test_a_sheet_path_at_a_fifo_is_a_clear_error(tmp_path: Path) -> None:
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    sheet = SheetSource("roster", {"path": str(fifo)})
    with pytest.raises(SourceError) as raised:
        ends(lambda: sheet.fetch({}, NOW))
    assert raised.value.kind == "file"
    assert raised.value.message == (
        f"roster: roster file {fifo} is a FIFO (named pipe), not a regular file; "
        "farwatch reads only files"
    )


def test_a_timesheet_path_at_a_device_is_a_clear_error() -> None:
    hours = TimesheetSource("hours", {"path": "/dev/zero"})
    with pytest.raises(SourceError, match=r"/dev/zero is a device, not a regular file"):
        ends(lambda: hours.fetch({}, NOW))


def test_the_size_cap_counts_bytes_read_not_the_size_the_file_claims(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """/proc files say they are 0 bytes long; the cap must still hold."""
    claimed = Path("/proc/self/status")
    assert claimed.stat().st_size == 0 and len(claimed.read_bytes()) > 200
    monkeypatch.setattr(filestamp, "MAX_FILE_BYTES", 100)
    hours = TimesheetSource("hours", {"path": str(claimed)})
    with pytest.raises(SourceError, match="larger than"):
        ends(lambda: hours.fetch({}, NOW))


def test_read_regular_reads_one_byte_past_the_cap_and_no_more(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 5000)
    data, st = read_regular(big, 1000)
    assert len(data) == 1001 and st.st_size == 5000
    small, _ = read_regular(big, 10_000)
    assert len(small) == 5000
