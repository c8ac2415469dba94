"""One writer at a time: a second farwatch is told who writes, and still reads."""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from farwatch.sources.model import CheckIn, FetchResult
from farwatch.state.cache import Cache, CacheError
from farwatch.state.lock import WriterLock

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
DAY = 86400.0

HOLDER = """
import sys
from pathlib import Path
from farwatch.state.cache import Cache
cache = Cache.open(Path(sys.argv[1]), retention=86400.0, command="farwatch poll")
print("locked", cache.read_only, flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "farwatch.db"


@pytest.fixture
def other_writer(db_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process (``farwatch poll``) holding the writer lock."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked False"
    yield proc
    proc.kill()
    proc.wait()


def checkin(key: str) -> CheckIn:
    return CheckIn(key=key, who="ann@example.com", at=NOW, subject="hi")


def test_second_writer_is_told_who_writes_and_opens_read_only(
    db_path: Path, other_writer: subprocess.Popen[str]
) -> None:
    c = Cache.open(db_path, retention=DAY)
    assert c.read_only
    assert c.lock_holder is not None
    assert f"pid {other_writer.pid} on {socket.gethostname()} (farwatch poll) since" in (
        c.lock_holder
    )
    assert len(c.notices) == 1
    assert c.notices[0].startswith(f"cache {db_path} is being written by pid {other_writer.pid}")
    assert c.notices[0].endswith("; opening read-only")
    with pytest.raises(CacheError, match="read-only"):
        c.commit()
    with pytest.raises(CacheError, match="read-only"):
        c.apply("mail", FetchResult(checkins=[checkin("x")]), NOW)
    c.close()


def test_read_only_opener_sees_the_writers_data_and_follows_its_commits(db_path: Path) -> None:
    writer = Cache.open(db_path, retention=DAY)
    writer.apply("mail", FetchResult(checkins=[checkin("a")]), NOW)
    writer.commit()
    reader = Cache.open(db_path, retention=DAY)
    assert reader.read_only
    assert [c.key for c in reader.snapshot().checkins["mail"]] == ["a"]
    assert reader.reload_if_changed() is False
    writer.apply("mail", FetchResult(checkins=[checkin("b")]), NOW)
    assert reader.reload_if_changed() is False  # not committed yet
    writer.commit()
    assert reader.reload_if_changed() is True
    assert sorted(c.key for c in reader.snapshot().checkins["mail"]) == ["a", "b"]
    assert reader.reload_if_changed() is False
    writer.close()
    reader.close()


def test_explicit_reader_takes_no_lock_and_reports_no_holder(db_path: Path) -> None:
    writer = Cache.open(db_path, retention=DAY)
    reader = Cache.open(db_path, retention=DAY, writer=False)
    assert reader.read_only and reader.lock_holder is None and reader.notices == []
    writer.close()
    assert Cache.open(db_path, retention=DAY, writer=False).read_only


def test_lock_is_free_again_after_close(db_path: Path) -> None:
    first = Cache.open(db_path, retention=DAY)
    first.close()
    second = Cache.open(db_path, retention=DAY)
    assert not second.read_only and second.notices == []
    second.close()


def test_stale_lock_of_a_dead_process_is_taken_over(db_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    record = {
        "pid": dead_pid,
        "host": socket.gethostname(),
        "command": "farwatch poll",
        "since": NOW.isoformat(),
    }
    Path(f"{db_path}.lock").write_bytes(orjson.dumps(record))
    c = Cache.open(db_path, retention=DAY)
    assert not c.read_only
    assert c.notices == [
        f"took over the cache lock left by pid {dead_pid} on {socket.gethostname()} "
        f"(farwatch poll) since {NOW.astimezone().strftime('%H:%M %Y-%m-%d')}, "
        "which is no longer running"
    ]
    holder = WriterLock(db_path).holder()
    assert holder is not None and holder.pid == os.getpid()
    c.close()


def test_writer_killed_with_sigkill_leaves_a_lock_the_next_writer_takes(
    db_path: Path, other_writer: subprocess.Popen[str]
) -> None:
    other_writer.kill()
    other_writer.wait()
    c = Cache.open(db_path, retention=DAY)
    assert not c.read_only
    assert f"pid {other_writer.pid}" in c.notices[0] and "no longer running" in c.notices[0]
    c.close()


READ_ONLY_DIR_PROBE = """
import sys
from pathlib import Path
from farwatch.state.cache import Cache, CacheError
try:
    Cache.open(Path(sys.argv[1]), retention=86400.0)
