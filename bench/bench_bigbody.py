"""Peak memory of one tracker poll whose answers are as big as the transport allows.

    python bench/bench_bigbody.py [--runs N] [--size BYTES]

A loopback HTTP server answers every request of a Clockify source with a
JSON list of 100 user-like objects (long names) exactly at the shared transport's byte cap
(``MAX_BYTES`` in ``farwatch.sources.http``; 16 MB when that cap is not
there yet). Two child processes each run one real ``poll_sources`` over the
source and report their peak resident set size (``ru_maxrss`` from ``wait4``,
started from a small launcher as in ``bench_memory.py``):

- farwatch: the poll against bodies at the cap;
- the floor: the same poll, same imports, against ``[]``.

The difference is what a tracker answer at the cap costs in memory; the
issue saw 663 MB for one 100 MB body read whole. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_memory import rss_mb
from figures import Figure

FALLBACK_CAP = 16 * 1024 * 1024

POLL = """
import os, sys, tempfile
from pathlib import Path
from farwatch.sources.clockify import ClockifySource
from farwatch.state.cache import Cache
from farwatch.state.clock import system_clock
from farwatch.state.poller import poll_sources
os.environ["FARWATCH_BENCH_KEY"] = "bench-key"
url = sys.argv[1]
source = ClockifySource("clock", {
    "workspace": "ws1", "api_key_env": "FARWATCH_BENCH_KEY", "timeout": 60,
    "base_url": url + "/api/v1", "reports_url": url + "/reports/v1",
})
with tempfile.TemporaryDirectory() as folder:
    cache = Cache.open(Path(folder) / "cache.json", retention=90 * 86400.0)
    [outcome] = poll_sources([source], cache, system_clock, deadline=300)
    cache.close()
print(outcome.requests, file=sys.stderr)
"""


def cap_bytes() -> tuple[int, bool]:
    """The transport's byte cap, and whether it is the real one (not the fallback)."""
    from farwatch.sources import http

    cap = getattr(http, "MAX_BYTES", None)
    return (int(cap), True) if isinstance(cap, int) else (FALLBACK_CAP, False)


ITEMS = 100
"""Objects per answer: fewer than any tracker's page size, so one page ends the
listing (endless pages are the trackers' own bounded pagination, not this)."""


def body_of(size: int) -> bytes:
    """A JSON list of ``ITEMS`` user-like objects with long names, exactly ``size`` bytes."""
    if size < 2:
        return b"[]"
    head = b'{"id": "5a0ab5acb07987125438b60f", "email": "worker@example.com", "name": "'
    tail = b'"}'
    room = max(0, (size - 2 - 2 * (ITEMS - 1)) // ITEMS - len(head) - len(tail))
    item = head + b"w" * room + tail
    text = b"[" + b", ".join([item] * ITEMS) + b"]"
    return text[:-1] + b" " * max(0, size - len(text)) + b"]"


@contextmanager
def serving(body: bytes) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def measure(runs: int = 3, size: int | None = None) -> list[Figure]:
    cap, real = cap_bytes()
    size = size or cap
    samples: dict[str, list[float]] = {"at cap": [], "floor": []}
    with serving(body_of(size)) as big, serving(b"[]") as small:
        for _ in range(runs):  # in turns, so drift hits both alike
            samples["at cap"].append(rss_mb(POLL, big)[0])
            samples["floor"].append(rss_mb(POLL, small)[0])
    value = statistics.median(samples["at cap"])
    floor = statistics.median(samples["floor"])
    origin = "the transport's MAX_BYTES" if real else "16 MB: the transport has no cap yet"
    return [
        Figure(
            f"peak memory, one tracker poll, answers of {size / 2**20:.0f} MB",
            value,
            "MB",
            floor=floor,
            floor_name="the same poll answered with []",
            note=(
                f"body size = {origin}; {value - floor:.0f} MB over the floor, "
                f"{(value - floor) * 2**20 / size:.1f} bytes resident per body byte"
            ),
        )
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=0, help="body bytes (default: the cap)")
    args = parser.parse_args(argv)
    for fig in measure(args.runs, args.size or None):
        print(fig.name)
        print(f"  farwatch (poll_sources, answers at the cap): {fig.value:7.1f} MB")
        print(f"  floor ({fig.floor_name}): {fig.floor or 0:7.1f} MB")
        print(f"  ratio: {fig.ratio:.2f}x the floor; {fig.note} (median of {args.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
