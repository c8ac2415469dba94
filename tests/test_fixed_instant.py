"""Tests evaluate statuses at a fixed instant, never at whatever time the suite runs.

A figure judged "now" changes with the calendar: a weekly cap counted on a
Monday at 01:00 UTC sees only one hour of an entry that began on Sunday. So a
test that reads the wall clock must be on the list below, with the reason it
needs real time (a real server stamping mail, a real poller process, a
certificate's validity); anything else fixes its instant (``--now``, an
injected clock). This test fails when a new ``datetime.now(`` appears elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
WALL_CLOCK = re.compile(r"\b(?:datetime|dt\.datetime)\.now\(|\bdate\.today\(|\btime\.time\(")

NEEDS_REAL_TIME: dict[str, str] = {
    "servers/certs.py": "a certificate is valid from the real present",
    "integration/test_concurrency_pollers.py": "real `farwatch poll` processes stamp mail now",
    "integration/test_concurrency_reader.py": "a real poller process and a reader follow live mail",
    "integration/test_fault_imap.py": "a real IMAP server's lookback is relative to today",
    "integration/test_hostile_remote.py": "a real IMAP server's lookback is relative to today",
    "integration/test_hostile_properties.py": "file times for the Maildir reader",
    "integration/test_plugin_readme.py": "the cache's retention keeps recent rows; --now pins ages",
    "tui/test_real_engine.py": "a live dashboard over a real engine polls in real time",
    "sources/test_sheet.py": "measures that a refused fetch returns quickly",
    "integration/test_liveness_poll.py": "real `farwatch poll` processes stamp mail now",
    "integration/test_liveness_dashboard.py": "a real dashboard process polls live mail",
    "integration/test_liveness_clock.py": "steps a real clock: the step is the point",
}


def wall_clock_readers() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__).resolve():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        hits = [n for n, line in enumerate(lines, 1) if WALL_CLOCK.search(line)]
        if hits:
            found[path.relative_to(TESTS).as_posix()] = hits
    return found


def test_only_tests_that_need_real_time_read_the_wall_clock() -> None:
    unexpected = {f: lines for f, lines in wall_clock_readers().items() if f not in NEEDS_REAL_TIME}
    assert not unexpected, (
        "these tests read the wall clock; evaluate at a fixed instant (--now, an injected "
        f"clock) or add them to NEEDS_REAL_TIME with the reason: {unexpected}"
    )


def test_the_allow_list_names_only_files_that_still_read_the_clock() -> None:
    stale = set(NEEDS_REAL_TIME) - set(wall_clock_readers())
    assert not stale, f"remove from NEEDS_REAL_TIME: {sorted(stale)}"