except CacheError as exc:
    print("CacheError:", exc)
else:
    print("opened")
"""


def _drop_root_file_override() -> None:  # pragma: no cover - runs in the child
    """Root ignores file modes; drop that power (CAP_DAC_*) so the test is real."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for cap in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_folder_that_is_not_writable_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        out = subprocess.run(
            [sys.executable, "-c", READ_ONLY_DIR_PROBE, str(folder / "farwatch.db")],
            capture_output=True,
            text=True,
            preexec_fn=_drop_root_file_override if os.geteuid() == 0 else None,
            check=False,
        )
    finally:
        folder.chmod(0o755)
    assert out.stdout.strip() == (
        f"CacheError: cannot write the cache in {folder}: Permission denied "
        "(the folder must be writable by you)"
    ), out.stderr
    assert list(folder.iterdir()) == []


def test_reader_takes_over_writing_once_the_writer_has_gone(db_path: Path) -> None:
    writer = Cache.open(db_path, retention=DAY)
    writer.apply("mail", FetchResult(checkins=[checkin("a")]), NOW)
    writer.commit()
    reader = Cache.open(db_path, retention=DAY)
    assert reader.try_become_writer() is False and reader.read_only
    writer.apply("mail", FetchResult(checkins=[checkin("b")]), NOW)
    writer.commit()
    writer.close()
    assert reader.try_become_writer() is True
    assert not reader.read_only and reader.lock_holder is None
    assert reader.record_count("mail") == 2  # the last writer's final commit is kept
    assert reader.apply("mail", FetchResult(checkins=[checkin("c")]), NOW) == 1
    assert reader.commit() is True
    reader.close()
    assert Cache.open(db_path, retention=DAY, writer=False).record_count("mail") == 3


def test_reader_never_moves_an_unreadable_file_it_does_not_own(
    db_path: Path, other_writer: subprocess.Popen[str]
) -> None:
    db_path.write_bytes(b"{half a fi")
    reader = Cache.open(db_path, retention=DAY)
    assert reader.read_only
    assert any("unreadable" in n and "until its writer rebuilds it" in n for n in reader.notices)
    assert db_path.read_bytes() == b"{half a fi"
    assert not list(db_path.parent.glob("*.corrupt-*"))
    assert reader.snapshot().checkins == {}
    reader.close()


def test_holder_text_from_the_lock_file_is_stripped_of_control_characters(db_path: Path) -> None:
    writer = Cache.open(db_path, retention=DAY, command="farwatch \x1b]0;pwned\x07poll")
    reader = Cache.open(db_path, retention=DAY)
    assert reader.lock_holder is not None
    assert "\x1b" not in reader.lock_holder and "\x07" not in reader.lock_holder
    writer.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["/usr/bin/farwatch", "--config", "/home/o/farwatch.toml", "poll", "--once"],
        ["farwatch", "--config", "team", "poll"],
        ["farwatch", "--config=/etc/fw.toml", "poll"],
        ["farwatch", "poll", "--config", "/home/o/farwatch.toml"],
    ],
)
def test_the_lock_names_the_command_even_when_config_comes_first(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    from farwatch.state.lock import current_command

    monkeypatch.setattr(sys, "argv", argv)
    assert current_command() == "farwatch poll"
