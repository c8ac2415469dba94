"""The canary suite: hostile loopback servers, canary secrets, and a scan of every byte."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # `tests.*` imports under --import-mode=importlib
    sys.path.insert(0, _ROOT)

from tests.servers.fixtures import imap_server  # noqa: E402,F401
from tests.servers.nudge_kit import smtp_server, webhook  # noqa: E402,F401
