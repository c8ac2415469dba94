"""Local sources (CSV roster, time log, Maildir) get advice about the path or the
file's content, never about the network or a URL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from farwatch.sources.base import SourceError
from farwatch.sources.explain import explain
from farwatch.sources.maildir import MaildirSource
from farwatch.sources.sheet import SheetSource
from farwatch.sources.timesheet import TimesheetSource

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
REMOTE_WORDS = ("network", "URL", "endpoint", "connection", "server")


def _failure(source: SheetSource | TimesheetSource | MaildirSource) -> tuple[SourceError, str]:
    with pytest.raises(SourceError) as info:
        source.fetch({}, NOW)
    advice = explain(info.value)
    assert not any(word in advice for word in REMOTE_WORDS), advice
    return info.value, advice


@pytest.mark.parametrize("kind", ["roster", "log"])
def test_a_folder_where_a_file_belongs_gets_path_advice(kind: str, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    source = (
        SheetSource("roster", {"path": str(folder)})
        if kind == "roster"
        else TimesheetSource("hours", {"path": str(folder)})
    )
    error, advice = _failure(source)
    assert f"{folder} is a folder, not a regular file" in error.message
    assert "check the path" in advice and "a folder where a file belongs" in advice


@pytest.mark.parametrize("text", ["", "\n\n", "date,amount\n2025-01-01,4\n", "name\n"])
def test_a_roster_file_that_is_not_a_roster_gets_content_advice(text: str, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(text)
    error, advice = _failure(SheetSource("roster", {"path": str(path)}))
    assert str(path) in error.message
    assert "open it and check it" in advice


@pytest.mark.parametrize("text", ["", "name,when\nx,y\n"])
def test_a_time_log_that_is_not_a_time_log_gets_content_advice(text: str, tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(text)
    error, advice = _failure(TimesheetSource("hours", {"path": str(path)}))
    assert str(path) in error.message
    assert "open it and check it" in advice


def test_a_file_over_the_size_cap_gets_content_advice(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    with path.open("wb") as out:
        out.truncate(10 * 1024 * 1024 + 1)
    error, advice = _failure(SheetSource("roster", {"path": str(path)}))
    assert "larger than 10 MB" in error.message and "at most 10 MB" in advice


def test_maildir_path_problems_get_path_advice(tmp_path: Path) -> None:
    plain = tmp_path / "inbox.mbox"
    plain.write_text("From x\n")
    error, advice = _failure(MaildirSource("mail", {"path": str(plain)}))
    assert error.message == f"mail: Maildir {plain} is a file, not a folder"
    assert "check the path" in advice
    error, advice = _failure(MaildirSource("mail", {"path": str(tmp_path)}))
    assert "is not a Maildir" in error.message and "check the path" in advice
