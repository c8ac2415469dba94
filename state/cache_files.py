"""The cache's place on disk: its folder, write permission, and unreadable files.

Each failure becomes a ``CacheError`` that names the path as the user would
type it and says what is wrong, because the fix is theirs to make.
"""

from __future__ import annotations

import contextlib
import glob
import os
from datetime import datetime
from pathlib import Path

from farwatch.state.storage import DIR_MODE, CacheError


def display_path(path: Path) -> str:
    """The path as a user would type it (``~/...`` under the home directory)."""
    home = Path.home()
    with contextlib.suppress(ValueError):
        return "~/" + str(path.relative_to(home))
    return str(path)


def ensure_parent(path: Path) -> None:
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except (FileExistsError, NotADirectoryError) as exc:
        raise CacheError(
            f"cannot create the cache folder {display_path(parent)}: a file is in the way "
            f"({exc.filename or parent})"
        ) from exc
    except OSError as exc:
        raise CacheError(
            f"cannot create the cache folder {display_path(parent)}: {exc.strerror or exc}"
        ) from exc
    if not parent.is_dir():
        raise CacheError(f"cache folder {display_path(parent)} is not a directory")


def probe_writable(path: Path) -> None:
    """Fail at open, not at the first commit, when the folder refuses new files."""
    probe = path.with_name(f".{path.name}.tmp-probe-{os.getpid()}")
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.unlink(probe)


def move_aside(path: Path, now: datetime) -> Path:
    """Rename an unreadable cache to a dated backup beside it; never overwrite one."""
    stamp = now.astimezone().strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.replace(path, backup)
    except OSError as exc:
        raise CacheError(
            f"cache {display_path(path)} is unreadable and could not be moved aside to "
            f"{display_path(backup)}: {exc.strerror or exc}"
        ) from exc
    return backup


def checkins_file(path: Path, generation: int) -> Path:
    """The check-ins file of ``generation`` of the cache at ``path``.

    Each write of the check-ins makes a new file, never rewritten, and the
    main file names the one it goes with: replacing the main file therefore
    switches both at once, and a crash before that leaves the old pair whole.
    """
    return path.with_name(f"{path.name}.checkins.{generation}")


def checkins_generations(path: Path) -> list[int]:
    """The generations of check-ins files lying beside the cache at ``path``."""
    prefix = f"{path.name}.checkins."
    found = []
    for candidate in path.parent.glob(glob.escape(prefix) + "*"):
        suffix = candidate.name.removeprefix(prefix)
        if suffix.isdigit():
            found.append(int(suffix))
    return found


def remove_checkins_before(path: Path, generation: int) -> None:
    """Delete check-ins files older than ``generation`` and temp files of killed writes.

    The writer keeps the current file and the one before it, which a reader
    that loaded the previous main file may still be about to read.
    """
    for old in checkins_generations(path):
        if old < generation:
            with contextlib.suppress(OSError):
                checkins_file(path, old).unlink()
    for leftover in path.parent.glob(glob.escape(f".{path.name}.checkins.") + "*.tmp-*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
