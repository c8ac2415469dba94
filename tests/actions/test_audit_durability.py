"""kill -9 in a loop of appends: every acknowledged entry survives, the file parses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from farwatch.state import audit

CHILD = r"""
import sys
from pathlib import Path
from farwatch.state import audit
from farwatch.state.audit import AuditEntry

log = Path(sys.argv[1])
round_no = sys.argv[2]
i = 0
while True:
    e = audit.append(log, AuditEntry(action="ping", worker="w", outcome="intent",
                                     message=f"{round_no}-{i} " + "x" * 300))
    sys.stdout.write(e.id + "\n")
    sys.stdout.flush()
    i += 1
"""


def test_kill_nine_never_loses_an_acknowledged_entry(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    acknowledged: list[str] = []
    kills = 0
    for round_no in range(55):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(log), str(round_no)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()  # at least one append done
        assert first
        acknowledged.append(first)
        time.sleep(0.002 * (round_no % 7))  # vary where the kill lands
        os.kill(proc.pid, signal.SIGKILL)
        kills += 1
        rest, _ = proc.communicate()
        # Every id the child printed was printed after append returned.
        acknowledged.extend(line for line in rest.splitlines() if len(line) == 32)
    assert kills >= 50
    audit.clear_cache()
    read = audit.read_log(log)
    ids = {e.id for e in read.entries}
    missing = [a for a in acknowledged if a not in ids]
    assert missing == []
    # Only torn lines (at most one per kill) may be skipped, and none misread.
    assert len(read.skipped) <= kills
    for e in read.entries:
        assert e.message.endswith("x" * 300)
    assert len(read.entries) >= len(acknowledged)
