"""A config that points the cache somewhere it cannot live: every command says why.

The cache at a directory, inside a read-only folder (as root a chmod is not
enough, so the folder is made immutable), or under a path where a file is in
the way: ``poll``, ``status`` and the dashboard command must not crash or show a
traceback; they either work read-only or refuse with the reason and the fix.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from farwatch.cli.main import main

ROSTER = "id,name,email\nana,Ana Reyes,ana@example.com\n"


def write_config(root: Path, cache: Path) -> Path:
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    config = root / "config.toml"
    config.write_text(
        f'[cache]\npath = "{cache}"\n\n'
        f'[[sources]]\ntype = "sheet"\nname = "roster"\npath = "{root / "roster.csv"}"\n',
        encoding="utf-8",
    )
    return config


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config)])


def assert_refused_with(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable, even for root (immutable), and prove it is."""
    root = os.geteuid() == 0
    if root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        with pytest.raises(OSError):
            (folder / "probe").touch()
        yield
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def test_cache_pointing_at_a_directory_is_refused_with_the_fix(tmp_path: Path) -> None:
    folder = tmp_path / "cachedir"
    folder.mkdir()
    config = write_config(tmp_path, folder)
    for args in (("poll", "--once"), ("status",), ("status", "--json"), ()):
        result = run(config, *args)
        assert_refused_with(result, f"cache path {folder} is a directory", "set [cache] path")
    assert list(folder.iterdir()) == []


def test_cache_under_a_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    config = write_config(tmp_path, blocker / "cache.json")
    assert_refused_with(run(config, "poll", "--once"), "a file is in the way")


def test_cache_in_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    config = write_config(tmp_path, folder / "cache.json")
    with read_only(folder):
        assert_refused_with(
            run(config, "poll", "--once"),
            f"cannot write the cache in {folder}",
            "the folder must be writable by you",
        )
        status = run(config, "status")  # nothing to read yet: says so, no crash
        assert status.exit_code == 0, status.output
        assert "No workers yet" in status.output and "not polled" in status.output
    assert run(config, "poll", "--once").exit_code == 0
    with read_only(folder):  # a cache written earlier is still shown
        status = run(config, "status", "--json")
        assert status.exit_code == 0, status.output
        assert '"name": "Ana Reyes"' in status.output
        assert_refused_with(run(config, "poll", "--once"), "the folder must be writable by you")


def test_cache_pointing_at_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "cache.json"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    config = write_config(tmp_path, fifo)
    for args in (("poll", "--once"), ("status",), ("status", "--json"), ()):
        result = run(config, *args)
        assert_refused_with(result, f"cache path {fifo} is not a regular file", "set [cache] path")
