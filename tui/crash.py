"""When the dashboard hits a bug: save the traceback, say where, exit non-zero.

Textual restores the terminal and prints a traceback with local variables,
which can hold settings, addresses and tokens. farwatch instead writes the
traceback (no locals) with URLs and secret-looking environment values masked
to a private file, and prints one line saying where it is, so a supervisor
(systemd, a shell loop) sees a failure and the owner has something to send.

Masking uses the audit log's URL scrubber (``state.audit.scrub_text``) and
hides the values of environment variables whose names say they are secret.
"""

from __future__ import annotations

import os
import re
import traceback
from datetime import UTC, datetime
from pathlib import Path

from farwatch.sources.redact import redact as shared_redact
from farwatch.state.audit import scrub_text

SECRET_NAME = re.compile(r"PASS|TOKEN|SECRET|KEY|AUTH|CREDENTIAL", re.IGNORECASE)
"""Environment variables whose values never appear in a crash report."""
MIN_SECRET = 4
"""Shorter values are too common to mask without hiding ordinary words."""


def crash_folder() -> Path:
    """``$XDG_STATE_HOME/farwatch`` (``~/.local/state/farwatch``): outlives a demo folder."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "farwatch"


def redact(text: str) -> str:
    """``text`` with every configured secret masked (the shared redactor, in all their
    forms), URLs reduced to scheme and host, and other secret-looking env values masked."""
    text = scrub_text(shared_redact(text))
    for name, value in os.environ.items():
        if SECRET_NAME.search(name) and len(value) >= MIN_SECRET and value in text:
            text = text.replace(value, f"${name}")
    return text


def save_crash(error: BaseException, folder: Path | None = None) -> Path | None:
    """Write the redacted traceback of ``error``; None if it cannot be written."""
    folder = folder or crash_folder()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"crash-{stamp}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(redact(text))
    except OSError:
        return None
    return path


def crash_message(error: BaseException, path: Path | None) -> str:
    """The one line printed after the terminal is restored."""
    what = redact(f"{type(error).__name__}: {error}")[:300]
    where = (
        f"the traceback (secrets masked) is in {path}"
        if path is not None
        else "the traceback could not be saved"
    )
    return f"farwatch stopped on an unexpected error ({what}); {where}"
