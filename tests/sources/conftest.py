"""Real IMAP server fixtures for the source tests (see tests/servers/)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # so `tests.servers` imports under --import-mode=importlib
    sys.path.insert(0, _ROOT)

from tests.servers.fixtures import (  # noqa: E402
    fresh_imap_server,
    hanging_server,
    imap_password,
    imap_server,
    scripted_imap,
)

__all__ = ["fresh_imap_server", "hanging_server", "imap_password", "imap_server", "scripted_imap"]
