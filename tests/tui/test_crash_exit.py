"""A bug in the dashboard: exit code 1, one line saying where the (redacted) traceback is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from tui_fakes import FakeEngine
from farwatch.tui.app import FarwatchApp, run_app

def on_ready(self) -> None:
    raise RuntimeError("boom while reading https://ana:hunter2@mail.example.com/x?token=abc123")

FarwatchApp.on_ready = on_ready
sys.exit(run_app(FarwatchApp(FakeEngine(Path({tmp!r})), live=False), headless=True))
"""


def test_an_unexpected_error_exits_non_zero_and_says_where_the_traceback_is(
    tmp_path: Path,
) -> None:
    tests = str(Path(__file__).parent)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "SMTP_PASSWORD": "s3cr3t-pw"}
    script = SCRIPT.format(tests=tests, tmp=str(tmp_path))
    script = script.replace("boom while", "boom (s3cr3t-pw) while")
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    [saved] = (tmp_path / "state" / "farwatch").glob("crash-*.txt")
    assert str(saved) in done.stderr
    assert "farwatch stopped on an unexpected error (RuntimeError: boom" in done.stderr
    report = saved.read_text()
    assert "Traceback" in report and "on_ready" in report and "RuntimeError: boom" in report
    for secret in ("hunter2", "abc123", "s3cr3t-pw"):
        assert secret not in report and secret not in done.stderr
    assert "$SMTP_PASSWORD" in report
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
