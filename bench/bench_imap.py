"""IMAP: initial sync of a 5,000-message mailbox vs. a poll with no new mail.

Runs a real IMAP server on 127.0.0.1 (dovecot if installed, else pymap; set
FARWATCH_TEST_IMAP to choose) behind a byte-counting relay, and prints what
each poll cost. The second poll must transfer no message bodies and cost
under 5% of the first.

    python bench/bench_imap.py [--messages N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from farwatch.sources.imap import ImapSource
from tests.servers.imap import HOST, PASSWORD, start_imap_server


class CountingRelay:
    """Plain TCP relay that counts bytes each way."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.up = 0
        self.down = 0
        self.listener = socket.create_server((HOST, 0))
        self.port = int(self.listener.getsockname()[1])
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((HOST, self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, "up"), daemon=True).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, "down"), daemon=True
            ).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, way: str) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    if way == "up":
                        self.up += len(data)
                    else:
                        self.down += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def snapshot(self) -> tuple[int, int]:
        with self._lock:
            return self.up, self.down


def message(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Worker {i % 40} <worker{i % 40}@example.com>"
    msg["To"] = "owner@example.com"
    msg["Subject"] = f"Check-in #{i}: invoices batch {i % 17}"
    msg["Message-ID"] = f"<bench-{i}@example.com>"
    msg["Date"] = "Tue, 11 Mar 2025 13:05:00 +0000"
    msg.set_content(f"Done with batch {i}.\n" + "Details of the work. " * 150)
    if i % 10 == 0:
        msg.add_attachment(
            b"\x00" * 50_000, maintype="application", subtype="pdf", filename="scan.pdf"
        )
    return msg.as_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    server = start_imap_server()
    try:
        batch = [message(i) for i in range(args.messages)]
        mailbox_bytes = sum(len(m) for m in batch)
        started = time.perf_counter()
        for i in range(0, len(batch), 500):
            server.deliver(*batch[i : i + 500])
        fill = time.perf_counter() - started
        relay = CountingRelay(server.port)
        os.environ["FARWATCH_BENCH_IMAP_PW"] = PASSWORD
        src = ImapSource(
            "bench",
            {
                "host": HOST,
                "port": relay.port,
                "username": server.user,
                "password_env": "FARWATCH_BENCH_IMAP_PW",
                "tls": "none",
                "timeout": 120.0,
            },
        )
        now = datetime(2025, 3, 11, 15, 0, tzinfo=UTC)  # the messages arrive 13:05 that day
        rows = []
        cursor: dict[str, object] = {}
        for label in ("initial sync", "poll, no new mail"):
            up0, down0 = relay.snapshot()
            t0 = time.perf_counter()
            result = src.fetch(cursor, now)
            elapsed = time.perf_counter() - t0
            up1, down1 = relay.snapshot()
            cursor = result.cursor
            rows.append((label, len(result.checkins), down1 - down0, up1 - up0, elapsed))
        src.close()
    finally:
        server.stop()
    print(
        f"server: {server.kind} {server.version}; mailbox: {args.messages} messages, "
        f"{mailbox_bytes / 1e6:.1f} MB on the server (filled in {fill:.1f} s)"
    )
    print(f"{'poll':<20} {'check-ins':>10} {'bytes in':>12} {'bytes out':>10} {'time (s)':>9}")
    for label, count, down, up, elapsed in rows:
        print(f"{label:<20} {count:>10} {down:>12,} {up:>10,} {elapsed:>9.3f}")
    first, second = rows
    byte_ratio = (second[2] + second[3]) / max(1, first[2] + first[3])
    time_ratio = second[4] / max(1e-9, first[4])
    ok = second[1] == 0 and byte_ratio < 0.05 and time_ratio < 0.05
    print(
        f"second poll / first: bytes {byte_ratio:.4%}, time {time_ratio:.4%} "
        f"-> {'PASS' if ok else 'FAIL'} (target < 5%, no message bodies)"
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
