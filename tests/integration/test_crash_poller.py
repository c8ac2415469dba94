"""kill -9 a real poller again and again, mid-write: the cache always loads, nothing
acknowledged is lost, and each poll cycle lands whole (records and cursor together)."""

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

BATCH = 25
KILLS = 110

# A poller process: real poll_sources cycles over a source that returns BATCH
# new check-ins per fetch, numbered by the cycle its cursor says comes next (so
# a restarted poller carries on where the last *committed* cycle left off). It
# prints "ack N" once poll_sources has returned, i.e. once cycle N is committed.
POLLER = f"""
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from farwatch.sources.base import Source
from farwatch.sources.model import CheckIn, FetchResult
from farwatch.state.cache import Cache
from farwatch.state.clock import system_clock
from farwatch.state.poller import poll_sources

T0 = datetime(2025, 1, 6, tzinfo=UTC)

class Counter(Source):
    type_name = "counter"
    def fetch(self, cursor, now):
        cycle = int(cursor.get("next", 0))
        items = [
            CheckIn(f"c{{cycle}}-{{j}}", f"w{{j}}@example.com", T0 + timedelta(seconds=cycle),
                    f"cycle {{cycle}} item {{j}} " + "x" * 300)
            for j in range({BATCH})
        ]
        return FetchResult(checkins=items, cursor={{"next": cycle + 1}}, requests=1)

cache = Cache.open(Path(sys.argv[1]), retention=0)
for notice in cache.notices:
    print("notice", notice, flush=True)
source = Counter("mail", {{}})
cache.snapshot().checkins.get("mail")  # read before the kill window, as opening once did
print("ready", flush=True)
while True:
    cycle = int(cache.cursor("mail").get("next", 0))
    [outcome] = poll_sources([source], cache, system_clock, deadline=10)
    assert outcome.ok and outcome.new_records == {BATCH}, outcome
    print("ack", cycle, flush=True)
"""


def _poll_then_kill(path: Path, rng: random.Random) -> tuple[list[int], list[str]]:
    """Start a poller, SIGKILL it at a random moment; its acknowledged cycles and notices."""
    proc = subprocess.Popen(
        [sys.executable, "-c", POLLER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    notices = []
    while (line := proc.stdout.readline()).startswith("notice "):
        notices.append(line.removeprefix("notice ").strip())
    assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
    acked: list[int] = []
    stdout = proc.stdout
    reader = threading.Thread(  # a line the kill cut short ("ack " and no number) is no ack
        target=lambda: acked.extend(
            int(x[4:]) for x in stdout if x.startswith("ack ") and x[4:].strip().isdigit()
        )
    )
    reader.start()
    time.sleep(rng.uniform(0.0, 0.06))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join()  # every line written before the kill is still in the pipe
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    return acked, notices


def test_kill_dash_nine_poller_loop_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    rng = random.Random(6)
    acknowledged: set[int] = set()
    mid_write = 0
    started = time.monotonic()
    for kill in range(KILLS):
        acked, notices = _poll_then_kill(path, rng)
        assert not [n for n in notices if "unreadable" in n], f"kill {kill}: {notices}"
        acknowledged.update(acked)
        mid_write += bool(list(tmp_path.glob(".cache.json.tmp-*")))

        # What a dashboard would do next: open the file read-only, while the
        # temp file of an interrupted write may still lie beside it.
        reader = Cache.open(path, retention=0, writer=False)
        try:
            assert not reader.notices, f"kill {kill}: {reader.notices}"
            keys = {c.key for c in reader.snapshot().checkins.get("mail", [])}
            next_cycle = int(reader.cursor("mail").get("next", 0))
        finally:
            reader.close()
        lost = sorted(c for c in acknowledged if f"c{c}-0" not in keys)
        assert lost == [], f"kill {kill}: acknowledged cycles lost: {lost}"
        # A cycle is all or nothing, and the cursor moved with exactly the records.
        assert keys == {f"c{c}-{j}" for c in range(next_cycle) for j in range(BATCH)}
        assert next_cycle >= max(acknowledged, default=-1) + 1
    elapsed = time.monotonic() - started
    assert len(acknowledged) >= KILLS, "the pollers barely committed; the test proved little"
    assert mid_write > 0, "no kill landed during a write; the test proved little"
    print(f"{KILLS} kills in {elapsed:.0f} s, {mid_write} mid-write, {len(acknowledged)} acked")
