"""kill -9 at any moment never costs the cache file nor an acknowledged commit."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from farwatch.state.cache import Cache

# Commits batches of 20 check-ins with ~1 KB subjects (so each write of the
# growing file takes a while) and prints the batch number once commit returned.
WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from farwatch.sources.model import CheckIn, FetchResult
from farwatch.state.cache import Cache

path, batch = Path(sys.argv[1]), int(sys.argv[2])
cache = Cache.open(path, retention=0)
t0 = datetime(2024, 1, 1, tzinfo=UTC)
print("ready", flush=True)
while True:
    items = [
        CheckIn(f"b{batch}-{j}", "ann@example.com", t0 + timedelta(seconds=batch), "x" * 1000)
        for j in range(20)
    ]
    cache.apply("mail", FetchResult(checkins=items), t0)
    cache.commit()
    print(batch, flush=True)
    batch += 1
"""


def _run_and_kill(path: Path, first_batch: int, rng: random.Random) -> list[int]:
    """Start a writer, SIGKILL it at a random moment; return the acknowledged batches."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(first_batch)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    acked: list[int] = []
    reader = threading.Thread(target=lambda: acked.extend(int(x) for x in proc.stdout or ()))
    reader.start()
    time.sleep(rng.uniform(0.0, 0.12))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join()  # every line printed before the kill is in the pipe
    return acked


def test_kill_dash_nine_in_a_loop_never_corrupts_or_loses_a_commit(tmp_path: Path) -> None:
    path = tmp_path / "farwatch.db"
    rng = random.Random(20240506)
    acknowledged: set[int] = set()
    next_batch = 0
    interrupted_writes = 0
    for _ in range(32):
        acknowledged.update(_run_and_kill(path, next_batch, rng))
        interrupted_writes += len(list(tmp_path.glob(".farwatch.db.tmp-*")))
        cache = Cache.open(path, retention=0)
        try:
            assert not any("unreadable" in n for n in cache.notices), cache.notices
            keys = {c.key for c in cache.snapshot().checkins.get("mail", [])}
        finally:
            cache.close()
        missing = [b for b in acknowledged if f"b{b}-0" not in keys]
        assert missing == [], f"acknowledged batches lost after kill -9: {missing}"
        batches = {int(k.split("-")[0][1:]) for k in keys}
        for b in batches:  # a batch is all or nothing
            assert all(f"b{b}-{j}" in keys for j in range(20))
        next_batch = max(batches | acknowledged, default=-1) + 1
    assert len(acknowledged) > 32, "the writers barely committed; the test proved little"
    # Leftover temp files show kills landed mid-write; opening the cache removed them.
    assert not list(tmp_path.glob(".farwatch.db.tmp-*"))
    print(f"{interrupted_writes} of 32 kills interrupted a write in progress")
